"""The embedded default: with no Aircall account configured, a ``demo`` account served by the
simulator in-process answers, announced once on stderr; a configured account always wins. And
the README's main command (an example workflow) runs on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aircall_helpers import make_gateway, start_simulator

from luagate.accounts.store import AccountStore
from luagate.gateway import gateway as gateway_module
from luagate.gateway.gateway import Gateway

ROOT = Path(__file__).resolve().parent.parent


def fresh_gateway(home: Path, notices: list[str]) -> Gateway:
    gateway_module._announced.clear()
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    return Gateway(store, notify=notices.append)


def test_with_no_account_the_demo_company_answers_and_is_announced_once(tmp_path):
    notices: list[str] = []
    gateway = fresh_gateway(tmp_path, notices)
    first = gateway.call("aircall.get_call", {"call_id": 12345})
    assert first["success"], first["error"]
    assert first["meta"]["account"] == "demo" and first["data"]["call"]["id"] == 12345
    execution = gateway.run_lua(
        "return #app.integrations.aircall.demo.list_users({}).users, "
        "app.integrations.aircall.list_numbers({}).meta.total"
    )
    assert execution.success, execution.error
    users, numbers = execution.result
    assert users > 0 and numbers > 0
    assert [c.account for c in execution.calls] == ["demo", "demo"]
    assert len(notices) == 1
    assert "built-in 'demo' account" in notices[0] and "luagate configure aircall" in notices[0]


def test_a_configured_account_always_wins(tmp_path):
    simulator, server = start_simulator()
    try:
        notices: list[str] = []
        gateway_module._announced.clear()
        gateway = make_gateway(tmp_path, server.url, notices=notices)
        assert gateway.accounts(gateway.provider("aircall"))[0] == "default"
        envelope = gateway.call("aircall.get_call", {"call_id": 12345})
        assert envelope["meta"]["account"] == "default"
        assert len(simulator.log) == 1  # it went to the configured server, not the demo
        assert notices == []
        e = gateway.call("aircall.list_users", account="demo")
        assert e["error"]["type"] == "not_configured"  # demo exists only when nothing else does
    finally:
        server.stop()


def test_the_readme_main_command_runs_the_example_on_the_demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    env["LUAGATE_HOME"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "luagate", "lua", "--json", "examples/aircall_missed_yesterday.lua"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    envelope = json.loads(run.stdout)
    assert envelope["success"], envelope["error"]
    result = envelope["result"]
    assert result["missed"] == sum(result["per_owner"].values())
    assert result["missed"] > 0, "the demo company has missed calls yesterday"
    assert f"{result['missed']} missed inbound calls on {result['day']}" in envelope["output"]
    assert all(c["account"] == "demo" and c["ok"] for c in envelope["calls"])
    assert run.stderr.count("built-in 'demo' account") == 1


def test_the_demo_account_has_a_current_user_and_every_function_example_runs(tmp_path):
    notices: list[str] = []
    gateway = fresh_gateway(tmp_path, notices)
    me = gateway.call("aircall.get_current_user", {})
    assert me["success"], me["error"]
    users = gateway.call("aircall.list_users", {})["data"]["users"]
    assert me["data"]["user"]["email"] in [u["email"] for u in users]
    # each function's own examples run on the demo company (writes allowed for the run)
    spec = gateway.provider("aircall")
    for function in spec.functions:
        for example in function.examples:
            run = gateway.run_lua(example.code, isolated=False, force=True)
            assert run.success, (function.full_name, example.title, run.error)
