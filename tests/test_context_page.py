"""The ``context`` guide page: read from the live configuration (date, providers switched on,
accounts and default, policy), the same from Lua, MCP and the CLI, and never a credential."""

from __future__ import annotations

import calendar
from pathlib import Path

from cli_helpers import luagate

from luagate.accounts.store import AccountStore
from luagate.gateway.context import context_page
from luagate.gateway.gateway import Gateway

TOKEN = "ctx-secret-0123456789"


def gateway_at(home: Path) -> Gateway:
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home), "LUAGATE_AUDIT": "off"})
    return Gateway(store, notify=None)


def test_the_page_tells_accounts_policy_and_what_is_switched_off(tmp_path: Path) -> None:
    gateway = gateway_at(tmp_path)
    aircall = gateway.provider("aircall")
    for name in ("sales", "support"):
        gateway.store.configure(aircall, name, set_values={"api_id": "id", "api_token": TOKEN})
    gateway.store.set_default(aircall, "support")
    gateway.store.set_policy("aircall", write="deny")
    gateway.store.set_enabled("wildix", False)
    gateway = gateway_at(tmp_path)  # as a new process would read it

    now = calendar.timegm((2026, 3, 4, 5, 6, 7))
    page = context_page(gateway, now=now)
    assert "- UTC: 2026-03-04 05:06:07 (UNIX time 1772600767)" in page
    assert "- accounts: `support` (default), `sales`" in page
    assert "- read functions are allowed" in page
    assert "- write functions are refused" in page
    assert "### `wildix`" not in page
    assert "Switched off by the operator (not callable here): `wildix`." in page
    assert TOKEN not in page and "api_token" not in page
    # the page a script reads is this page, rendered when it is read
    run = gateway.run_lua('return docs.read("context")')
    assert run.success, run.error
    assert "`support` (default)" in run.result and TOKEN not in run.result
    assert "context" in [g["page"] for g in gateway.docs.list()["guides"]]


def test_without_accounts_the_page_names_the_demo_and_the_ask_policy(tmp_path: Path) -> None:
    page = gateway_at(tmp_path).docs.read("context")
    assert page.count("`demo` only: luagate's built-in simulator") == 2
    assert "write functions are refused in scripts and agent sessions: the policy is 'ask'" in page


def test_the_cli_reads_the_live_page(tmp_path: Path) -> None:
    configure = luagate(tmp_path, "configure", "aircall", "--disable")
    assert configure.returncode == 0
    shown = luagate(tmp_path, "docs", "context")
    assert shown.returncode == 0
    assert "### `wildix` — Wildix" in shown.stdout and "### `aircall`" not in shown.stdout
    assert "not callable here): `aircall`." in shown.stdout
    found = luagate(tmp_path, "search", "time", "zone", "--json")
    assert found.returncode == 0 and '"page": "context"' in found.stdout


def test_the_page_reflects_this_runs_force_and_only_kinds_that_exist(tmp_path: Path) -> None:
    gateway = gateway_at(tmp_path)
    gateway.store.set_policy("aircall", write="deny")
    gateway = gateway_at(tmp_path)
    plain = gateway.run_lua('return docs.read("context")', isolated=False).result
    forced = gateway.run_lua('return docs.read("context")', isolated=False, force=True).result
    aircall_plain = plain.split("### `wildix`")[0]
    assert "- write functions are refused" in aircall_plain
    assert "- write functions are allowed: this run bypasses" in forced
    # and what the page says is what happens: the forced write goes through
    write = gateway.run_lua(
        'return app.integrations.aircall.create_contact({first_name = "Ada", '
        'phone_numbers = {{label = "Work", value = "+33612345678"}}}).contact.first_name',
        isolated=False,
        force=True,
    )
    assert write.success and write.result == "Ada", write.error
    # Wildix declares no write function: no line about writes
    wildix_part = plain.split("### `wildix`")[1]
    assert "write functions" not in wildix_part and "- read functions are allowed" in wildix_part
