"""The gateway through Python and Lua: validation, accounts, policy, dry runs, audit, secrets."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from luagate.accounts.store import AccountStore
from luagate.catalog.schema import input_schema
from luagate.errors import SecretStoreError
from luagate.gateway.gateway import Gateway
from luagate.gateway.lua_host import GatewayHost

SECRET = "tok-Zq81-very-secret-value"

# a contact Aircall accepts, as a Lua table
ADA = '{first_name = "Ada", phone_numbers = {{label = "Work", value = "+33612345678"}}}'


class StubClient:
    """Stands in for a provider client: records what reached it, answers with canned data."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], dict[str, str]]] = []

    def call(self, function, args, credentials, context):
        self.calls.append((function.full_name, args, credentials))
        return {
            "function": function.full_name,
            "args": args,
            "account_id": credentials.get("api_id"),
        }


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def make_store(home: Path, **env: str) -> AccountStore:
    return AccountStore(home=home, environ={"LUAGATE_HOME": str(home), **env})


@pytest.fixture
def store(home: Path) -> AccountStore:
    s = make_store(home)
    aircall = Gateway(s).provider("aircall")
    s.configure(aircall, "default", set_values={"api_id": "id-default", "api_token": SECRET})
    s.configure(aircall, "sales", set_values={"api_id": "id-sales", "api_token": SECRET + "-2"})
    return s


@pytest.fixture
def stub() -> StubClient:
    return StubClient()


@pytest.fixture
def gateway(store: AccountStore, stub: StubClient) -> Gateway:
    return Gateway(store, clients={"aircall": stub, "wildix": stub})


# -- validation: one rule, every path -------------------------------------------------------

INVALID = [
    ("aircall.list_calls", {"per_page": 51}, "per_page must be <= 50, got 51"),
    ("aircall.list_calls", {"per_page": 0}, "per_page must be >= 1, got 0"),
    ("aircall.list_calls", {"per_page": "10"}, 'per_page must be an integer, got string "10"'),
    ("aircall.list_calls", {"per_page": 2.5}, "per_page must be an integer, got number 2.5"),
    ("aircall.list_calls", {"order": "up"}, 'order must be one of "asc", "desc", got "up"'),
    ("aircall.list_calls", {"from": "yesterday"}, "from must be an ISO 8601 date-time"),
    ("aircall.list_calls", {"per_pag": 5}, "unknown parameter 'per_pag'. Did you mean 'per_page'?"),
    ("aircall.get_call", {}, "call_id is required (an integer)"),
    (
        "aircall.create_contact",
        {"phone_numbers": [{"label": "Work"}]},
        "phone_numbers[1].value is required",
    ),
    ("wildix.list_calls", {"date_from": "2026-13-01"}, "date_from must be an ISO 8601 date"),
]


@pytest.mark.parametrize(("function", "args", "message"), INVALID, ids=[m for _, _, m in INVALID])
def test_validation_through_python(gateway, stub, function, args, message):
    envelope = gateway.call(function, args, dry_run=False, force=True)
    assert envelope["success"] is False
    assert envelope["error"]["type"] == "validation"
    assert message in envelope["error"]["message"]
    assert function in envelope["error"]["message"]
    assert stub.calls == []  # nothing invalid ever reaches a provider


def _lua_table(args: dict[str, Any]) -> str:
    return f"json.decode([==[{json.dumps(args)}]==])"


@pytest.mark.parametrize(("function", "args", "message"), INVALID, ids=[m for _, _, m in INVALID])
def test_validation_through_lua(any_executor, gateway, stub, function, args, message):
    code = f"local r = app.integrations.{function}({_lua_table(args)})\nreturn r"
    e = any_executor.run(code, GatewayHost(gateway, force=True))
    assert not e.success
    assert e.error.type == "validation"
    assert message in e.error.message
    assert e.error.line == 1
    assert stub.calls == []
    assert [(c.path, c.ok, c.error) for c in e.calls] == [
        (f"app.integrations.{function}", False, "validation")
    ]


def test_validation_errors_are_catchable_in_lua(any_executor, gateway):
    e = any_executor.run(
        "local ok, err = pcall(app.integrations.aircall.list_calls, {per_page = 51})\n"
        "return {ok, err}",
        GatewayHost(gateway),
    )
    assert e.success, e.error
    assert e.result[0] is False
    assert "per_page must be <= 50, got 51" in e.result[1]


def test_unknown_function_and_provider_suggest(gateway):
    e = gateway.call("aircall.list_call")
    assert e["error"]["type"] == "unknown_function"
    assert "Did you mean: aircall.list_calls" in e["error"]["message"]
    e = gateway.call("aircal.list_calls")
    assert "Did you mean: aircall?" in e["error"]["message"]


def test_unknown_names_in_lua_list_what_exists(any_executor, gateway):
    e = any_executor.run("local r = app.integrations.aircall.list_cals({})", GatewayHost(gateway))
    assert e.error.type == "unknown_name"
    assert "Did you mean: app.integrations.aircall.list_calls" in e.error.message
    e = any_executor.run("local r = app.integrations.aircal", GatewayHost(gateway))
    assert "Did you mean: app.integrations.aircall?" in e.error.message


def test_defaults_are_applied_and_integers_stay_integers(gateway, stub):
    envelope = gateway.call("aircall.list_calls", {"direction": "inbound", "per_page": 10.0})
    assert envelope["success"], envelope
    _, args, _ = stub.calls[0]
    assert args == {"per_page": 10, "page": 1, "order": "desc", "direction": "inbound"}
    assert isinstance(args["per_page"], int)


# -- accounts ----------------------------------------------------------------------------------


def test_accounts_by_namespace(any_executor, gateway, stub):
    code = """
        local a = app.integrations.aircall.list_users({})
        local b = app.integrations.aircall.default.list_users({})
        local c = app.integrations.aircall.sales.list_users({})
        local d = app.integrations["aircall"]["sales"].list_users({})
        return {a.account_id, b.account_id, c.account_id, d.account_id}
    """
    e = any_executor.run(code, GatewayHost(gateway))
    assert e.success, e.error
    assert e.result == ["id-default", "id-default", "id-sales", "id-sales"]
    assert [c.account for c in e.calls] == ["default", "default", "sales", "sales"]


def test_only_named_accounts_first_is_default(home, stub, any_executor):
    store = make_store(home)
    gateway = Gateway(store, clients={"aircall": stub})
    aircall = gateway.provider("aircall")
    store.configure(aircall, "support", set_values={"api_id": "id-support", "api_token": SECRET})
    store.configure(aircall, "eu", set_values={"api_id": "id-eu", "api_token": SECRET})
    code = "return app.integrations.aircall.list_numbers({}).account_id"
    assert any_executor.run(code, GatewayHost(gateway)).result == "id-eu"
    store.set_default(aircall, "support")
    assert any_executor.run(code, GatewayHost(gateway)).result == "id-support"


def test_unknown_account_lists_accounts(gateway):
    e = gateway.call("aircall.list_users", account="sale")
    assert e["error"]["type"] == "not_configured"
    assert "Did you mean: sale" in e["error"]["message"]  # "sales"
    assert "Accounts: default, sales." in e["error"]["message"]


def test_missing_credentials_give_the_exact_command(home, stub):
    store = make_store(home)
    gateway = Gateway(store, clients={"aircall": stub})
    e = gateway.call("aircall.list_users", account="sales")
    assert e["error"]["type"] == "not_configured"
    assert (
        "luagate configure aircall --account sales --set api_id=<api_id>" in e["error"]["message"]
    )
    store.configure(gateway.provider("aircall"), "default", set_values={"api_id": "x"})
    e = gateway.call("aircall.list_users")
    assert e["error"]["type"] == "not_configured"
    assert "needs api_token" in e["error"]["message"]
    assert stub.calls == []


def test_accounts_from_the_environment(home, stub):
    store = make_store(
        home,
        LUAGATE_AIRCALL_EU_SALES_API_ID="env-id",
        LUAGATE_AIRCALL_EU_SALES_ACCESS_TOKEN=SECRET,
    )
    gateway = Gateway(store, clients={"aircall": stub})
    e = gateway.call("aircall.list_users", account="eu_sales")
    assert e["success"], e
    assert stub.calls[0][2] == {"api_id": "env-id", "access_token": SECRET}


def test_env_references_resolve_at_use(home, stub):
    store = make_store(home, MY_AIRCALL_TOKEN=SECRET)
    gateway = Gateway(store, clients={"aircall": stub})
    aircall = gateway.provider("aircall")
    store.configure(
        aircall, "default", set_values={"api_id": "i", "api_token": "env:MY_AIRCALL_TOKEN"}
    )
    assert gateway.call("aircall.list_users")["success"]
    assert stub.calls[0][2]["api_token"] == SECRET
    assert "env:MY_AIRCALL_TOKEN" in (home / "config.json").read_text()
    unset = Gateway(make_store(home), clients={"aircall": stub})
    e = unset.call("aircall.list_users")
    assert "MY_AIRCALL_TOKEN, which is not set" in e["error"]["message"]


# -- policy, force, dry run --------------------------------------------------------------------


def test_write_is_ask_by_default_and_refused_headless(gateway, stub):
    e = gateway.call(
        "aircall.create_contact",
        {"first_name": "Ada", "phone_numbers": [{"label": "Work", "value": "+33612345678"}]},
    )
    assert e["error"]["type"] == "policy"
    assert "--force" in e["error"]["message"]
    assert "luagate configure aircall --write allow" in e["error"]["message"]
    assert stub.calls == []


def test_force_bypasses_policy_only(gateway, stub):
    e = gateway.call(
        "aircall.create_contact",
        {"first_name": "Ada", "phone_numbers": [{"label": "Work", "value": "+33612345678"}]},
        force=True,
    )
    assert e["success"], e
    assert e["meta"]["permission_bypassed"] is True
    e = gateway.call("aircall.create_contact", {"first_name": 7}, force=True)
    assert e["error"]["type"] == "validation"  # force never skips validation
    e = gateway.call("aircall.list_users", force=True)
    assert e["meta"]["permission_bypassed"] is False  # reads were allowed anyway


def test_deny_and_allow(gateway, store, stub):
    store.set_policy("aircall", read="deny")
    e = gateway.call("aircall.list_users")
    assert e["error"]["type"] == "policy" and "'deny'" in e["error"]["message"]
    store.set_policy("aircall", read="allow", write="allow")
    assert gateway.call(
        "aircall.create_contact",
        {"first_name": "Ada", "phone_numbers": [{"label": "Work", "value": "+33612345678"}]},
    )["success"]


def test_policy_applies_inside_lua(any_executor, gateway, stub):
    e = any_executor.run(
        "local r = app.integrations.aircall.create_contact(" + ADA + ")",
        GatewayHost(gateway),
    )
    assert e.error.type == "policy"
    assert stub.calls == []
    e = any_executor.run(
        "return app.integrations.aircall.create_contact(" + ADA + ")['function']",
        GatewayHost(gateway, force=True),
    )
    assert e.result == "aircall.create_contact"


def test_dry_run_stops_before_the_provider(gateway, stub):
    e = gateway.call("aircall.list_calls", {"per_page": 5}, dry_run=True)
    assert e["success"] and e["meta"]["dry_run"] is True
    assert e["data"] == {
        "would_call": "aircall.list_calls",
        "args": {"per_page": 5, "page": 1, "order": "desc"},
    }
    assert stub.calls == []
    e = gateway.call("aircall.list_calls", {"per_page": 99}, dry_run=True)
    assert e["error"]["type"] == "validation"


def test_an_ask_callback_decides(store, stub):
    asked = []
    gateway = Gateway(
        store, clients={"aircall": stub}, ask=lambda f, a: asked.append((f.full_name, a)) or True
    )
    assert gateway.call("aircall.update_contact", {"contact_id": 1, "first_name": "B"})["success"]
    assert asked == [("aircall.update_contact", "default")]


def test_a_provider_without_a_client_is_a_clear_error(store, monkeypatch):
    import luagate.gateway.gateway as gateway_module

    monkeypatch.setattr(gateway_module, "provider_client", lambda name: None)
    e = Gateway(store).call("aircall.list_users")
    assert e["error"]["type"] == "not_available"
    assert "--dry-run" in e["error"]["message"]


# -- secrets, audit ----------------------------------------------------------------------------


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_secrets_are_encrypted_at_rest_and_never_audited(any_executor, gateway, home):
    e = gateway.call("aircall.list_users")
    assert e["success"]
    any_executor.run("return app.integrations.aircall.sales.list_users({})", GatewayHost(gateway))
    everything = _all_bytes(home)
    assert SECRET.encode() not in everything
    key = home / "secret.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "config.json").stat().st_mode) == 0o600
    lines = [json.loads(x) for x in (home / "audit.log").read_text().splitlines()]
    assert [(x["function"], x["account"], x["outcome"], x["surface"]) for x in lines] == [
        ("aircall.list_users", "default", "ok", "python"),
        ("aircall.list_users", "sales", "ok", "python"),
    ]
    assert all("args" not in x for x in lines)


def test_no_secret_in_envelopes_or_errors(any_executor, gateway):
    outputs = [
        json.dumps(gateway.call("aircall.list_users")),
        json.dumps(gateway.call("aircall.get_call", {})),
        json.dumps(
            any_executor.run(
                "print(app.integrations.aircall.list_users({}))", GatewayHost(gateway)
            ).to_dict()
        ),
    ]
    # the stub echoes only the api_id; a real leak would show the token
    for text in outputs:
        assert SECRET not in text


def test_wrong_key_is_an_error_never_plaintext(home, store):
    other = make_store(home, LUAGATE_SECRET_KEY="x" * 43 + "=")
    gateway = Gateway(other, clients={"aircall": StubClient()})
    e = gateway.call("aircall.list_users")
    assert e["error"]["type"] == "secret_store"
    assert SECRET not in json.dumps(e)


def test_key_rotation_keeps_credentials(home, store, stub):
    old_key = (home / "secret.key").read_bytes()
    assert store.rotate_key() == 2
    assert (home / "secret.key").read_bytes() != old_key
    fresh = Gateway(make_store(home), clients={"aircall": stub})
    assert fresh.call("aircall.list_users", account="sales")["success"]
    assert stub.calls[-1][2]["api_token"] == SECRET + "-2"


def test_deleting_an_account(home, store, stub):
    aircall = Gateway(store).provider("aircall")
    assert store.delete_account(aircall, "sales")
    gateway = Gateway(make_store(home), clients={"aircall": stub})
    assert gateway.call("aircall.list_users", account="sales")["error"]["type"] == "not_configured"


def test_loose_key_file_permissions_are_refused(home, store):
    os.chmod(home / "secret.key", 0o644)
    e = Gateway(make_store(home), clients={"aircall": StubClient()}).call("aircall.list_users")
    assert e["error"]["type"] == "secret_store"
    assert "chmod 600" in e["error"]["message"]


def test_secret_store_error_class_is_typed():
    assert SecretStoreError("x").to_dict() == {"type": "secret_store", "message": "x"}


# -- docs from Lua, schema ---------------------------------------------------------------------


def test_docs_from_lua_are_not_counted_as_calls(any_executor, gateway):
    code = """
        local catalog = docs.list()
        local page = docs.read("aircall.list_calls")
        local hits = docs.search("missed inbound calls")
        return {#catalog.providers, page:sub(1, 40), hits[1].page}
    """
    e = any_executor.run(code, GatewayHost(gateway))
    assert e.success, e.error
    assert e.result[0] == 2
    assert e.result[1].startswith("# aircall.list_calls")
    assert e.result[2] == "aircall.list_calls"
    assert e.calls == []


def test_docs_read_unknown_page_suggests(any_executor, gateway):
    e = any_executor.run('local p = docs.read("aircall.list_call")', GatewayHost(gateway))
    assert e.error.type == "unknown_function"
    assert "Did you mean: aircall.list_calls" in e.error.message


def test_input_schema_carries_the_limits(gateway):
    _, spec = gateway.function("aircall.list_calls")
    schema = input_schema(spec)
    assert schema["properties"]["per_page"]["maximum"] == 50
    assert schema["properties"]["order"]["enum"] == ["asc", "desc"]
    assert schema["additionalProperties"] is False
    _, spec = gateway.function("aircall.get_call")
    assert input_schema(spec)["required"] == ["call_id"]
