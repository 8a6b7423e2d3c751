"""``luagate serve`` over stdio, driven by the official MCP client in a real subprocess: tools,
docs, resources, scripts on the simulators (the demo accounts), bad arguments, and the flags
(``--functions``, ``--write deny``, ``--provider``, limits). Starting the SDK costs seconds, so
each test asks one server many things."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mcp import ClientSession
from mcp_helpers import (
    TIMEOUT_S,
    live_children,
    make_home,
    run_stdio,
    running,
    server_env,
    text_of,
    wait_until,
)

DEFAULT_TOOLS = {"lua_list_docs", "lua_search_docs", "lua_read_doc", "execute_lua"}

SCRIPT = """
local calls = app.integrations.aircall.list_calls({ per_page = 3 })
local users = app.integrations.wildix.list_users({})
print("calls:", #calls.calls)
return { calls = #calls.calls, first_user = users.users[1].name ~= nil }
"""

# a contact Aircall accepts, as a Lua table
ADA = '{first_name = "Ada", phone_numbers = {{label = "Work", value = "+33612345678"}}}'


def test_default_server_over_stdio(tmp_path: Path) -> None:
    async def body(session: ClientSession):
        got = {"tools": (await session.list_tools()).tools}
        got["listed"] = await session.call_tool("lua_list_docs", {})
        got["found"] = await session.call_tool(
            "lua_search_docs", {"query": "list calls", "limit": 3}
        )
        got["page"] = await session.call_tool("lua_read_doc", {"page": "aircall.list_calls"})
        got["wrong_page"] = await session.call_tool("lua_read_doc", {"page": "aircall.list_cals"})
        got["resources"] = (await session.list_resources()).resources
        got["resource"] = await session.read_resource("luagate://docs/aircall.list_calls")
        got["ok"] = await session.call_tool("execute_lua", {"code": SCRIPT})
        got["failed"] = await session.call_tool(
            "execute_lua", {"code": 'local x = 1\nerror("boom")'}
        )
        got["missing"] = await session.call_tool("execute_lua", {})
        got["no_tool"] = await session.call_tool("no_such_tool", {})
        got["after"] = await session.call_tool("execute_lua", {"code": "return 7"})
        return got

    got = run_stdio(make_home(tmp_path), [], body)
    by_name = {t.name: t for t in got["tools"]}
    assert set(by_name) == DEFAULT_TOOLS  # no function tools without --functions
    execute = by_name["execute_lua"]
    assert execute.input_schema["required"] == ["code"]
    assert set(execute.input_schema["properties"]) == {
        "code",
        "timeout_s",
        "memory_mb",
        "max_calls",
        "output_bytes",
    }
    assert execute.output_schema["type"] == "object"
    assert by_name["lua_read_doc"].annotations.read_only_hint is True
    assert execute.annotations.read_only_hint is False

    catalog = got["listed"].structured_content
    assert {p["page"] for p in catalog["providers"]} == {"aircall", "wildix"}
    assert "aircall.list_calls [read]" in text_of(got["listed"])
    pages = [r["page"] for r in got["found"].structured_content["results"]]
    assert "aircall.list_calls" in pages and len(pages) <= 3
    page = text_of(got["page"])
    assert page.startswith("# aircall.list_calls")
    assert got["wrong_page"].is_error
    assert "Did you mean: aircall.list_calls" in text_of(got["wrong_page"])
    uris = {str(r.uri) for r in got["resources"]}
    assert {"luagate://docs/overview", "luagate://docs/wildix.get_call"} <= uris
    assert got["resource"].contents[0].text == page

    ok = got["ok"]
    envelope = ok.structured_content
    assert not ok.is_error and envelope["success"], text_of(ok)
    assert envelope["result"] == {"calls": 3, "first_user": True}
    assert envelope["output"] == "calls:\t3\n"
    assert [c["path"] for c in envelope["calls"]] == [
        "app.integrations.aircall.list_calls",
        "app.integrations.wildix.list_users",
    ]
    assert all(c["account"] == "demo" and c["ok"] for c in envelope["calls"])
    text = text_of(ok)
    assert "Output:\ncalls:\t3" in text and "Calls made (2):" in text and "Return value:" in text

    failed = got["failed"]
    assert failed.is_error and failed.structured_content["error"]["line"] == 2
    assert "(line 2)" in text_of(failed) and "boom" in text_of(failed)
    assert got["missing"].is_error and "missing argument 'code'" in text_of(got["missing"])
    assert got["no_tool"].is_error and "Unknown tool 'no_such_tool'" in text_of(got["no_tool"])
    assert not got["after"].is_error and got["after"].structured_content["result"] == 7


def test_flags_select_narrow_and_limit(tmp_path: Path) -> None:
    home = make_home(tmp_path, aircall="allow")  # the provider itself would allow writes
    args = ["--functions", "--write", "deny", "--provider", "aircall", "--timeout", "5"]
    write = "return app.integrations.aircall.create_contact(" + ADA + ")"

    async def body(session: ClientSession):
        got = {"tools": (await session.list_tools()).tools}
        got["write"] = await session.call_tool("execute_lua", {"code": write})
        got["read"] = await session.call_tool("aircall__list_calls", {"per_page": 2})
        got["wildix"] = await session.call_tool(
            "execute_lua", {"code": "return app.integrations.wildix.list_users({})"}
        )
        got["limits"] = await session.call_tool(
            "execute_lua", {"code": "return 1", "timeout_s": 300}
        )
        return got

    got = run_stdio(home, args, body)
    names = {t.name for t in got["tools"]}
    assert "aircall__list_calls" in names
    assert "aircall__create_contact" not in names and "aircall__update_contact" not in names
    assert not any(n.startswith("wildix__") for n in names)
    assert got["write"].is_error
    error = got["write"].structured_content["error"]
    assert error["type"] == "policy" and "--write deny" in error["message"]
    assert not got["read"].is_error and len(got["read"].structured_content["calls"]) == 2
    assert got["wildix"].is_error and "wildix" in text_of(got["wildix"])
    assert got["limits"].structured_content["limits"]["timeout_s"] == 5


def test_end_of_input_ends_the_server_and_its_running_script(tmp_path: Path) -> None:
    """The client goes away (stdin closes) while a script runs: the server and the script's
    worker end at once, not at the script's deadline. Raw JSON-RPC lines over pipes, because the
    SDK's client would kill a server that lingers and so hide the defect; and JSON's 1e999,
    which no client library sends, reaches execute_lua as infinity and keeps the ceiling."""
    server = subprocess.Popen(
        [sys.executable, "-m", "luagate", "serve", "--timeout", "90"],  # beyond every wait
        env=server_env(make_home(tmp_path)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert server.stdin is not None and server.stdout is not None

    def send(line: str) -> None:
        server.stdin.write(line.encode() + b"\n")
        server.stdin.flush()

    try:
        send(
            '{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion":'
            ' "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}'
        )
        assert json.loads(server.stdout.readline())["id"] == 1
        send('{"jsonrpc": "2.0", "method": "notifications/initialized"}')
        send(
            '{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": '
            '"execute_lua", "arguments": {"code": "return 1", "timeout_s": 1e999, '
            '"memory_mb": 1e999}}}'
        )
        answer = json.loads(server.stdout.readline())["result"]
        assert not answer["isError"], answer
        assert answer["structuredContent"]["limits"]["timeout_s"] == 90

        send(
            '{"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": '
            '"execute_lua", "arguments": {"code": "while true do end"}}}'
        )
        fork_servers = live_children(server.pid)
        assert wait_until(lambda: any(live_children(pid) for pid in fork_servers))
        workers = {w for pid in fork_servers for w in live_children(pid)}
        server.stdin.close()  # the client is gone
        server.wait(TIMEOUT_S)  # long before the script's deadline
        assert server.returncode == 0
        assert wait_until(lambda: not any(running(pid) for pid in workers | fork_servers))
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
