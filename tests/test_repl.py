"""``luagate lua --repl`` as a user runs it: a real subprocess, lines piped to its stdin (no
terminal: no prompts, clean stdout), with its own home and the built-in demo accounts."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import pytest
from cli_helpers import luagate

EXECUTORS = [pytest.param([], id="isolated"), pytest.param(["--in-process"], id="in_process")]
RESET = "luagate: session reset: the next input runs in a fresh Lua state"


def repl(home: Path, lines: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return luagate(home, "lua", "--repl", *flags, stdin=lines)


@pytest.mark.parametrize("executor", EXECUTORS)
def test_state_persists_across_inputs(tmp_path, executor):
    p = repl(tmp_path, "x = 41\nx + 1\nlocal y = 2\ny\nx\n", *executor)
    assert (p.returncode, p.stderr) == (0, "")
    # locals last one input, as in Lua's REPL: y is nil (null) at the next
    assert p.stdout == "42\nnull\n41\n"


def test_an_expression_prints_its_value_as_json(tmp_path):
    lines = "\n".join(
        [
            "{name = 'Ada', tags = {'a', 'b'}}",
            "'text'",
            "1, 2",
            'print("printed")',  # a call that returns nothing prints only what it printed
            "n = 5",  # a statement prints nothing
            "return n * 2",
            "print",  # JSON cannot hold a function: its dump() rendering
        ]
    )
    p = repl(tmp_path, lines + "\n")
    assert (p.returncode, p.stderr) == (0, "")
    expected = (
        json.dumps({"name": "Ada", "tags": ["a", "b"]}, indent=2)
        + '\n"text"\n'
        + json.dumps([1, 2], indent=2)
        + "\nprinted\n10\n<function>\n"
    )
    assert p.stdout == expected


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_function_defined_over_several_lines(tmp_path, executor):
    lines = "factor = 3\nfunction scale(values)\n  local out = {}\n"
    lines += "  for i, v in ipairs(values) do\n    out[i] = v * factor\n  end\n"
    lines += "  return out\nend\nscale({1, 2})\n"
    p = repl(tmp_path, lines, *executor)
    assert (p.returncode, p.stderr) == (0, "")
    assert p.stdout == json.dumps([3, 6], indent=2) + "\n"


def test_an_error_mid_session_and_the_session_goes_on(tmp_path):
    p = repl(tmp_path, 'x = 1\nerror("boom")\nx = = 2\nx + 1\n')
    assert p.returncode == 0
    assert p.stdout == "2\n"
    assert p.stderr.splitlines() == [
        "luagate: runtime (line 1): script:1: boom",
        "luagate: syntax (line 1): script:1: unexpected symbol near '='",
    ]


def test_an_unfinished_input_at_eof_is_a_syntax_error(tmp_path):
    p = repl(tmp_path, "x = 1\nfunction f(a)\n  return a\n")
    assert p.returncode == 0  # the session ended at EOF
    assert p.stdout == ""
    assert p.stderr == (  # the input's lines count from its own first
        "luagate: syntax (line 2): script:2: 'end' expected (to close 'function' at line 1)"
        " near <eof>\n"
    )


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_runaway_input_is_stopped_and_the_session_starts_afresh(tmp_path, executor):
    lines = "x = 1\nwhile true do end\nx == nil\ny = 2\ny\n"
    started = time.monotonic()
    p = repl(tmp_path, lines, "--timeout", "1", *executor)
    assert time.monotonic() - started < 50
    assert p.returncode == 0
    assert p.stdout == "true\n2\n"  # x went with the old state; the new one works
    errors = p.stderr.splitlines()
    assert errors == [  # lines count from each input's first
        "luagate: time_limit (line 1): the script ran longer than its time limit",
        RESET + " (the globals defined so far are gone)",
    ]


def test_output_is_capped_per_input(tmp_path):
    lines = 'print("12345678")\nprint("abcdefgh")\nprint(string.rep("z", 30))\n"after"\n'
    p = repl(tmp_path, lines, "--max-output", "10")
    assert p.returncode == 0
    assert p.stdout == (
        "12345678\nabcdefgh\nzzzzzzzzzz\n[luagate: output truncated at 10 bytes]\n" + '"after"\n'
    )
    assert "output_limit" in p.stderr and RESET in p.stderr


@pytest.mark.parametrize("executor", EXECUTORS)
def test_an_integration_call_from_the_repl(tmp_path, executor):
    lines = "users = app.integrations.wildix.list_users({limit = 2})\n"
    lines += "#users.users\ntype(users.users[1].name)\n"
    p = repl(tmp_path, lines, *executor)
    assert p.returncode == 0, p.stderr
    assert p.stdout == '2\n"string"\n'
    # on stderr, the notice that the demo company answered, and nothing else
    assert "built-in 'demo' account" in p.stderr
    assert all(line.startswith("luagate: wildix has no account") for line in p.stderr.splitlines())


def test_help_and_exit(tmp_path):
    p = repl(tmp_path, ".help\nx = 1\n.exit\nerror('never run')\n")
    assert (p.returncode, p.stderr) == (0, "")
    assert 'print(docs.read("aircall.list_calls"))' in p.stdout
    assert "app.integrations.wildix.list_calls({})" in p.stdout
    assert "Ctrl-D" in p.stdout


def test_help_names_only_the_providers_switched_on(tmp_path):
    assert luagate(tmp_path, "configure", "aircall", "--disable").returncode == 0
    p = repl(tmp_path, ".help\n")
    assert p.returncode == 0 and "aircall" not in p.stdout
    assert 'print(docs.read("wildix.list_calls"))' in p.stdout
    assert luagate(tmp_path, "configure", "wildix", "--disable").returncode == 0
    p = repl(tmp_path, ".help\n")
    assert p.returncode == 0 and "dump(v)" in p.stdout
    assert "aircall" not in p.stdout and "wildix" not in p.stdout


@pytest.mark.parametrize(
    ("flags", "conflict"),
    [
        (["--json"], "--json"),
        (["-e", "return 1"], "-e CODE"),
        (["script.lua"], "script FILE (script.lua)"),
        (["-"], "script FILE (-)"),
    ],
)
def test_repl_with_a_script_or_json_is_a_usage_error(tmp_path, flags, conflict):
    for repl_flag in ("--repl", "-i"):
        p = luagate(tmp_path, "lua", repl_flag, *flags, stdin="x = 1\n")
        assert p.returncode == 2
        # under --json the usage error is also JSON on stdout, as for every command
        assert p.stdout == "" if "--json" not in flags else json.loads(p.stdout)["error"]
        assert p.stderr.startswith("luagate lua: error: --repl cannot be combined with ")
        assert conflict in p.stderr


def test_a_bad_limit_in_a_repl_is_a_usage_error(tmp_path):
    p = luagate(tmp_path, "lua", "--repl", "--timeout", "0", stdin="x = 1\n")
    assert p.returncode == 2
    assert "--timeout must be a positive number, got 0" in p.stderr


@pytest.mark.parametrize("executor", EXECUTORS)
def test_ctrl_c_interrupts_the_running_input_and_the_session_goes_on(tmp_path, executor):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    env["LUAGATE_HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "luagate", "lua", "--repl", *executor],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write('x = 1\nprint("running") while true do end\n')
        proc.stdin.flush()
        assert proc.stdout.readline() == "running\n"  # the input is in its endless loop
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: to the whole group
        stdout, stderr = proc.communicate("x\n1 + 1\n", timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr
    assert stdout == "null\n2\n"  # interrupted long before its 30 s; then a fresh state
    assert stderr.splitlines() == [
        "luagate: interrupted",
        RESET + " (the globals defined so far are gone)",
    ]


# -- the limit flags' other spellings --------------------------------------------------------


def test_cpu_limit_and_memory_limit_are_aliases(tmp_path):
    p = luagate(
        tmp_path,
        "lua",
        "--json",
        "--cpu-limit",
        "0.5",
        "--memory-limit",
        "8",
        "-e",
        "while true do end",
    )
    envelope = json.loads(p.stdout)
    assert p.returncode == 1
    assert envelope["error"]["type"] == "time_limit"
    assert envelope["limits"]["timeout_s"] == 0.5
    assert envelope["limits"]["memory_bytes"] == 8 * 1024 * 1024


def test_the_aliases_name_themselves_in_usage_errors(tmp_path):
    p = luagate(tmp_path, "lua", "--cpu-limit", "0", "-e", "return 1")
    assert p.returncode == 2 and "--cpu-limit must be a positive number, got 0" in p.stderr
    p = luagate(tmp_path, "lua", "--memory-limit", "0.5", "-e", "return 1")
    assert p.returncode == 2 and "--memory-limit must be at least 1 (MiB), got 0.5" in p.stderr
    p = luagate(tmp_path, "lua", "--timeout", "1", "--cpu-limit", "2", "-e", "return 1")
    assert p.returncode == 2
    assert "--timeout and --cpu-limit set the same limit" in p.stderr


def test_the_help_says_cpu_limit_is_wall_clock(tmp_path):
    p = luagate(tmp_path, "lua", "--help")
    assert p.returncode == 0
    text = " ".join(p.stdout.split())
    assert "--cpu-limit SECONDS the same as --timeout: luagate limits wall-clock time" in text
    assert "--memory-limit MIB the same as --memory" in text
    assert "-i, --repl" in text


def _on_a_terminal(home: Path, lines: list[str]) -> tuple[int, str, str]:
    """The REPL on a terminal (stdin and stderr; stdout piped): each line typed once the prompt
    shows, then Ctrl-D. Its exit code, its stdout, and what the terminal showed."""
    import pty  # Linux, which luagate requires, always has it: no skip may hide a failure

    master, terminal = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    env["LUAGATE_HOME"] = str(home)
    env["TERM"] = "dumb"
    shown = b""

    def wait_for_prompt(start: int) -> None:  # "> ", ">> " or a question shown after ``start``
        nonlocal shown
        deadline = time.monotonic() + 60
        while not shown[start:].endswith((b"> ", b"[y/N] ")):
            assert time.monotonic() < deadline, shown
            ready, _, _ = select.select([master], [], [], 1)
            if ready:
                shown += os.read(master, 4096)

    proc = subprocess.Popen(
        [sys.executable, "-m", "luagate", "lua", "--repl"],
        stdin=terminal,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env=env,
    )
    try:
        os.close(terminal)
        typed_at = 0
        for line in [*lines, "\x04"]:
            wait_for_prompt(typed_at)
            typed_at = len(shown)  # the next prompt comes after this
            os.write(master, line.encode() + (b"" if line == "\x04" else b"\n"))
        stdout, _ = proc.communicate(timeout=60)
        with suppress(OSError):
            while select.select([master], [], [], 0.5)[0] and (data := os.read(master, 4096)):
                shown += data
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)
    return proc.returncode, stdout.decode(), shown.decode(errors="replace")


def test_on_a_terminal_the_prompts_go_to_stderr(tmp_path):
    lines = ["x = 1", "function f()", "return x", "end", "f()"]
    code, stdout, terminal = _on_a_terminal(tmp_path, lines)
    assert code == 0, terminal
    assert stdout == "1\n"  # only the value: prompts, banner and echo are on the terminal
    assert "Type .help for help, Ctrl-D to quit." in terminal
    assert "> x = 1" in terminal and ">> return x" in terminal
    history = tmp_path / "repl_history"
    assert history.read_text().splitlines()[-5:] == lines
    assert history.stat().st_mode & 0o777 == 0o600


def test_no_history_is_stored_when_the_home_is_unwritable(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o555)
    if os.access(home, os.W_OK):  # root writes anyway: a directory nobody can write to
        home = Path("/proc/self/fdinfo")
    code, stdout, terminal = _on_a_terminal(home, ["1 + 1"])
    assert code == 0, terminal
    assert stdout == "2\n"
    assert "Traceback" not in terminal
    assert not (home / "repl_history").exists()


@pytest.mark.parametrize("executor", EXECUTORS)
def test_an_echoed_value_keeps_to_the_value_and_output_limits(tmp_path, executor):
    # too large to cross: refused as a script's result is, and the session goes on
    p = repl(tmp_path, 'k = 7\ns = string.rep("a", 9e6)\ns\nk\n', *executor, "--memory", "200")
    assert p.returncode == 0
    assert "luagate: value_too_large" in p.stderr and RESET not in p.stderr
    assert p.stdout == "7\n"
    # under the output cap: shown up to the cap, with a marker
    p = repl(tmp_path, 's = string.rep("a", 5000)\ns\n#s\n', *executor, "--max-output", "100")
    assert p.returncode == 0 and p.stderr == ""
    shown, marker, length = p.stdout.splitlines()
    assert shown == '"' + "a" * 99 and len(shown.encode()) == 100
    assert marker == "[luagate: value shown up to 100 bytes of 5002]"
    assert length == "5000"


def test_on_a_terminal_the_ask_policy_asks_the_person(tmp_path):
    create = (
        'app.integrations.aircall.create_contact({first_name = "Ada", '
        'phone_numbers = {{label = "Work", value = "+33612345678"}}}).contact.first_name'
    )
    code, stdout, terminal = _on_a_terminal(tmp_path, [create, "y", create, "n"])
    assert code == 0, terminal
    assert terminal.count("Allow aircall.create_contact (write) on account demo? [y/N]") == 2
    assert stdout == '"Ada"\n'  # allowed once; the refusal is an error on the terminal
    assert "luagate: policy" in terminal


@pytest.mark.parametrize("executor", EXECUTORS)
def test_ctrl_c_stops_an_input_waiting_on_a_provider_at_once(tmp_path, executor):
    import socket

    blackhole = socket.socket()  # accepts, never answers
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen()
    url = f"http://127.0.0.1:{blackhole.getsockname()[1]}"
    configured = luagate(
        tmp_path, "configure", "wildix", "--set", f"pbx_url={url}",
        "--set", "access_token=tok", "--set", "request_timeout=50",
    )  # fmt: skip
    assert configured.returncode == 0, configured.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    env["LUAGATE_HOME"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "luagate", "lua", "--repl", "--timeout", "60", *executor],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write("x = 1\napp.integrations.wildix.list_users({})\n")
        proc.stdin.flush()
        blackhole.settimeout(60)
        connection, _ = blackhole.accept()  # the request is on its way: the input waits
        time.sleep(0.5)
        pressed = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # one Ctrl-C
        stdout, stderr = proc.communicate("1 + 1\n", timeout=60)
        took = time.monotonic() - pressed
        connection.close()
    finally:
        blackhole.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, stderr
    assert took < 20, took  # not the 50 s request timeout, nor the 60 s input limit
    assert "luagate: interrupted" in stderr and RESET in stderr
    assert stdout == "2\n"


@pytest.mark.parametrize("executor", EXECUTORS)
def test_an_input_larger_than_one_value_is_refused_and_the_state_kept(tmp_path, executor):
    big = "y = 1 --" + "a" * (9 * 1024 * 1024)
    p = repl(tmp_path, f"k = 5\n{big}\nk\ny\n", *executor)
    assert p.returncode == 0
    assert "luagate: value_too_large: the script is" in p.stderr and RESET not in p.stderr
    assert p.stdout == "5\nnull\n"
