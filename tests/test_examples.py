"""The example workflows in examples/ run on the built-in demo accounts (both providers'
simulators in-process), as a user who just cloned the project would run them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from luagate.providers.aircall.simulator import build_simulator

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str, home: Path, *, calls_ok: bool = True) -> tuple[dict, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    env["LUAGATE_HOME"] = str(home)
    run = subprocess.run(
        [sys.executable, "-m", "luagate", "lua", "--json", f"examples/{name}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    envelope = json.loads(run.stdout)
    assert envelope["success"], envelope["error"]
    if calls_ok:
        assert envelope["calls"] and all(c["ok"] for c in envelope["calls"])
    return envelope, run.stderr


def test_both_providers_joined_by_number(tmp_path):
    envelope, stderr = run_example("both_providers_by_number.lua", tmp_path)
    result = envelope["result"]
    assert result["numbers"] > 0 and 1 <= result["on_both"] <= result["numbers"]
    # the demo companies share a regular caller, whose first call that day both systems missed
    assert re.search(r"^\+33797999373 +[1-9]\d* +[1-9]\d* ", envelope["output"], re.M)
    paths = {c["path"].split(".")[2] for c in envelope["calls"]}
    assert paths == {"aircall", "wildix"}
    assert f"{result['day']}: {result['numbers']} outside numbers" in envelope["output"]
    assert "aircall has no account configured" in stderr
    assert "wildix has no account configured" in stderr
    # outside numbers only: never one of the company's own Aircall numbers (an anonymous
    # inbound caller has no number to note)
    own = {n["digits"].replace(" ", "") for n in build_simulator().company("acme").numbers}
    listed = set(re.findall(r"^(\+\d+) ", envelope["output"], re.M))
    assert listed and not listed & own, listed & own


def test_recent_callers_are_matched_to_contacts(tmp_path):
    envelope, _ = run_example("aircall_recent_callers.lua", tmp_path)
    result = envelope["result"]
    assert result["calls"] == 15
    assert result["from_contacts"] > 0  # the demo's callers include its contacts
    searches = [c for c in envelope["calls"] if c["path"].endswith("list_contacts")]
    assert searches and len(searches) <= 15


@pytest.mark.parametrize("name", ["hello.lua"])
def test_the_first_example_still_runs(tmp_path, name):
    envelope, _ = run_example(name, tmp_path, calls_ok=False)
    assert envelope["result"]["providers"] == 2
    # its one call is refused by validation before anything is sent
    assert [(c["path"], c["error"]) for c in envelope["calls"]] == [
        ("app.integrations.aircall.list_calls", "validation")
    ]
