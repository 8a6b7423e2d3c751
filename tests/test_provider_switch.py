"""Switching a provider off and on (``luagate configure P --disable/--enable``): a switched-off
provider keeps its accounts, secrets and policy, and disappears from scripts, agents (MCP) and
their docs; calling it says how to switch it on; status, list and doctor show it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import luagate
from mcp import Client
from mcp_helpers import in_process_server, make_home, run_client, text_of

from luagate.accounts.store import AccountStore
from luagate.errors import NotAvailableError, SecretStoreError
from luagate.gateway.gateway import Gateway


def store_at(home: Path) -> AccountStore:
    return AccountStore(home=home, environ={"LUAGATE_HOME": str(home), "LUAGATE_AUDIT": "off"})


def test_the_store_keeps_the_switch_and_the_accounts(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    wildix = Gateway(store, notify=None).provider("wildix")
    assert store.enabled("wildix") is True  # on unless switched off
    store.configure(
        wildix, "office", set_values={"pbx_url": "acme", "access_token": "s3cret-token"}
    )
    store.set_enabled("wildix", False)
    again = store_at(tmp_path)
    assert again.enabled("wildix") is False and again.enabled("aircall") is True
    assert again.accounts(wildix) == ["office"]
    assert again.credentials(wildix, "office")["access_token"] == "s3cret-token"
    again.set_enabled("wildix", True)
    assert store_at(tmp_path).enabled("wildix") is True


@pytest.mark.parametrize(("off", "on"), [("aircall", "wildix"), ("wildix", "aircall")])
def test_the_guides_show_only_what_is_switched_on(tmp_path: Path, off: str, on: str) -> None:
    store = store_at(tmp_path)
    store.set_enabled(off, False)
    docs = Gateway(store, notify=None).docs
    examples, overview = docs.read("examples"), docs.read("overview")
    assert f"app.integrations.{on}." in examples and off not in examples
    assert f'docs.read("{on}.list_calls")' in overview and f"pcall(app.integrations.{on}." in (
        overview
    )
    assert f"`{off}`" not in overview and f"app.integrations.{off}" not in overview
    errors_guide = docs.read("errors")
    assert f"pcall(app.integrations.{on}.get_call" in errors_guide and off not in errors_guide
    store.set_enabled(on, False)
    docs = Gateway(store, notify=None).docs
    assert "no example to run" in docs.read("examples")
    assert "every provider is switched off here" in docs.read("overview")


def test_a_hand_edited_switch_must_be_true_or_false(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"version": 1, "providers": {"wildix": {"enabled": "no", "accounts": {}}}})
    )
    with pytest.raises(SecretStoreError, match=r'"providers.wildix.enabled" is a string'):
        store_at(tmp_path).enabled("wildix")


def test_the_gateway_hides_a_switched_off_provider(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    store.set_enabled("wildix", False)
    gateway = Gateway(store, notify=None)
    assert [p.name for p in gateway.providers] == ["aircall"]
    assert [p.name for p in gateway.all_providers] == ["aircall", "wildix"]
    assert gateway.provider("wildix", disabled=True).name == "wildix"
    with pytest.raises(NotAvailableError, match="luagate configure wildix --enable"):
        gateway.function("wildix.list_calls")
    envelope = gateway.call("wildix.list_users", {})
    assert envelope["success"] is False and envelope["error"]["type"] == "not_available"
    assert "wildix" not in gateway.docs.page_names()
    listed = gateway.run_lua("return docs.list()", isolated=False).result
    assert [p["page"] for p in listed["providers"]] == ["aircall"]
    for isolated in (False, True):
        run = gateway.run_lua("return app.integrations.wildix.list_users({})", isolated=isolated)
        assert run.error.type == "unknown_name"
        assert (
            "app.integrations.wildix is not available here: the operator switched wildix off"
            in (run.error.message)
        )
        run = gateway.run_lua("return app.integrations.wildx", isolated=isolated)
        assert "Available in app.integrations: aircall." in run.error.message  # wildix unlisted
        names = gateway.run_lua(
            "local n = {} for k in pairs(app.integrations) do n[#n + 1] = k end return n",
            isolated=isolated,
        )
        assert names.result == ["aircall"]
    assert gateway.run_lua(
        "return #app.integrations.aircall.list_users({}).users", isolated=False
    ).success


def test_the_cli_switches_off_and_on(tmp_path: Path) -> None:
    off = luagate(tmp_path, "configure", "wildix", "--disable")
    assert off.returncode == 0 and "wildix is switched off" in off.stdout
    status = json.loads(luagate(tmp_path, "status", "--json").stdout)
    assert {p["provider"]: p["active"] for p in status} == {"aircall": True, "wildix": False}
    table = luagate(tmp_path, "status").stdout
    assert "no (switched off)" in table and "luagate configure wildix --enable" in table

    call = luagate(tmp_path, "call", "wildix.list_users", "--json")
    assert call.returncode == 1
    assert json.loads(call.stdout)["error"]["type"] == "not_available"
    shortcut = luagate(tmp_path, "wildix", "list_users")
    assert shortcut.returncode == 1 and "luagate configure wildix --enable" in shortcut.stderr
    script = luagate(tmp_path, "lua", "-e", "return app.integrations.wildix.list_users({})")
    assert script.returncode == 1 and "luagate configure wildix --enable" in script.stderr
    listing = luagate(tmp_path, "list", "--json")
    assert {p["provider"]: p["active"] for p in json.loads(listing.stdout)} == {
        "aircall": True,
        "wildix": False,
    }
    doctor = luagate(tmp_path, "doctor", "--json")
    entry = next(e for e in json.loads(doctor.stdout)["checked"] if e["provider"] == "wildix")
    assert entry["enabled"] is False and entry["ok"] is True
    assert "switched off, not checked" in luagate(tmp_path, "doctor").stdout
    schema = luagate(tmp_path, "schema", "wildix.list_users")  # the operator may still read it
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"] == "wildix.list_users"
    flags = luagate(tmp_path, "wildix", "list_users", "--help")
    assert flags.returncode == 0 and "--limit" in flags.stdout
    serve = luagate(tmp_path, "serve", "--provider", "wildix")
    assert serve.returncode == 2 and "wildix is switched off" in serve.stderr

    on = luagate(tmp_path, "configure", "wildix", "--enable", "--json")
    assert on.returncode == 0 and json.loads(on.stdout)["enabled"] is True
    back = luagate(tmp_path, "call", "wildix.list_users", "--limit", "2", "--json")
    assert back.returncode == 0 and len(json.loads(back.stdout)["data"]["users"]) == 2


def test_enable_and_disable_together_is_a_usage_error(tmp_path: Path) -> None:
    both = luagate(tmp_path, "configure", "wildix", "--enable", "--disable")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr
    assert not (tmp_path / "config.json").exists()


def test_mcp_serves_only_switched_on_providers(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    store_at(home).set_enabled("aircall", False)

    async def body(client: Client):
        tools = [t.name for t in (await client.list_tools()).tools]
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
        catalog = await client.call_tool("lua_list_docs", {})
        script = await client.call_tool(
            "execute_lua", {"code": "return app.integrations.aircall.list_users({})"}
        )
        return tools, resources, catalog, script

    tools, resources, catalog, script = run_client(in_process_server(home), body)
    assert "wildix__list_calls" in tools
    assert not [t for t in tools if t.startswith("aircall__")]
    assert not [r for r in resources if "aircall" in r]
    assert "aircall" not in text_of(catalog) and "wildix" in text_of(catalog)
    assert script.structured_content["error"]["type"] == "unknown_name"
