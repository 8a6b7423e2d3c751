"""``luagate lua`` as a user runs it: a real subprocess of the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LUAGATE = [sys.executable, "-m", "luagate"]


def luagate(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LUAGATE, *args], input=stdin, capture_output=True, text=True, timeout=60
    )


def test_eval_prints_output_then_the_result():
    p = luagate("lua", "-e", 'print("hello") return {n = 1}')
    assert p.returncode == 0, p.stderr
    assert p.stdout == 'hello\n{\n  "n": 1\n}\n'


def test_file_and_stdin(tmp_path: Path):
    script = tmp_path / "s.lua"
    script.write_text('print("from " .. "file")\n')
    p = luagate("lua", str(script))
    assert (p.returncode, p.stdout) == (0, "from file\n")
    p = luagate("lua", stdin='print("from stdin")')
    assert (p.returncode, p.stdout) == (0, "from stdin\n")
    p = luagate("lua", "-", stdin='print("dash")')
    assert (p.returncode, p.stdout) == (0, "dash\n")


def test_json_prints_the_envelope_and_nothing_else():
    p = luagate("lua", "--json", "-e", 'print("x") return 2')
    assert p.returncode == 0
    envelope = json.loads(p.stdout)
    assert envelope["success"] is True
    assert envelope["output"] == "x\n"
    assert envelope["result"] == 2


def test_script_failure_exits_1_with_type_and_line_on_stderr():
    p = luagate("lua", "-e", 'local a = 1\nerror("boom")')
    assert p.returncode == 1
    assert p.stdout == ""
    assert "runtime (line 2): script:2: boom" in p.stderr


def test_syntax_error_shows_the_line():
    p = luagate("lua", "--json", "-e", "local x = 1\nlocal = 2")
    assert p.returncode == 1
    error = json.loads(p.stdout)["error"]
    assert error["type"] == "syntax" and error["line"] == 2


def test_usage_errors_exit_2():
    assert luagate("lua", "-e", "return 1", "x.lua").returncode == 2
    p = luagate("lua", "/nonexistent/script.lua")
    assert p.returncode == 2 and "cannot read /nonexistent/script.lua" in p.stderr
    p = luagate("lua", "--timeout", "0", "-e", "return 1")
    assert p.returncode == 2 and "--timeout must be a positive number, got 0" in p.stderr
    assert luagate("lua", "--bogus").returncode == 2
    assert luagate().returncode == 2


def test_flags_set_the_limits():
    p = luagate("lua", "--json", "--timeout", "0.5", "--memory", "8", "-e", "while true do end")
    envelope = json.loads(p.stdout)
    assert p.returncode == 1
    assert envelope["error"]["type"] == "time_limit"
    assert envelope["limits"]["timeout_s"] == 0.5
    assert envelope["limits"]["memory_bytes"] == 8 * 1024 * 1024
    p = luagate("lua", "--json", "--max-output", "10", "-e", "print(string.rep('x', 50))")
    envelope = json.loads(p.stdout)
    assert envelope["error"]["type"] == "output_limit"
    assert envelope["output_truncated"] is True
    assert envelope["output"].startswith("xxxxxxxxxx\n[luagate: output truncated at 10 bytes]")


def test_in_process_flag():
    p = luagate("lua", "--json", "--in-process", "-e", "return 1")
    assert json.loads(p.stdout)["executor"] == "in_process"


def test_a_runaway_pattern_is_stopped_on_time():
    p = luagate("lua", "--json", "--timeout", "1", "-e", "return ('a'):rep(3000):find('a*a*a*b')")
    envelope = json.loads(p.stdout)
    assert envelope["error"]["type"] == "time_limit"
    assert envelope["duration_ms"] < 2000


def _live_group_members(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` still running (zombies count as ended)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def test_ctrl_c_ends_the_run_cleanly_and_leaves_no_process():
    import os
    import signal
    import time

    proc = subprocess.Popen(
        [*LUAGATE, "lua", "-e", 'print("running") while true do end'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "running\n"  # the worker is in its endless loop
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: to the whole group
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130
    assert "interrupted" in stderr
    assert "Traceback" not in stderr, stderr  # neither from the CLI nor from its fork server
    deadline = time.monotonic() + 10
    while _live_group_members(proc.pid):  # the fork server and the worker end with the CLI
        assert time.monotonic() < deadline, _live_group_members(proc.pid)
        time.sleep(0.05)
