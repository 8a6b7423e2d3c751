"""The discovery and call commands, run in-process through ``luagate.cli.main`` (with a few real
subprocesses at the end to prove the entry point).

Each test gets its own ``LUAGATE_HOME`` and an empty, non-TTY stdin. Where a call must reach a
provider, a stub client is injected by replacing the one function that builds the CLI's gateway.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import luagate

from luagate.catalog.spec import Field, Param
from luagate.cli import call_command, common, main
from luagate.gateway.gateway import Gateway

SECRET = "s3cr3t-T0KEN-value-42"
PHONE = ("--phone-numbers", '{"label": "Work", "value": "+33612345678"}')
OTHER_SECRET = "another-SECRET-987"


class StubClient:
    """Stands in for a provider's HTTP client; remembers every call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def call(self, function, args, credentials, deadline):
        self.calls.append(
            {"function": function.full_name, "args": args, "credentials": credentials}
        )
        return {"stub": True, "function": function.full_name, "args": args}


class TTYInput(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LUAGATE_HOME", str(tmp_path))
    for name in list(os.environ):
        if name.startswith("LUAGATE_") and name != "LUAGATE_HOME":
            monkeypatch.delenv(name)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return tmp_path


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> StubClient:
    client = StubClient()
    real = common.build_gateway

    def build_gateway(*, ask=None) -> Gateway:
        gateway = real(ask=ask)
        gateway._clients.update({"aircall": client, "wildix": client})
        return gateway

    monkeypatch.setattr(common, "build_gateway", build_gateway)
    return client


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def json(self) -> Any:
        return json.loads(self.out)

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out[:300]!r}, err={self.err[:300]!r})"


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    outputs: list[str] = []

    def cli(*args: str, stdin: str | io.StringIO = "") -> Run:
        capsys.readouterr()
        stream = stdin if isinstance(stdin, io.StringIO) else io.StringIO(stdin)
        monkeypatch.setattr(sys, "stdin", stream)
        code = main(list(args))
        captured = capsys.readouterr()
        outputs.extend([captured.out, captured.err])
        return Run(code, captured.out, captured.err)

    cli.outputs = outputs  # every stdout and stderr so far, for the secret checks
    return cli


def configure_aircall(cli, account: str = "default") -> None:
    run = cli(
        "configure", "aircall", "--account", account, "--set", "api_id=ID-1", "--stdin-json",
        stdin=json.dumps({"api_token": SECRET}),
    )  # fmt: skip
    assert run.code == 0, run


# -- list, docs, search, schema --------------------------------------------------------------------


def test_list_json_shape(cli):
    run = cli("list", "--json")
    assert run.code == 0, run
    providers = run.json
    assert [p["provider"] for p in providers] == ["aircall", "wildix"]
    aircall = providers[0]
    assert len(aircall["functions"]) == 8 and len(providers[1]["functions"]) == 6
    first = aircall["functions"][0]
    assert set(first) == {"name", "kind", "description"}
    assert first["name"] == "aircall.list_calls" and first["kind"] == "read"
    kinds = {f["name"]: f["kind"] for f in aircall["functions"]}
    assert kinds["aircall.create_contact"] == "write"


def test_list_for_people(cli):
    run = cli("list")
    assert run.code == 0
    assert "aircall.create_contact" in run.out and "write" in run.out
    assert "wildix.get_extension" in run.out


def test_docs_catalog_page_and_function(cli):
    run = cli("docs", "--json")
    assert run.code == 0
    catalog = run.json
    assert [g["page"] for g in catalog["guides"]] == ["overview", "context", "errors", "examples"]
    assert catalog["providers"][0]["functions"][0]["page"] == "aircall.list_calls"

    run = cli("docs", "aircall")
    assert run.code == 0
    assert run.out.startswith("# Aircall — Lua API Reference")
    assert "## list_calls" in run.out

    run = cli("docs", "aircall.list_calls", "--json")
    assert run.code == 0
    assert run.json["page"] == "aircall.list_calls"
    assert run.json["markdown"].startswith("# aircall.list_calls")

    for page in ("overview", "errors", "examples"):
        assert cli("docs", page).code == 0


def test_docs_unknown_page_exits_1_with_suggestions(cli):
    run = cli("docs", "aircal")
    assert run.code == 1
    assert run.out == ""
    assert "error[unknown_function]" in run.err
    assert "Did you mean: aircall" in run.err

    run = cli("docs", "aircall.list_cals", "--json")
    assert run.code == 1
    assert run.json["error"]["type"] == "unknown_function"
    assert "aircall.list_calls" in run.json["error"]["message"]


def test_search_ranks_pages(cli):
    run = cli("search", "contact", "--json")
    assert run.code == 0
    results = run.json
    assert results and set(results[0]) == {"page", "title", "summary", "score"}
    assert results[0]["page"].startswith("aircall.") and "contact" in results[0]["page"]
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)

    assert len(cli("search", "calls", "--limit", "2", "--json").json) == 2
    assert cli("search", "zzzqqq", "--json").json == []
    assert cli("search", "calls", "--limit", "0").code == 2


def test_schema_input_and_output(cli):
    run = cli("schema", "aircall.list_calls")
    assert run.code == 0
    schema = run.json
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["properties"]["per_page"]["maximum"] == 50
    assert cli("schema", "aircall.get_call", "--json").json["required"] == ["call_id"]

    output = cli("schema", "aircall.list_calls", "--output").json
    assert "calls" in output["properties"]

    run = cli("schema", "aircall.lst_calls")
    assert run.code == 2  # an unknown function is a usage error, as for luagate call
    assert "Did you mean: aircall.list_calls" in run.err


# -- configure, fields, status ---------------------------------------------------------------------


def test_status_before_and_after_configure(cli):
    run = cli("status", "--json")
    assert run.code == 0
    aircall = run.json[0]
    assert aircall == {
        "provider": "aircall",
        "title": "Aircall",
        "active": True,
        "configured": False,
        "accounts": [{"name": "demo", "ready": True, "built_in": True}],
        "default_account": "demo",
        "demo": True,  # meanwhile its calls go to the built-in demo account
        "functions": 8,
        "policy": {"read": "allow", "write": "ask"},
    }
    configure_aircall(cli)
    assert cli("configure", "aircall", "--write", "allow").code == 0
    aircall, wildix = cli("status", "--json").json
    assert aircall["configured"] is True
    assert aircall["accounts"] == [{"name": "default", "ready": True}]
    assert aircall["default_account"] == "default" and aircall["demo"] is False
    assert aircall["policy"] == {"read": "allow", "write": "allow"}
    assert wildix["configured"] is False and wildix["functions"] == 6
    assert "aircall" in cli("status").out


def test_configure_set_secret_is_encrypted_and_never_shown(cli, home):
    run = cli("configure", "aircall", "--set", "api_id=ID-1", "--set", f"api_token={SECRET}")
    assert run.code == 0, run
    assert "set api_id = ID-1" in run.out
    assert "set api_token (secret, stored encrypted)" in run.out

    run = cli("configure", "aircall", "--set", f"access_token={OTHER_SECRET}", "--json")
    change = run.json["changes"][0]
    assert change == {"field": "access_token", "action": "set", "secret": True}

    config = (home / "config.json").read_bytes()
    assert SECRET.encode() not in config and OTHER_SECRET.encode() not in config
    assert b'"api_id": "ID-1"' in config
    assert (home / "config.json").stat().st_mode & 0o077 == 0


def test_configure_stdin_json_unset_default_delete(cli):
    run = cli(
        "configure", "aircall", "--account", "sales", "--stdin-json", "--json",
        stdin=json.dumps({"access_token": SECRET, "user_email": "a@b.c"}),
    )  # fmt: skip
    assert run.code == 0, run
    result = run.json
    assert result["account"] == "sales" and result["ready"] is True
    assert {c["field"] for c in result["changes"]} == {"access_token", "user_email"}
    assert SECRET not in run.out

    configure_aircall(cli, "default")
    assert cli("status", "--json").json[0]["default_account"] == "default"
    run = cli("configure", "aircall", "--account", "sales", "--default")
    assert run.code == 0
    assert cli("status", "--json").json[0]["default_account"] == "sales"

    run = cli("configure", "aircall", "--account", "sales", "--unset", "user_email", "--json")
    assert run.json["changes"] == [{"field": "user_email", "action": "unset"}]
    fields = cli("fields", "aircall", "--json").json
    sales = next(a for a in fields["accounts"] if a["name"] == "sales")
    assert sales["fields"]["user_email"] == {"set": False}

    # null in --stdin-json unsets too
    cli(
        "configure", "aircall", "--account", "sales", "--stdin-json", stdin='{"access_token": null}'
    )
    fields = cli("fields", "aircall", "--json").json
    sales = next(a for a in fields["accounts"] if a["name"] == "sales")
    assert sales["fields"]["access_token"] == {"set": False} and sales["ready"] is False

    run = cli("configure", "aircall", "--account", "sales", "--delete", "--json")
    assert run.code == 0 and run.json["deleted"] is True
    status = cli("status", "--json").json[0]
    assert [a["name"] for a in status["accounts"]] == ["default"]
    assert status["default_account"] == "default"

    run = cli("configure", "aircall", "--account", "sales", "--delete")
    assert run.code == 2  # like --default for an unknown account: a usage error
    assert "no stored account 'sales'" in run.err


def test_configure_policy(cli):
    run = cli("configure", "wildix", "--read", "ask", "--write", "deny", "--json")
    assert run.code == 0
    assert run.json["policy"] == {"read": "ask", "write": "deny"}
    assert cli("status", "--json").json[1]["policy"] == {"read": "ask", "write": "deny"}
    assert cli("configure", "wildix", "--write", "maybe").code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "nope=1"], "aircall has no credential field 'nope'"),
        (["--account", "Sales", "--set", "api_id=1"], "account names are lowercase"),
        (["--account", "list_calls", "--set", "api_id=1"], "is a aircall function name"),
        (["--set", "api_id"], "--set takes FIELD=VALUE"),
        (["--set", "api_id="], "needs a non-empty text value"),
        ([], "nothing to change"),
        (["--delete", "--set", "api_id=1"], "--delete cannot be combined"),
        (["--default", "--account", "ghost"], "no account 'ghost'"),
    ],
)
def test_configure_errors_exit_2(cli, home, args, message):
    run = cli("configure", "aircall", *args)
    assert run.code == 2, run
    assert message in run.err
    assert run.out == ""


def test_configure_stdin_json_must_be_an_object(cli):
    assert cli("configure", "aircall", "--stdin-json", stdin="not json").code == 2
    assert cli("configure", "aircall", "--stdin-json", stdin="[1]").code == 2


def test_fields_shows_which_are_set_never_secret_values(cli):
    configure_aircall(cli)
    run = cli("fields", "aircall", "--json")
    assert run.code == 0
    result = run.json
    assert {f["name"]: f["secret"] for f in result["fields"]} == {
        "api_id": False,
        "api_token": True,
        "access_token": True,
        "user_email": False,
        "base_url": False,
        "rate_limit": False,
        "request_timeout": False,
    }
    assert result["credential_sets"] == [["api_id", "api_token"], ["access_token"]]
    account = result["accounts"][0]
    assert account["name"] == "default" and account["default"] and account["ready"]
    assert account["fields"]["api_id"] == {"set": True, "source": "stored", "value": "ID-1"}
    assert account["fields"]["api_token"] == {"set": True, "source": "stored encrypted"}
    assert account["fields"]["access_token"] == {"set": False}

    people = cli("fields", "aircall")
    assert people.code == 0
    assert "ID-1" in people.out and SECRET not in people.out
    assert "not set" in people.out


def test_fields_of_an_environment_account(cli, monkeypatch):
    monkeypatch.setenv("LUAGATE_AIRCALL_OPS_ACCESS_TOKEN", SECRET)
    monkeypatch.setenv("LUAGATE_AIRCALL_OPS_BASE_URL", "http://localhost:9")
    run = cli("fields", "aircall", "--json")
    ops = run.json["accounts"][0]
    assert ops["name"] == "ops" and ops["ready"] is True
    assert ops["fields"]["access_token"] == {
        "set": True,
        "source": "environment (LUAGATE_AIRCALL_OPS_ACCESS_TOKEN)",
    }
    assert ops["fields"]["base_url"]["value"] == "http://localhost:9"
    assert SECRET not in run.out and SECRET not in cli("fields", "aircall").out


def test_fields_unknown_provider_is_a_usage_error(cli):
    assert cli("fields", "aircal").code == 2


# -- doctor ----------------------------------------------------------------------------------------


def test_doctor_gives_the_exact_command_and_the_command_works(cli, monkeypatch):
    run = cli("doctor", "aircall", "--json")
    assert run.code == 1
    [problem] = run.json["problems"]
    fix = (
        "luagate configure aircall --account default --set api_id=<api_id> "
        "--set api_token=env:AIRCALL_API_TOKEN"
    )
    assert problem["provider"] == "aircall" and problem["fix"] == fix
    assert fix in cli("doctor", "aircall").out

    # meanwhile calls go to the built-in demo account (a simulated company)
    call = cli("call", "aircall.list_calls", "--dry-run", "--json")
    assert call.code == 0 and call.json["meta"]["account"] == "demo"

    # run what doctor said (with a real id); then it points at the unset variable
    assert main(shlex.split(fix.replace("<api_id>", "ID-1"))[1:]) == 0
    run = cli("doctor", "aircall", "--json")
    assert run.code == 1
    [problem] = run.json["problems"]
    assert "AIRCALL_API_TOKEN, which is not set" in problem["problem"]
    assert problem["fix"] == "export AIRCALL_API_TOKEN=<api_token>"

    monkeypatch.setenv("AIRCALL_API_TOKEN", SECRET)
    run = cli("doctor", "aircall", "--json")
    assert run.code == 0, run
    assert run.json == {
        "ok": True,
        "checked": [{"provider": "aircall", "account": "default", "ok": True, "configured": True}],
        "problems": [],
    }
    assert "ready" in cli("doctor", "aircall").out


def test_doctor_incomplete_set_names_only_the_missing_field(cli):
    assert cli("configure", "aircall", "--account", "ops", "--set", "api_id=ID-1").code == 0
    run = cli("doctor", "--json")
    assert run.code == 1
    [problem] = run.json["problems"]
    assert problem["account"] == "ops"
    assert (
        problem["fix"]
        == "luagate configure aircall --account ops --set api_token=env:AIRCALL_API_TOKEN"
    )
    # wildix has no account, but another provider is configured: reported, not a failure
    wildix = [c for c in run.json["checked"] if c["provider"] == "wildix"]
    assert wildix == [{"provider": "wildix", "account": None, "ok": True, "configured": False}]


def test_doctor_key_file_permissions(cli, home):
    configure_aircall(cli)
    assert cli("doctor").code == 0
    key = home / "secret.key"
    key.chmod(0o644)
    run = cli("doctor", "--json")
    assert run.code == 1
    assert run.json["problems"][0]["fix"] == f"chmod 600 {key}"
    assert "readable by others" in run.json["problems"][0]["problem"]


def test_doctor_reports_secrets_the_key_cannot_decrypt(cli, home):
    configure_aircall(cli)
    (home / "secret.key").unlink()
    run = cli("doctor", "--json")
    assert run.code == 1
    [problem] = run.json["problems"]
    assert "no key to decrypt" in problem["problem"]
    assert problem["fix"].startswith("luagate configure aircall --account default --set api_token=")


# -- rotate-key -----------------------------------------------------------------------------------


def test_rotate_key_with_the_key_file(cli, home, stub):
    configure_aircall(cli)
    key_before = (home / "secret.key").read_bytes()
    config_before = (home / "config.json").read_bytes()
    run = cli("rotate-key", "--json")
    assert run.code == 0, run
    assert run.json == {"reencrypted": 1, "key": str(home / "secret.key")}
    assert (home / "secret.key").read_bytes() != key_before
    assert (home / "config.json").read_bytes() != config_before
    assert SECRET.encode() not in (home / "config.json").read_bytes()
    # the secret still decrypts, under the new key
    assert cli("configure", "aircall", "--read", "allow").code == 0
    assert cli("call", "aircall.list_users").code == 0
    assert stub.calls[-1]["credentials"]["api_token"] == SECRET


def test_rotate_key_from_the_environment(cli, monkeypatch, stub):
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("LUAGATE_SECRET_KEY", old)
    configure_aircall(cli)

    run = cli("rotate-key")
    assert run.code == 1
    assert "LUAGATE_NEW_SECRET_KEY" in run.err

    monkeypatch.setenv("LUAGATE_NEW_SECRET_KEY", "not-a-key")
    assert cli("rotate-key").code == 1

    monkeypatch.setenv("LUAGATE_NEW_SECRET_KEY", new)
    run = cli("rotate-key", "--json")
    assert run.code == 0, run
    assert run.json["reencrypted"] == 1 and "LUAGATE_SECRET_KEY" in run.json["next"]

    monkeypatch.delenv("LUAGATE_NEW_SECRET_KEY")
    assert cli("call", "aircall.list_users").code == 1  # still the old key: cannot decrypt
    monkeypatch.setenv("LUAGATE_SECRET_KEY", new)
    assert cli("call", "aircall.list_users").code == 0
    assert stub.calls[-1]["credentials"]["api_token"] == SECRET


# -- call: where arguments come from ---------------------------------------------------------------


def dry(cli, *args: str, stdin: str = "") -> dict[str, Any]:
    """The validated arguments of a dry run."""
    run = cli("call", *args, "--dry-run", "--json", stdin=stdin)
    assert run.code == 0, run
    envelope = run.json
    assert envelope["success"] is True and envelope["meta"]["dry_run"] is True
    return envelope["data"]["args"]


def test_call_envelope_shape(cli):
    configure_aircall(cli)
    run = cli("call", "aircall.list_calls", "--dry-run", "--json")
    assert run.code == 0
    envelope = run.json
    assert set(envelope) == {"function", "success", "data", "error", "meta", "duration_ms"}
    assert envelope["function"] == "aircall.list_calls"
    assert envelope["error"] is None
    assert envelope["meta"] == {
        "account": "default",
        "operation": "read",
        "dry_run": True,
        "permission_bypassed": False,
        "rate_limited_ms": 0.0,
        "requests": 0,
    }
    assert envelope["data"] == {
        "would_call": "aircall.list_calls",
        "args": {"per_page": 20, "page": 1, "order": "desc"},
    }


def test_call_arguments_from_json_stdin_arg_and_flags(cli):
    configure_aircall(cli)
    assert dry(cli, "aircall.list_contacts", '{"per_page": 5, "q": "x"}')["per_page"] == 5
    assert dry(cli, "aircall.list_contacts", stdin='{"per_page": 6}')["per_page"] == 6
    assert dry(cli, "aircall.list_contacts", "-", stdin='{"per_page": 7}')["per_page"] == 7
    assert dry(cli, "aircall.list_contacts", "--arg", "per_page=8")["per_page"] == 8
    assert dry(cli, "aircall.list_contacts", "--per-page", "9")["per_page"] == 9
    assert dry(cli, "aircall.list_contacts", "--per-page=10")["per_page"] == 10
    assert dry(cli, "aircall.list_contacts", "--per_page", "11")["per_page"] == 11


def test_flags_override_json(cli):
    configure_aircall(cli)
    args = dry(cli, "aircall.list_contacts", '{"per_page": 5, "q": "json"}', "--per-page", "12")
    assert args["per_page"] == 12 and args["q"] == "json"
    # stdin joins flags when asked for with - (piped stdin alone is read only without flags)
    stdin = '{"q": "stdin", "page": 2}'
    args = dry(cli, "aircall.list_contacts", "-", "--q", "flag", stdin=stdin)
    assert args["q"] == "flag" and args["page"] == 2


def test_string_flags_stay_strings(cli):
    configure_aircall(cli)
    assert dry(cli, "aircall.list_contacts", "--q", "007")["q"] == "007"
    assert dry(cli, "aircall.list_contacts", "--arg", "q=007")["q"] == "007"
    assert dry(cli, "aircall.list_contacts", "--q", "-x")["q"] == "-x"


def test_array_flags(cli):
    configure_aircall(cli)
    assert dry(cli, "aircall.list_calls", "--tags", "a", "--tags", "b")["tags"] == ["a", "b"]
    assert dry(cli, "aircall.list_calls", "--tags", '["x", "y"]')["tags"] == ["x", "y"]
    assert dry(cli, "aircall.list_calls", '{"tags": ["j"]}', "--tags", "f")["tags"] == ["f"]
    cli("configure", "aircall", "--write", "allow")
    args = dry(
        cli,
        "aircall.create_contact",
        "--phone-numbers", '{"label": "Work", "value": "+33 1 23 45 67 89"}',
        "--phone-numbers", '{"label": "Mobile", "value": "+33 6 12 34 56 78"}',
    )  # fmt: skip
    assert [p["label"] for p in args["phone_numbers"]] == ["Work", "Mobile"]


def test_validation_error_exits_1(cli):
    configure_aircall(cli)
    run = cli("call", "aircall.list_calls", "--per-page", "51")
    assert run.code == 1
    assert run.out == ""
    assert "error[validation]: aircall.list_calls: per_page must be <= 50, got 51" in run.err
    run = cli("call", "aircall.list_calls", '{"per_page": 51}', "--json")
    assert run.code == 1
    assert run.json["error"] == {
        "type": "validation",
        "message": "aircall.list_calls: per_page must be <= 50, got 51",
    }


def test_unknown_function_suggests(cli):
    run = cli("call", "aircall.list_cals", "--per-page", "5")
    assert run.code == 2  # the call cannot even be formed: a usage error
    assert "error[unknown_function]" in run.err
    assert "Did you mean: aircall.list_calls" in run.err
    run = cli("call", "aircal.list_calls", "--json")
    assert run.code == 2
    assert run.json["error"]["type"] == "unknown_function"
    assert "Did you mean: aircall" in run.json["error"]["message"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--per-pag", "5"],
            "unknown option --per-pag for aircall.list_calls. Did you mean --per-page?",
        ),
        (["--arg", "per_pag=5"], "Did you mean --per-page?"),
        (["--per-page"], "--per-page needs a value"),
        (["{not json"], "the JSON argument is not valid JSON"),
        (
            ["per_page=5"],
            "give arguments as flags (--per-page 5, or --arg per_page=5) or as a JSON object "
            """('{"per_page": 5}')""",
        ),
        (["direction=inbound"], """or as a JSON object ('{"direction": "inbound"}')"""),
        (["[1, 2]"], "must be a JSON object"),
        (["{}", "extra"], "unexpected argument 'extra'"),
        (["--tags", "[broken"], "tags is not valid JSON"),
        (["--arg", "per_page"], "--arg takes NAME=VALUE"),
        (["--json=yes"], "--json takes no value"),
        (["--page", "1", "--page", "2"], "page is given more than once"),
    ],
)
def test_call_usage_errors_exit_2(cli, args, message):
    run = cli("call", "aircall.list_calls", *args, "--dry-run")
    assert run.code == 2, run
    assert message in run.err
    assert run.out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--per-page", "abc"],
            "aircall.list_calls: per_page must be an integer, got 'abc' (from --per-page)",
        ),
        (["--arg", "per_page=1.5"], "per_page must be an integer, got '1.5' (from --arg per_page)"),
        (['{"per_page": "5"}'], 'per_page must be an integer, got string "5"'),
        (["--per-page", "51"], "per_page must be <= 50, got 51"),
    ],
)
def test_a_value_the_function_refuses_is_a_validation_error_however_given(cli, args, message):
    run = cli("call", "aircall.list_calls", *args, "--dry-run")
    assert run.code == 1, run
    assert "error[validation]: " in run.err and message in run.err
    run = cli("call", "aircall.list_calls", *args, "--dry-run", "--json")
    assert run.code == 1 and run.json["error"]["type"] == "validation", run


def test_an_unknown_parameter_given_with_arg_is_named_as_given(cli):
    run = cli("call", "aircall.list_calls", "--arg", "nope=1", "--dry-run")
    assert run.code == 2
    assert "unknown parameter in --arg nope=1 for aircall.list_calls" in run.err


def test_usage_errors_under_json_still_print_one_json_value(cli):
    run = cli("call", "aircall.list_calls", "--perpage", "5", "--json")
    assert run.code == 2
    assert run.json["error"]["type"] == "usage"
    assert "Did you mean --per-page?" in run.json["error"]["message"]


ENVELOPE_KEYS = {"function", "success", "data", "error", "meta", "duration_ms"}


@pytest.mark.parametrize(
    ("args", "code", "kind", "function"),
    [
        (["aircall.list_calls", "--per-page", "51"], 1, "validation", "aircall.list_calls"),
        (["aircall.list_calls", "--per-page", "abc"], 1, "validation", "aircall.list_calls"),
        (["aircall.list_calls", "--bogus", "1"], 2, "usage", "aircall.list_calls"),
        (["aircall.list_calls", "{bad"], 2, "usage", "aircall.list_calls"),
        (["aircall.lst_calls"], 2, "unknown_function", "aircall.lst_calls"),
        ([], 2, "usage", None),
    ],
)
def test_every_call_failure_under_json_is_the_envelope_and_one_line_on_stderr(
    cli, args, code, kind, function
):
    configure_aircall(cli)
    run = cli("call", *args, "--dry-run", "--json")
    assert run.code == code, run
    envelope = run.json  # exactly one JSON document
    assert set(envelope) == ENVELOPE_KEYS, envelope
    assert envelope["success"] is False and envelope["data"] is None
    assert envelope["function"] == function
    assert envelope["error"] == {"type": kind, "message": envelope["error"]["message"]}
    assert envelope["meta"]["dry_run"] is True
    lines = run.err.splitlines()
    assert len(lines) == 1 and envelope["error"]["message"] in lines[0], run.err
    # without --json: the same message on stderr, nothing on stdout
    plain = cli("call", *args, "--dry-run")
    assert (plain.code, plain.out, plain.err) == (code, "", run.err)


def test_a_flag_value_refused_before_json_is_read_is_still_the_envelope(cli):
    run = cli("call", "aircall.list_calls", "--per-page", "abc", "--account", "x", "--json")
    assert run.code == 1
    assert run.json["function"] == "aircall.list_calls" and run.json["success"] is False
    assert run.json["meta"]["operation"] == "read"
    assert run.err.startswith("error[validation]: ")


def test_schema_failures_say_one_line_on_stderr_json_or_not(cli):
    run = cli("schema", "nope.x", "--json")
    assert run.code == 2
    assert run.json["error"]["type"] == "unknown_function"
    assert run.err.splitlines() == [f"error[unknown_function]: {run.json['error']['message']}"]
    plain = cli("schema", "nope.x")
    assert (plain.code, plain.out, plain.err) == (2, "", run.err)


def test_call_usage_errors_without_a_function(cli):
    assert cli("call").code == 2
    run = cli("call", "--per-page", "5", "aircall.list_calls")
    assert run.code == 2 and "name the function first" in run.err


def test_invalid_stdin_json_is_a_usage_error(cli):
    run = cli("call", "aircall.list_calls", stdin="{oops")
    assert run.code == 2 and "stdin is not valid JSON" in run.err


def test_coercion_by_declared_type():
    boolean = Param("archived", "boolean", "")
    for raw, value in [("true", True), ("YES", True), ("1", True), ("false", False), ("no", False)]:
        assert call_command._coerce(boolean, raw, "--archived", "f") is value
    number = Param("ratio", "number", "")
    assert call_command._coerce(number, "2.5", "--ratio", "f") == 2.5
    assert call_command._coerce(number, "3", "--ratio", "f") == 3.0
    integer = Param("n", "integer", "")
    assert call_command._coerce(integer, "-4", "--n", "f") == -4
    ints = Param("ids", "array", "", items=Field("id", "integer"))
    assert call_command._coerce(ints, "7", "--ids", "f") == [7]
    obj = Param("filter", "object", "")
    assert call_command._coerce(obj, '{"a": 1}', "--filter", "f") == {"a": 1}
    for param, raw in [(boolean, "maybe"), (number, "nan"), (number, "x"), (obj, "[1]")]:
        with pytest.raises(Exception, match=param.name):
            call_command._coerce(param, raw, f"--{param.name}", "f")


def test_function_help_lists_its_flags(cli):
    run = cli("call", "aircall.list_calls", "--help")
    assert run.code == 0
    assert "--per-page" in run.out and "--user-id" in run.out
    assert "Number of results per page" in run.out
    run = cli("call", "--help")
    assert run.code == 0 and "--dry-run" in run.out


# -- call: policy, force, the client ---------------------------------------------------------------


def test_dry_run_never_calls_the_client(cli, stub):
    configure_aircall(cli)
    assert cli("call", "aircall.list_calls", "--dry-run").code == 0
    assert cli("aircall", "list_users", "--dry-run", "--json").code == 0
    assert stub.calls == []
    run = cli("call", "aircall.list_calls", "--per-page", "3")
    assert run.code == 0, run
    assert len(stub.calls) == 1
    assert stub.calls[0]["args"]["per_page"] == 3
    assert stub.calls[0]["credentials"] == {"api_id": "ID-1", "api_token": SECRET}
    # for people: the data, as JSON
    assert json.loads(run.out) == {
        "stub": True,
        "function": "aircall.list_calls",
        "args": {"per_page": 3, "page": 1, "order": "desc"},
    }


def test_an_unreachable_provider_is_a_network_error_without_the_secret(cli):
    import socket

    with socket.socket() as s:  # a loopback port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = cli(
        "configure", "wildix", "--set", f"pbx_url=http://127.0.0.1:{port}",
        "--set", "request_timeout=2", "--stdin-json", stdin=json.dumps({"access_token": SECRET}),
    )  # fmt: skip
    assert run.code == 0, run
    run = cli("call", "wildix.list_users", "--json")
    assert run.code == 1
    assert run.json["error"]["type"] == "network"
    assert f"127.0.0.1:{port}" in run.json["error"]["message"]
    assert SECRET not in run.out + run.err


def test_write_under_ask_is_refused_headless(cli, stub):
    configure_aircall(cli)
    run = cli("call", "aircall.create_contact", "--first-name", "Ada", *PHONE)
    assert run.code == 1
    assert "error[policy]" in run.err and "--force" in run.err
    assert stub.calls == []

    run = cli("call", "aircall.create_contact", "--first-name", "Ada", *PHONE, "--force", "--json")
    assert run.code == 0, run
    assert run.json["meta"]["permission_bypassed"] is True
    assert run.json["meta"]["operation"] == "write"
    assert len(stub.calls) == 1 and stub.calls[0]["args"]["first_name"] == "Ada"


def test_force_bypasses_deny_too(cli, stub):
    configure_aircall(cli)
    cli("configure", "aircall", "--write", "deny")
    run = cli("call", "aircall.create_contact", "--first-name", "Ada", *PHONE, "--json")
    assert run.code == 1
    assert run.json["error"]["type"] == "policy" and "'deny'" in run.json["error"]["message"]
    run = cli("call", "aircall.create_contact", "--first-name", "Ada", *PHONE, "--force", "--json")
    assert run.code == 0 and run.json["meta"]["permission_bypassed"] is True
    # force bypasses only the policy: validation still applies
    run = cli("call", "aircall.update_contact", "--first-name", "Ada", "--force", "--json")
    assert run.code == 1 and run.json["error"]["type"] == "validation"
    assert len(stub.calls) == 1


def test_write_allowed_by_policy(cli, stub):
    configure_aircall(cli)
    cli("configure", "aircall", "--write", "allow")
    run = cli("call", "aircall.create_contact", "--first-name", "Ada", *PHONE, "--json")
    assert run.code == 0 and run.json["meta"]["permission_bypassed"] is False


def test_a_person_at_the_terminal_is_asked(cli, stub):
    configure_aircall(cli)
    run = cli(
        "call", "aircall.create_contact", "--first-name", "Ada", *PHONE, stdin=TTYInput("y\n")
    )
    assert run.code == 0, run
    assert "Allow aircall.create_contact (write) on account default? [y/N]" in run.err
    assert len(stub.calls) == 1
    run = cli("call", "aircall.create_contact", "--first-name", "Ada", *PHONE, stdin=TTYInput("\n"))
    assert run.code == 1 and "was not approved" in run.err
    assert len(stub.calls) == 1


def test_unknown_account(cli):
    configure_aircall(cli)
    run = cli("call", "aircall.list_calls", "--account", "sale", "--dry-run", "--json")
    assert run.code == 1
    assert run.json["error"]["type"] == "not_configured"
    assert "no account 'sale'" in run.json["error"]["message"]


# -- shortcuts -------------------------------------------------------------------------------------


def test_provider_shortcut_lists_its_functions(cli):
    run = cli("aircall")
    assert run.code == 0
    assert "list_calls" in run.out and "wildix" not in run.out
    run = cli("wildix", "--json")
    assert [p["provider"] for p in run.json] == ["wildix"]


def test_provider_function_shortcut_calls(cli, stub):
    configure_aircall(cli)
    configure_aircall(cli, "sales")
    run = cli("aircall", "list_contacts", "--q", "007", "--dry-run", "--json")
    assert run.code == 0, run
    assert run.json["function"] == "aircall.list_contacts"
    assert run.json["data"]["args"]["q"] == "007"
    run = cli("aircall", "sales", "list_calls", "--dry-run", "--json")
    assert run.code == 0 and run.json["meta"]["account"] == "sales"
    run = cli("aircall", "get_call", '{"call_id": 12}')
    assert run.code == 0 and stub.calls[-1]["args"] == {"call_id": 12}
    assert cli("aircall", "list_calls", "--help").code == 0
    run = cli("aircall", "lst_calls")
    assert run.code == 2 and "Did you mean: aircall.list_calls" in run.err


def test_no_command_is_a_usage_error(cli):
    assert cli().code == 2


# -- secrets never leak ----------------------------------------------------------------------------


def test_the_secret_never_appears_anywhere(cli, home, stub, monkeypatch):
    cli("configure", "aircall", "--set", "api_id=ID-1", "--set", f"api_token={SECRET}")
    cli("configure", "aircall", "--account", "ops", "--stdin-json",
        stdin=json.dumps({"access_token": OTHER_SECRET}))  # fmt: skip
    for args in [
        ("fields", "aircall"),
        ("fields", "aircall", "--json"),
        ("status",),
        ("status", "--json"),
        ("doctor",),
        ("doctor", "--json"),
        ("call", "aircall.list_calls", "--dry-run", "--json"),
        ("call", "aircall.list_users", "--account", "ops", "--json"),
        ("call", "aircall.create_contact", "--json"),
        ("call", "aircall.list_calls", "--per-page", "99"),
        ("configure", "aircall", "--set", f"api_token={SECRET}", "--json"),
        ("configure", "aircall", "--set", f"api_token={SECRET}"),
        ("rotate-key", "--json"),
        ("fields", "aircall", "--json"),
    ]:
        cli(*args)
    assert len(stub.calls) == 1  # the secrets did reach the client
    assert stub.calls[0]["credentials"]["access_token"] == OTHER_SECRET
    for text in cli.outputs:
        assert SECRET not in text and OTHER_SECRET not in text
    for name in ("config.json", "audit.log"):
        data = (home / name).read_bytes()
        assert data, name
        assert SECRET.encode() not in data and OTHER_SECRET.encode() not in data
    audit = [json.loads(line) for line in (home / "audit.log").read_text().splitlines()]
    assert {entry["surface"] for entry in audit} == {"cli"}


# -- the real entry point --------------------------------------------------------------------------


def test_subprocess_configure_call_and_docs(home):
    p = luagate(
        home, "configure", "aircall", "--set", "api_id=ID-1", "--stdin-json",
        stdin=json.dumps({"api_token": SECRET}),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert SECRET not in p.stdout + p.stderr

    p = luagate(home, "aircall", "list_contacts", "--q", "007", "--dry-run", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["data"]["args"]["q"] == "007"

    p = luagate(home, "call", "aircall.list_calls", "--dry-run", stdin='{"per_page": 51}')
    assert p.returncode == 1
    assert "per_page must be <= 50, got 51" in p.stderr

    p = luagate(home, "call", "aircall.list_calls", "--bogus", "1")
    assert p.returncode == 2

    p = luagate(home, "docs", "aircall")
    assert p.returncode == 0 and p.stdout.startswith("# Aircall — Lua API Reference")

    p = luagate(home, "docs", "wildx")
    assert p.returncode == 1 and "Did you mean: wildix" in p.stderr and p.stdout == ""

    p = luagate(home, "doctor", "--json")
    assert p.returncode == 0, p.stdout
    assert json.loads(p.stdout)["ok"] is True


def test_examples_of_a_function_a_provider_and_a_guide(cli):
    from luagate.providers.registry import provider_specs

    wildix = next(p for p in provider_specs() if p.name == "wildix")
    run = cli("examples", "wildix", "--json")
    assert run.code == 0
    got = run.json["examples"]
    expected = [(f.full_name, e.title, e.code) for f in wildix.functions for e in f.examples]
    assert [(e["page"], e["title"], e["code"]) for e in got] == expected

    run = cli("examples", "aircall.list_calls")
    assert run.code == 0
    assert run.out.startswith("-- aircall.list_calls\nlocal result = app.integrations.aircall")

    run = cli("examples")  # the examples guide: its lua blocks under their headings
    assert run.code == 0
    assert "-- examples: Page through every result\nlocal page, all = 1, {}" in run.out
    assert "```" not in run.out

    run = cli("examples", "aircal")
    assert run.code == 1 and "Did you mean: aircall" in run.err


def test_every_printed_example_compiles_as_lua(cli):
    import lupa.lua54

    compile_error = lupa.lua54.LuaRuntime().eval(
        "function(s) local _, err = load(s, '=example', 't') return err end"
    )
    for page in ("aircall", "wildix", "examples"):
        run = cli("examples", page)
        assert run.code == 0
        blocks = run.out.split("\n\n-- ")
        assert len(blocks) >= 4
        for block in blocks:
            assert compile_error(block if block.startswith("-- ") else "-- " + block) is None, block
