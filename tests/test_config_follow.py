"""A long-lived gateway (``luagate serve``, a Python program) follows config.json as other
processes change it: policy, accounts, which providers are on, from the next call or script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from mcp import ClientSession
from mcp_helpers import make_home, run_stdio, server_env

from luagate.accounts.store import AccountStore
from luagate.gateway.gateway import FOLLOW_EVERY_S, Gateway

WRITE = (
    "local c = app.integrations.aircall.create_contact({ first_name = 'Ada', phone_numbers"
    " = {{ label = 'Work', value = '+33612345678' }} })\nreturn c ~= nil"
)


def luagate(home: Path, *args: str) -> None:
    """The operator, in another process."""
    done = subprocess.run(
        [sys.executable, "-m", "luagate", *args],
        env=server_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def store_at(home: Path) -> AccountStore:
    return AccountStore(home=home, environ={"LUAGATE_HOME": str(home), "LUAGATE_AUDIT": "off"})


def test_a_running_server_applies_configure_from_its_next_call(tmp_path: Path) -> None:
    home = make_home(tmp_path, aircall="allow")

    async def body(session: ClientSession) -> list[dict]:
        seen = []

        async def write() -> None:
            result = await session.call_tool("execute_lua", {"code": WRITE})
            seen.append(result.structured_content)

        await write()
        luagate(home, "configure", "aircall", "--write", "deny")
        await write()
        luagate(home, "configure", "aircall", "--write", "allow")
        await write()
        luagate(home, "configure", "wildix", "--disable")
        result = await session.call_tool(
            "execute_lua", {"code": "return app.integrations.wildix.list_users({})"}
        )
        seen.append(result.structured_content)
        return seen

    allowed, denied, allowed_again, switched_off = run_stdio(home, [], body)
    assert allowed["success"] and allowed["result"] is True, allowed
    assert not denied["success"] and denied["error"]["type"] == "policy", denied
    assert "aircall's write policy is 'deny'" in denied["error"]["message"]
    assert allowed_again["success"], allowed_again
    assert not switched_off["success"], switched_off
    assert "switched wildix off" in switched_off["error"]["message"], switched_off


def test_a_python_gateway_sees_accounts_added_by_another_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    gateway = Gateway(store_at(home), notify=None)
    before = gateway.call("aircall.list_users", {}, account="sales", dry_run=True)
    assert before["error"]["type"] == "not_configured", before
    assert "has no account 'sales'" in before["error"]["message"]
    unknown = gateway.run_lua("return app.integrations.aircall.sales", isolated=False)
    assert unknown.error is not None and unknown.error.type == "unknown_name", unknown

    other = store_at(home)  # another process's view: configure in a separate store
    other.configure(
        gateway.provider("aircall"), "sales", set_values={"api_id": "1", "api_token": "t0ken"}
    )
    time.sleep(FOLLOW_EVERY_S)  # a gateway looks at most this often
    after = gateway.call("aircall.list_users", {}, account="sales", dry_run=True)
    assert after["success"] and after["meta"]["account"] == "sales", after
    assert (
        gateway.run_lua("return app.integrations.aircall.sales ~= nil", isolated=False).result
        is True
    )
    # and the configured account replaces the built-in demo as the default
    assert gateway.call("aircall.list_users", {}, dry_run=True)["meta"]["account"] == "sales"


def test_an_unchanged_config_is_not_read_again(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = store_at(home)
    store.set_policy("aircall", write="allow")
    gateway = Gateway(store, notify=None)
    gateway.call("aircall.list_users", {}, dry_run=True)
    read = store._config
    assert read is not None
    for _ in range(3):
        gateway.call("aircall.list_users", {}, dry_run=True)
    assert store._config is read  # one stat a call, no read
    store_at(home).set_policy("aircall", write="deny")
    time.sleep(FOLLOW_EVERY_S)
    gateway.call("aircall.list_users", {}, dry_run=True)
    assert store._config is not read and store.policy("aircall")["write"] == "deny"


def test_a_broken_config_fails_the_call_until_it_is_fixed(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = store_at(home)
    store.set_policy("aircall", write="allow")
    gateway = Gateway(store, notify=None)
    assert gateway.call("aircall.list_users", {}, dry_run=True)["success"]
    path = home / "config.json"
    good = path.read_text()
    path.write_text('{"version": 1, "providers": ')  # an editor caught mid-write
    time.sleep(FOLLOW_EVERY_S)
    broken = gateway.call("aircall.list_users", {}, dry_run=True)
    assert broken["error"]["type"] == "secret_store", broken
    assert "is not valid JSON" in broken["error"]["message"]
    path.write_text(good + "\n")  # another size: seen as changed even within one mtime tick
    os.utime(path)
    time.sleep(FOLLOW_EVERY_S)
    assert gateway.call("aircall.list_users", {}, dry_run=True)["success"]
    assert json.loads(path.read_text())["providers"]["aircall"]["policy"]["write"] == "allow"


def test_a_gateway_looks_at_config_json_at_most_every_tenth_of_a_second(tmp_path: Path) -> None:
    store = store_at(tmp_path / "home")
    store.set_policy("aircall", write="allow")
    gateway = Gateway(store, notify=None)
    looks = []
    real = store.refresh
    store.refresh = lambda: looks.append(time.monotonic()) or real()  # type: ignore[method-assign]
    started = time.monotonic()
    for _ in range(300):
        gateway.call("aircall.list_users", {}, dry_run=True)
    elapsed = time.monotonic() - started
    assert len(looks) <= elapsed / FOLLOW_EVERY_S + 1, (len(looks), elapsed)
    time.sleep(FOLLOW_EVERY_S)
    gateway.call("aircall.list_users", {}, dry_run=True)
    assert looks and looks[-1] >= started + FOLLOW_EVERY_S  # and it does look again
