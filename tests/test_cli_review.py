"""Command-line behaviour a demanding user checks first: bad ports, busy ports, broken homes and
configurations — each a one-line error and the right exit code, never a traceback."""

from __future__ import annotations

import io
import json
import os
import socket
import sys
from pathlib import Path

import pytest
from cli_helpers import luagate

from luagate.cli import main


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LUAGATE_HOME", str(tmp_path / "home"))
    for name in list(os.environ):
        if name.startswith("LUAGATE_") and name != "LUAGATE_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal, no data
    return tmp_path / "home"


@pytest.fixture
def busy_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("command", [["simulate", "aircall"], ["serve", "--http"]])
@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_out_of_range_is_a_usage_error(capsys, command, port):
    assert main([*command, f"--port={port}"]) == 2
    err = capsys.readouterr().err
    assert f"argument --port: expected a port number 0-65535; got '{port}'" in err
    assert "Traceback" not in err


def test_simulate_on_a_busy_port_says_so_in_one_line(capsys, busy_port):
    assert main(["simulate", "wildix", "--port", str(busy_port)]) == 1
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{busy_port}: address already in use" in err


def test_serve_http_on_a_busy_port_says_so_and_shows_no_token(home, busy_port):
    p = luagate(home, "serve", "--http", "--port", str(busy_port))
    assert p.returncode == 1, p.stderr
    assert f"cannot listen on 127.0.0.1:{busy_port}: address already in use" in p.stderr
    assert "Traceback" not in p.stderr
    assert "bearer token" not in p.stderr  # a token for a server that never ran is noise


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ("[]", "it holds an array, not an object"),
        ('{"providers": []}', '"providers" is an array, not an object'),
        ('{"providers": {"aircall": "x"}}', '"providers.aircall" is a string, not an object'),
        (
            '{"providers": {"aircall": {"accounts": {"sales": []}}}}',
            '"providers.aircall.accounts.sales" is an array, not an object',
        ),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["lua", "-e", "return 1"],
        ["configure", "aircall", "--account", "x", "--set", "api_id=1"],
        ["aircall", "list_calls"],
    ],
)
def test_a_config_file_of_the_wrong_shape_is_one_clear_error(
    home, capsys, config, problem, command
):
    home.mkdir()
    (home / "config.json").write_text(config)
    assert main(command) == 1
    err = capsys.readouterr().err
    assert f"{home / 'config.json'} is not a luagate configuration: {problem}" in err, err


@pytest.mark.parametrize(
    "command",
    [["status"], ["lua", "-e", "return 1"], ["configure", "aircall", "--set", "api_id=1"]],
)
def test_a_home_that_is_a_file_is_one_clear_error(home, capsys, command):
    home.write_text("not a directory")
    assert main(command) == 1
    err = capsys.readouterr().err
    assert f"luagate's home {home} is a file, not a directory" in err, err


def test_doctor_says_how_to_fix_a_home_that_is_a_file(home, capsys):
    home.write_text("not a directory")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "is a file, not a directory" in out and "export LUAGATE_HOME=" in out, out


def test_an_unknown_account_is_one_readable_sentence_with_the_fix(capsys):
    assert main(["aircall", "sales", "list_calls"]) == 1
    err = capsys.readouterr().err
    assert (
        "error[not_configured]: aircall has no account 'sales'. Accounts: only the built-in"
        " 'demo' (a simulated company). To add it, run: luagate configure aircall --account"
        " sales --set api_id=<api_id> --set api_token=env:AIRCALL_API_TOKEN"
    ) in err, err


def test_an_account_name_no_account_could_have_is_a_usage_error(capsys):
    assert main(["call", "aircall.list_calls", "--account", "Bad!"]) == 2
    assert "account names are lowercase letters" in capsys.readouterr().err


def test_the_fix_for_missing_credentials_sets_only_what_is_missing(capsys):
    assert main(["configure", "aircall", "--account", "sales", "--set", "api_token=t0k3n"]) == 0
    capsys.readouterr()
    assert main(["aircall", "sales", "list_users"]) == 1
    err = capsys.readouterr().err
    assert "needs api_id" in err
    fix = err.split("Run: ", 1)[1].split("  —", 1)[0]
    assert fix == "luagate configure aircall --account sales --set api_id=<api_id>", fix


def test_an_account_without_a_function_asks_for_the_function(capsys):
    assert main(["configure", "aircall", "--account", "sales", "--set", "api_id=1"]) == 0
    capsys.readouterr()
    assert main(["aircall", "sales"]) == 2
    err = capsys.readouterr().err
    assert "name the function to call on aircall account 'sales'" in err
    assert "luagate aircall sales list_calls" in err


def test_an_unknown_function_after_an_account_is_named_as_typed(capsys):
    assert main(["aircall", "sales", "nosuchfn"]) == 2
    err = capsys.readouterr().err
    assert "Unknown function aircall.nosuchfn" in err and "aircall.sales" not in err


def test_an_unknown_flag_gets_the_commands_own_usage(capsys):
    assert main(["lua", "--bogus", "-e", "return 1"]) == 2
    err = capsys.readouterr().err
    assert "usage: luagate lua" in err
    assert "luagate lua: error: unrecognized arguments: --bogus" in err


@pytest.mark.parametrize(
    "argv",
    [["list", "--bogus", "--json"], ["docs", "--json", "--nope"], ["aircall", "sales", "--json"]],
)
def test_usage_errors_print_json_under_json(capsys, argv):
    if argv[:2] == ["aircall", "sales"]:
        assert main(["configure", "aircall", "--account", "sales", "--set", "api_id=1"]) == 0
        capsys.readouterr()
    assert main(argv) == 2
    out = capsys.readouterr().out
    assert json.loads(out)["error"]["type"] == "usage", out


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("rate_limit=banana", 'a rate limit looks like "120/min"'),
        ("request_timeout=-5", "request_timeout must be a number of seconds"),
        ("base_url=notaurl", "it has no scheme"),
        ("base_url=http://u:pw@127.0.0.1:1", "must not carry credentials"),
    ],
)
def test_configure_refuses_a_value_the_account_could_never_use(home, capsys, value, words):
    assert main(["configure", "aircall", "--account", "sim", "--set", value]) == 2
    err = capsys.readouterr().err
    assert words in err, err
    assert "pw@" not in err  # the password is masked
    assert not (home / "config.json").exists()  # nothing was stored


def test_configure_checks_a_pbx_url_as_wildix_reads_it(home, capsys):
    args = ["configure", "wildix", "--account", "bad", "--set"]
    assert main([*args, "pbx_url=http://admin:hunter2@127.0.0.1:1"]) == 2
    assert "hunter2" not in capsys.readouterr().err
    assert main([*args, "pbx_url=acme"]) == 0  # a bare name means acme.wildixin.com
    assert main([*args, "pbx_url=env:MY_PBX"]) == 0  # checked when it is used


def test_fields_masks_a_password_in_a_stored_url(home, capsys):
    home.mkdir()
    url = "http://admin:hunter2@127.0.0.1:1"
    config = {"providers": {"wildix": {"accounts": {"old": {"pbx_url": url}}}}}
    (home / "config.json").write_text(json.dumps(config))
    assert main(["fields", "wildix"]) == 0
    out = capsys.readouterr().out
    assert "hunter2" not in out and "admin:***@127.0.0.1:1" in out, out


def test_a_new_account_does_not_take_the_default_over(capsys):
    def configure(account: str) -> None:
        args = ["--set", "pbx_url=acme", "--set", "access_token=t"]
        assert main(["configure", "wildix", "--account", account, *args]) == 0

    configure("office")
    configure("bad")  # "bad" sorts first: it must not become the default silently
    capsys.readouterr()
    assert main(["status", "--json"]) == 0
    wildix = next(p for p in json.loads(capsys.readouterr().out) if p["provider"] == "wildix")
    assert wildix["default_account"] == "office"
    assert main(["configure", "wildix", "--account", "office", "--delete"]) == 0
    out = capsys.readouterr().out
    assert "wildix's default account is now 'bad' (was 'office')" in out


def test_status_json_shows_the_demo_account_as_the_table_does(capsys):
    assert main(["status", "--json"]) == 0
    aircall = next(p for p in json.loads(capsys.readouterr().out) if p["provider"] == "aircall")
    assert aircall["default_account"] == "demo"
    assert aircall["accounts"] == [{"name": "demo", "ready": True, "built_in": True}]


@pytest.mark.parametrize("client", ["claude-desktop", "generic", "claude-code"])
def test_mcp_config_passes_the_luagate_home_it_sees(home, capsys, client):
    assert main(["mcp-config", "--client", client]) == 0
    out = capsys.readouterr().out
    if client == "claude-code":
        assert f"-e LUAGATE_HOME={home}" in out, out
    else:
        entry = json.loads(out)["mcpServers"]["luagate"]
        assert entry["env"] == {"LUAGATE_HOME": str(home)}


@pytest.mark.parametrize("value", ["0", "-3", "abc", "inf"])
def test_call_timeout_must_be_a_positive_number(capsys, value):
    assert main(["call", "aircall.list_calls", "--timeout", value, "--dry-run"]) == 2
    assert "--timeout takes a number of seconds above 0" in capsys.readouterr().err


def test_a_call_timeout_ends_a_long_rate_limit_wait_at_once(tmp_path):
    import time

    from aircall_helpers import make_gateway, start_simulator

    simulator, served = start_simulator()  # its own: the 60 s hold must not reach other tests
    with served:
        gateway = make_gateway(tmp_path / "g", served.url)
        simulator.faults.inject("rate_limit", times=None, path="/v1/numbers", retry_after_s=60)
        started = time.monotonic()
        envelope = gateway.call("aircall.list_numbers", timeout=3)
        took = time.monotonic() - started
    assert envelope["error"]["type"] == "rate_limited", envelope
    assert took < 3, took  # it did not sit out a wait it could never finish
    assert "60" in envelope["error"]["message"]


@pytest.mark.parametrize(("typed", "meant"), [("aircal", "aircall"), ("stauts", "status")])
def test_a_misspelled_command_or_provider_gets_a_suggestion(capsys, typed, meant):
    assert main([typed, "list_calls"]) == 2
    err = capsys.readouterr().err
    assert f"luagate: error: unknown command {typed!r}. Did you mean: {meant}" in err, err
    assert "providers: aircall, wildix" in err


def test_help_mentions_the_provider_shortcuts(capsys):
    assert main(["--help"]) == 0
    assert "luagate aircall sales list_calls" in capsys.readouterr().out


def test_an_empty_script_on_stdin_is_a_usage_error(home):
    p = luagate(home, "lua")  # stdin is empty: nothing was piped
    assert p.returncode == 2
    assert "stdin was empty" in p.stderr
