"""Edge cases of the command line found in review: absurd limit values, closed or full standard
streams, usage errors under --json, and configure refusing without storing anything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import luagate


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    env["LUAGATE_HOME"] = str(home)
    return env


@pytest.mark.parametrize(
    "flags,said",
    [
        (("--memory-limit", "inf"), "--memory-limit must be a positive number, got inf"),
        (("--memory", "1e13"), "--memory must be at most 1048576 (MiB: 1 TiB), got 1e+13"),
        (("--cpu-limit", "1e10"), "--cpu-limit must be at most 604800, got 1e+10"),
        (("--timeout", "nan"), "--timeout must be a positive number, got nan"),
        (("--max-output", "99999999999"), "--max-output must be at most"),
    ],
)
def test_absurd_limits_are_usage_errors(tmp_path: Path, flags: tuple[str, ...], said: str) -> None:
    for mode in ((), ("--in-process",)):
        run = luagate(tmp_path, "lua", *mode, *flags, "-e", "return 1")
        assert run.returncode == 2, run
        assert said in run.stderr and "Traceback" not in run.stderr


def test_lua_usage_errors_are_json_under_json(tmp_path: Path) -> None:
    for args in (("--repl",), ("--cpu-limit", "0", "-e", "1"), ("missing.lua",)):
        run = luagate(tmp_path, "lua", "--json", *args)
        assert run.returncode == 2, run
        error = json.loads(run.stdout)["error"]
        assert error["type"] == "usage" and error["message"] in run.stderr


@pytest.mark.parametrize("args", [("lua",), ("lua", "--repl")])
def test_a_closed_stdin_is_a_usage_error(tmp_path: Path, args: tuple[str, ...]) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "luagate", *args],
        capture_output=True,
        text=True,
        env=env_for(tmp_path),
        timeout=60,
        preexec_fn=lambda: os.close(0),
    )
    assert run.returncode == 2 and "stdin" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    "args,stdin", [(("lua", "-e", "print(1)"), ""), (("lua", "--repl"), "print(1)\n")]
)
def test_a_full_disk_on_stdout_is_one_line_and_exit_1(
    tmp_path: Path, args: tuple[str, ...], stdin: str
) -> None:
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "luagate", *args],
            input=stdin,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env_for(tmp_path),
            timeout=60,
        )
    assert run.returncode == 1
    assert "cannot write the output: No space left on device" in run.stderr
    assert "Traceback" not in run.stderr


def test_configure_that_refuses_stores_nothing(tmp_path: Path) -> None:
    refused = luagate(
        tmp_path, "configure", "wildix", "--account", "nosuch", "--default", "--disable"
    )
    assert refused.returncode == 2 and "no account 'nosuch' to make the default" in refused.stderr
    refused = luagate(
        tmp_path, "configure", "aircall", "--account", "nosuch", "--delete", "--write", "allow"
    )
    assert refused.returncode == 2 and "no stored account 'nosuch'" in refused.stderr
    assert not (tmp_path / "config.json").exists()
    status = json.loads(luagate(tmp_path, "status", "--json").stdout)
    assert all(p["active"] for p in status)
    assert all(p["policy"]["write"] == "ask" for p in status)


def test_a_url_with_credentials_from_the_environment_is_found_by_doctor_and_named_on_call(
    tmp_path: Path,
) -> None:
    env = env_for(tmp_path)
    env["LUAGATE_WILDIX_OFFICE_PBX_URL"] = "https://admin:pw0rd@pbx.example.com"
    env["LUAGATE_WILDIX_OFFICE_ACCESS_TOKEN"] = "tok-123"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "luagate", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )

    doctor = run("doctor", "wildix", "--json")
    assert doctor.returncode == 1
    problem = json.loads(doctor.stdout)["problems"][0]
    assert problem["account"] == "office" and "must not carry credentials" in problem["problem"]
    assert problem["fix"] == (
        "set the environment variable LUAGATE_WILDIX_OFFICE_PBX_URL to a usable pbx_url"
    )
    call = run("call", "wildix.list_users", "--account", "office")
    assert call.returncode == 1
    assert "wildix account 'office': field pbx_url must not carry credentials" in call.stderr
    assert "/api/v1" not in call.stderr
    for output in (doctor.stdout, doctor.stderr, call.stdout, call.stderr):
        assert "pw0rd" not in output and "tok-123" not in output


def after_one_line_the_reader_leaves(proc: subprocess.Popen[str]) -> tuple[int, str]:
    """Read one line, close stdout as `| head -1` does; the exit code and stderr."""
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline() == "line\n"
    proc.stdout.close()
    try:
        code = proc.wait(timeout=20)  # long before the 30 s time limit
    finally:
        if proc.poll() is None:
            proc.kill()
    return code, proc.stderr.read()


@pytest.mark.parametrize("mode", [(), ("--in-process",)])
def test_a_reader_that_leaves_stops_the_script_quietly(
    tmp_path: Path, mode: tuple[str, ...]
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "luagate", "lua", *mode, "-e", "while true do print('line') end"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path),
    )
    code, stderr = after_one_line_the_reader_leaves(proc)
    assert code == 1 and "Traceback" not in stderr and "error" not in stderr, stderr


@pytest.mark.parametrize("mode", [(), ("--in-process",)])
def test_a_reader_that_leaves_ends_the_repl_quietly(tmp_path: Path, mode: tuple[str, ...]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "luagate", "lua", "--repl", *mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env_for(tmp_path),
    )
    assert proc.stdin is not None
    # the first input prints until its reader leaves; the second must never run
    proc.stdin.write("while true do print('line') end\nerror('never run')\n")
    proc.stdin.close()
    code, stderr = after_one_line_the_reader_leaves(proc)
    assert code == 1 and stderr == "", stderr
