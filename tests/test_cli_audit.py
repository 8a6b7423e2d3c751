"""Fixes from a CLI audit, each through the real ``luagate`` entry point in a subprocess: deeply
nested JSON, a stdin left open, secrets no HTTP header can carry, ``--unset`` on no account and
the reserved ``demo`` name, unknown names' exit codes, the request_timeout rule, unknown
commands, integral numbers for integer flags, and ``docs.search``'s forms in Lua."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

SECRET = "tok-SECRET-4711"


def run(
    home: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    environ.update(env or {}, LUAGATE_HOME=str(home))
    return subprocess.run(
        [sys.executable, "-m", "luagate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def run_with_open_stdin(home: Path, *args: str, wait_s: float = 30) -> tuple[int | None, str]:
    """Run with stdin an open pipe that never sends anything (as agent harnesses leave it);
    the exit code (None: still running after ``wait_s``) and stderr."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    environ["LUAGATE_HOME"] = str(home)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "luagate", *args],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=err,
            text=True,
            env=environ,
        )
        try:
            code = proc.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            code = None
            proc.kill()
            proc.wait()
        finally:
            assert proc.stdin is not None
            proc.stdin.close()
        err.seek(0)
        return code, err.read()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def error_of(p: subprocess.CompletedProcess[str]) -> dict:
    """The ``--json`` error envelope: the only thing on stdout."""
    return json.loads(p.stdout)["error"]


# -- 1. deeply nested JSON is a usage error, never a traceback -------------------------------------

DEEP = "[" * 3000 + "]" * 3000


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["call", "aircall.list_calls", '{"tags": ' + DEEP + "}"], ""),
        (["call", "aircall.list_calls", "-"], '{"tags": ' + DEEP + "}"),
        (["call", "aircall.list_calls", "--dry-run"], '{"tags": ' + DEEP + "}"),  # piped
        (["call", "aircall.list_calls", "--tags", DEEP], ""),
        (["call", "aircall.list_calls", "--arg", "tags=" + DEEP], ""),
        (["call", "aircall.list_calls", "per_page=" + DEEP], ""),  # the did-you-mean path
        (["aircall", "list_calls", "--tags", DEEP], ""),
        (["configure", "aircall", "--stdin-json"], '{"api_id": ' + DEEP + "}"),
    ],
    ids=["argument", "dash", "piped", "flag", "arg", "pair", "shortcut", "configure"],
)
def test_deeply_nested_json_is_a_usage_error_with_the_json_envelope(home, args, stdin):
    p = run(home, *args, "--json", stdin=stdin)
    assert p.returncode == 2, p.stderr[-2000:]
    assert "Traceback" not in p.stderr and "RecursionError" not in p.stderr
    if args[-1] != "per_page=" + DEEP:  # that one is malformed JSON before it is deep
        assert "nested too deeply" in error_of(p)["message"]
        assert "nested too deeply" in p.stderr
    assert error_of(p)["type"] == "usage"
    assert not (home / "config.json").exists()


def test_nesting_up_to_the_limit_is_read(home):
    tags = "[" * 99 + "]" * 99  # 100 levels with the arguments' object
    p = run(home, "call", "aircall.list_calls", f'{{"tags": {tags}}}', "--dry-run", "--json")
    assert "nested too deeply" not in p.stdout + p.stderr
    assert "Traceback" not in p.stderr
    tags = "[" * 100 + "]" * 100
    p = run(home, "call", "aircall.list_calls", f'{{"tags": {tags}}}', "--dry-run", "--json")
    assert p.returncode == 2 and "nested too deeply" in error_of(p)["message"]


def test_a_deeply_nested_config_file_is_one_clear_error(home):
    home.mkdir()
    (home / "config.json").write_text('{"providers": ' + DEEP + "}")
    p = run(home, "call", "aircall.list_numbers", "--json")
    assert p.returncode == 1 and "Traceback" not in p.stderr
    error = json.loads(p.stdout)["error"]
    assert error["type"] == "secret_store" and "nested too deeply" in error["message"]


# -- 2. a stdin left open never holds up a call ----------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["call", "aircall.list_calls", "--per-page", "5"],
        ["call", "aircall.list_calls", "--arg", "per_page=5", "--dry-run"],
        ["call", "aircall.list_calls", '{"per_page": 5}', "--dry-run"],
        ["aircall", "list_numbers", "--dry-run"],  # takes no arguments at all
        ["aircall", "list_numbers"],
        ["call", "aircall.list_calls", "--dry-run"],  # no arguments: waits a moment, no more
        ["wildix", "get_current_user", "--json"],
    ],
)
def test_a_call_never_waits_for_a_stdin_left_open(home, args):
    started = time.monotonic()
    code, err = run_with_open_stdin(home, *args)
    assert code == 0, err
    assert time.monotonic() - started < 25


def test_without_arguments_an_open_silent_stdin_is_said_and_skipped(home):
    code, err = run_with_open_stdin(home, "call", "aircall.list_calls", "--dry-run")
    assert code == 0, err
    assert "stdin is open but sent nothing" in err and "give - as the JSON argument" in err


def test_piped_json_is_still_read_alone_or_with_dash_and_flags(home):
    p = run(home, "call", "aircall.get_call", "--dry-run", "--json", stdin='{"call_id": 12}')
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["data"]["args"] == {"call_id": 12}
    stdin = '{"per_page": 7, "order": "asc"}'
    p = run(home, "call", "aircall.list_calls", "-", "--per-page", "3", "--dry-run", "--json",
            stdin=stdin)  # fmt: skip
    args = json.loads(p.stdout)["data"]["args"]
    assert args["per_page"] == 3 and args["order"] == "asc"
    # flags without -: stdin is not read, and that is said rather than done silently
    p = run(home, "call", "aircall.list_calls", "--per-page", "3", "--dry-run", "--json",
            stdin=stdin)  # fmt: skip
    assert json.loads(p.stdout)["data"]["args"]["order"] == "desc"
    assert "stdin was not read" in p.stderr


# -- 3. secrets an HTTP header cannot carry --------------------------------------------------------

BAD_SECRETS = {
    "blank": " ",
    "space_inside": "tok-SECRET 4711",
    "trailing_space": SECRET + " ",
    "trailing_cr": SECRET + "\r",
    "line_feed": SECRET + "\nX-Evil: 1",
    "tab": "\t" + SECRET,
    "control": SECRET[:4] + "\x07" + SECRET[4:],
    "non_ascii": SECRET + "é",
    "non_ascii_space": SECRET + "\u00a0",
}


@pytest.mark.parametrize("how", ["set", "stdin-json"])
@pytest.mark.parametrize("bad", list(BAD_SECRETS), ids=list(BAD_SECRETS))
def test_configure_refuses_a_secret_no_header_can_carry(home, how, bad):
    value = BAD_SECRETS[bad]
    if how == "set":
        p = run(home, "configure", "aircall", "--set", "api_id=1", "--set", f"api_token={value}")
    else:
        stdin = json.dumps({"api_id": "1", "api_token": value})
        p = run(home, "configure", "aircall", "--stdin-json", stdin=stdin)
    assert p.returncode == 2, p.stderr
    assert "api_token" in p.stderr and "printable ASCII" in p.stderr
    assert "Traceback" not in p.stderr
    if value.strip():
        assert value.strip() not in p.stdout + p.stderr  # never echoed
    assert "SECRET" not in p.stdout + p.stderr
    assert not (home / "config.json").exists()  # nothing stored


def test_configure_refuses_an_env_reference_without_a_variable_name(home):
    p = run(home, "configure", "wildix", "--set", "access_token=env:", "--json")
    assert p.returncode == 2 and "environment variable's name" in error_of(p)["message"]
    assert not (home / "config.json").exists()


def test_a_good_secret_and_an_env_reference_are_still_stored(home):
    p = run(home, "configure", "aircall", "--set", "api_id=1", "--set", f"api_token={SECRET}")
    assert p.returncode == 0, p.stderr
    p = run(home, "configure", "wildix", "--set", "pbx_url=acme", "--set", "access_token=env:TOK")
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_bad_secret_from_the_environment_is_not_configured_naming_the_variable(home, dry_run):
    env = {"LUAGATE_WILDIX_OPS_PBX_URL": "http://127.0.0.1:9"}
    env["LUAGATE_WILDIX_OPS_ACCESS_TOKEN"] = SECRET + "\r"
    args = ["call", "wildix.list_users", "--json", *(["--dry-run"] if dry_run else [])]
    p = run(home, *args, env=env)
    assert p.returncode == 1, p.stderr
    error = json.loads(p.stdout)["error"]
    assert error["type"] == "not_configured"
    assert "LUAGATE_WILDIX_OPS_ACCESS_TOKEN" in error["message"]
    assert "access_token" in error["message"] and "carriage return" in error["message"]
    assert SECRET not in p.stdout + p.stderr and "Traceback" not in p.stderr


def test_a_bad_secret_behind_an_env_reference_names_its_variable_in_lua_too(home):
    stdin = json.dumps({"access_token": "env:OPS_TOKEN"})
    p = run(home, "configure", "wildix", "--set", "pbx_url=acme", "--stdin-json", stdin=stdin)
    assert p.returncode == 0, p.stderr
    code = "local ok, e = pcall(app.integrations.wildix.list_users, {}) return error_type(e), e"
    p = run(home, "lua", "--json", "-e", code, env={"OPS_TOKEN": "tok SECRET"})
    kind, message = json.loads(p.stdout)["result"]
    assert kind == "not_configured"
    assert "OPS_TOKEN" in message and "a space" in message and "SECRET" not in message


def test_doctor_reports_a_bad_secret_from_the_environment(home):
    env = {"LUAGATE_WILDIX_OPS_PBX_URL": "acme"}
    env["LUAGATE_WILDIX_OPS_ACCESS_TOKEN"] = SECRET + " "
    p = run(home, "doctor", "wildix", "--json", env=env)
    assert p.returncode == 1, p.stdout
    [problem] = json.loads(p.stdout)["problems"]
    assert (
        "LUAGATE_WILDIX_OPS_ACCESS_TOKEN" in problem["problem"] and "a space" in problem["problem"]
    )
    assert problem["fix"] == "export LUAGATE_WILDIX_OPS_ACCESS_TOKEN=<access_token>"
    assert SECRET not in p.stdout + p.stderr


# -- 4. --unset on no account; "demo" is the built-in account's name ------------------------------


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["--unset", "api_token"], ""),
        (["--stdin-json"], '{"api_token": null}'),
        (["--unset", "api_token", "--default"], ""),
    ],
)
def test_unset_on_an_account_that_does_not_exist_is_refused_and_stores_nothing(home, args, stdin):
    p = run(home, "configure", "aircall", "--account", "x", *args, "--json", stdin=stdin)
    assert p.returncode == 2, p.stderr
    assert "has no account 'x'" in error_of(p)["message"]
    assert not (home / "config.json").exists()
    status = json.loads(run(home, "status", "--json").stdout)
    aircall = next(s for s in status if s["provider"] == "aircall")
    assert aircall["demo"] is True and aircall["default_account"] == "demo"  # still the demo


def test_unset_on_an_existing_account_still_works(home):
    p = run(home, "configure", "aircall", "--account", "x", "--set", "api_id=1")
    assert p.returncode == 0, p.stderr
    p = run(home, "configure", "aircall", "--account", "x", "--unset", "user_email")
    assert p.returncode == 0 and "unset user_email" in p.stdout


@pytest.mark.parametrize("args", [["--set", "api_id=1"], ["--unset", "api_id"]])
def test_demo_is_refused_as_a_configured_account_name(home, args):
    p = run(home, "configure", "aircall", "--account", "demo", *args)
    assert p.returncode == 2, p.stderr
    assert "'demo' is the name of aircall's built-in account" in p.stderr
    assert not (home / "config.json").exists()
    assert run(home, "call", "aircall.list_numbers").returncode == 0  # the built-in one, still


def test_an_account_named_demo_from_the_environment_is_never_served_by_the_simulator(home):
    env = {
        "LUAGATE_AIRCALL_DEMO_API_ID": "1",
        "LUAGATE_AIRCALL_DEMO_API_TOKEN": SECRET,
        "LUAGATE_AIRCALL_DEMO_BASE_URL": "http://127.0.0.1:9",  # nothing listens there
    }
    status = json.loads(run(home, "status", "--json", env=env).stdout)
    assert next(s for s in status if s["provider"] == "aircall")["demo"] is False
    p = run(home, "call", "aircall.list_numbers", "--timeout", "5", "--json", env=env)
    assert p.returncode == 1, p.stdout
    assert json.loads(p.stdout)["error"]["type"] == "network"  # the configured URL was tried


def test_asking_for_demo_once_an_account_exists_does_not_suggest_creating_it(home):
    run(home, "configure", "aircall", "--account", "sales", "--set", "api_id=1")
    p = run(home, "call", "aircall.list_calls", "--account", "demo", "--json")
    message = json.loads(p.stdout)["error"]["message"]
    assert "exists only while aircall has no account configured" in message
    assert "--account demo --set" not in message


# -- 5. unknown names: each command's exit code as the README states it ----------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["schema", "aircall.list_call"], 2),  # an unknown function: usage, as for call
        (["schema", "aircall.list_call", "--output"], 2),
        (["call", "aircall.list_call"], 2),
        (["docs", "aircall.list_call"], 1),  # an unknown page: exit 1 with suggestions
        (["examples", "aircall.list_call"], 1),
        (["fields", "aircal"], 2),  # an unknown provider: argparse's usage error
    ],
)
def test_unknown_names_exit_as_the_readme_says(home, args, code):
    p = run(home, *args)
    assert p.returncode == code, p.stderr
    assert "Traceback" not in p.stderr
    if args[0] != "fields":
        assert "Did you mean: aircall.list_calls" in p.stderr


def test_schema_of_an_unknown_function_under_json(home):
    p = run(home, "schema", "aircall.list_call", "--json")
    assert p.returncode == 2
    assert error_of(p)["type"] == "unknown_function"


# -- 6. request_timeout: the rule and its message agree --------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"), [("0", 2), ("-1", 2), ("3601", 2), ("0.5", 0), ("3600", 0)]
)
def test_request_timeout_above_0_and_at_most_3600(home, value, code):
    p = run(home, "configure", "aircall", "--set", f"request_timeout={value}")
    assert p.returncode == code, p.stderr
    if code:
        assert "greater than 0 and at most 3600" in p.stderr
        assert "(0 to 3600)" not in p.stderr


# -- 10. unknown commands --------------------------------------------------------------------------


def test_an_unknown_command_is_a_friendly_usage_error(home):
    p = run(home, "nonsense")
    assert p.returncode == 2
    assert "invalid choice" not in p.stderr
    assert "luagate: error: unknown command 'nonsense'." in p.stderr
    assert "Commands: lua, call" in p.stderr and "providers: aircall, wildix" in p.stderr
    p = run(home, "nonsense", "--json")
    assert p.returncode == 2 and "unknown command 'nonsense'" in error_of(p)["message"]


# -- 11. integer flags take an integral number, as JSON does ---------------------------------------


@pytest.mark.parametrize("given", ["5.0", "5", "5e0", "0.5e1"])
def test_an_integer_flag_takes_an_integral_number_as_json_does(home, given):
    flag = run(home, "call", "aircall.list_calls", "--per-page", given, "--dry-run", "--json")
    assert flag.returncode == 0, flag.stderr
    as_json = run(home, "call", "aircall.list_calls", f'{{"per_page": {given}}}', "--dry-run",
                  "--json")  # fmt: skip
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(flag.stdout)["data"]["args"]["per_page"] == 5
    assert json.loads(as_json.stdout)["data"]["args"]["per_page"] == 5


@pytest.mark.parametrize("given", ["5.5", "1e400", "nan", "5_0", "٥"])
def test_an_integer_flag_still_refuses_what_is_no_integer(home, given):
    p = run(home, "call", "aircall.list_calls", "--per-page", given, "--dry-run", "--json")
    assert p.returncode == 1, p.stderr
    error = json.loads(p.stdout)["error"]
    assert error["type"] == "validation" and "must be an integer" in error["message"]


# -- 9. docs.search's forms in Lua -----------------------------------------------------------------


def test_docs_search_takes_a_query_and_a_limit_in_lua(home):
    code = """
        local a = docs.search("missed", 2)
        local b = docs.search({query = "missed", limit = 1})
        local c = docs.search("missed")
        return {#a, #b, #c > 2, a[1].page == c[1].page}
    """
    p = run(home, "lua", "--json", "-e", code)
    assert json.loads(p.stdout)["result"] == [2, 1, True, True], p.stdout


@pytest.mark.parametrize(
    "call",
    ['docs.search("missed", 2, 3)', "docs.search()", "docs.search(1)", 'docs.search({q = "x"})'],
)
def test_docs_search_says_which_forms_it_takes(home, call):
    p = run(home, "lua", "--json", "-e", f"local r = {call}")
    error = json.loads(p.stdout)["error"]
    assert error["type"] == "invalid_value" and error["line"] == 1
    assert "docs.search(query, limit)" in error["message"]
    assert "docs.search({query = ..., limit = ...})" in error["message"]
    assert "takes one argument (a table)" not in error["message"]


def test_a_call_still_takes_one_table(home):
    p = run(home, "lua", "--json", "-e", "local r = app.integrations.aircall.list_numbers({}, 2)")
    assert "takes one argument (a table); got 2" in json.loads(p.stdout)["error"]["message"]
