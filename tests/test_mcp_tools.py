"""The MCP tools in detail, with the official client connected in-process: function tools
(schemas, annotations, structured content, errors), policy narrowing, limits, bad arguments."""

from __future__ import annotations

from pathlib import Path

from mcp import Client
from mcp_helpers import in_process_server, make_home, run_client, text_of

from luagate.catalog.schema import input_schema, output_schema
from luagate.lua.limits import Limits
from luagate.providers.registry import provider_specs

FUNCTIONS = [f for p in provider_specs() for f in p.functions]


def test_one_tool_per_function_with_the_specs_schemas(tmp_path: Path) -> None:
    async def body(client: Client):
        return (await client.list_tools()).tools

    tools = {t.name: t for t in run_client(in_process_server(make_home(tmp_path)), body)}
    for function in FUNCTIONS:
        tool = tools[f"{function.provider}__{function.name}"]
        expected = input_schema(function)
        assert tool.input_schema["properties"].pop("account")["type"] == "string"
        assert tool.input_schema["properties"] == expected["properties"]
        assert tool.input_schema.get("required") == expected.get("required")
        assert tool.input_schema["additionalProperties"] is False
        assert tool.output_schema["properties"] == output_schema(function)["properties"]
        read = function.kind == "read"
        assert tool.annotations.read_only_hint is read
        assert tool.annotations.destructive_hint is (not read)
    assert len(tools) == 4 + len(FUNCTIONS)


def test_function_tools_call_the_simulators(tmp_path: Path) -> None:
    async def body(client: Client):
        return [
            await client.call_tool("aircall__list_calls", {"per_page": 2}),
            await client.call_tool("wildix__get_current_user", {"account": "demo"}),
            await client.call_tool("aircall__list_calls", {"per_page": 2000}),
            await client.call_tool("aircall__list_calls", {"account": "sales"}),
            await client.call_tool("wildix__get_call", {}),
            await client.call_tool("aircall__list_calls", {"per_page": 1}),
        ]

    calls, me, too_many, no_account, missing, after = run_client(
        in_process_server(make_home(tmp_path)), body
    )
    assert not calls.is_error and len(calls.structured_content["calls"]) == 2
    assert calls.meta["luagate"]["account"] == "demo"
    assert '"calls"' in text_of(calls)
    assert not me.is_error and isinstance(me.structured_content, dict)
    assert too_many.is_error and "per_page must be <= 50, got 2000" in text_of(too_many)
    assert too_many.structured_content["error"]["type"] == "validation"
    assert no_account.is_error and "no account 'sales'" in text_of(no_account)
    assert missing.is_error and "id" in text_of(missing)
    assert not after.is_error and len(after.structured_content["calls"]) == 1


def test_write_policy_can_only_narrow(tmp_path: Path) -> None:
    contact = {"first_name": "Ada", "phone_numbers": [{"label": "Work", "value": "+33612345678"}]}
    write = (
        "return app.integrations.aircall.create_contact({ first_name = 'Ada', phone_numbers = "
        "{{ label = 'Work', value = '+33612345678' }} }).contact.id"
    )

    async def body(client: Client):
        names = {t.name for t in (await client.list_tools()).tools}
        script = await client.call_tool("execute_lua", {"code": write})
        tool = await client.call_tool("aircall__create_contact", contact)
        return names, script, tool

    # the provider allows writes and the server does not narrow: writes go through
    allowed = make_home(tmp_path / "a", aircall="allow")
    names, script, tool = run_client(in_process_server(allowed), body)
    assert "aircall__create_contact" in names
    assert not script.is_error, text_of(script)
    assert isinstance(script.structured_content["result"], int)
    assert not tool.is_error and tool.structured_content["contact"]["first_name"] == "Ada"

    # the provider denies writes: --write allow cannot widen it
    denied = make_home(tmp_path / "d", aircall="deny")
    names, script, tool = run_client(in_process_server(denied, write="allow"), body)
    assert "aircall__create_contact" not in names
    assert script.structured_content["error"]["type"] == "policy"
    assert "policy is 'deny'" in script.structured_content["error"]["message"]
    assert tool.is_error and "hidden" in text_of(tool)

    # --write ask over a provider that allows: writes are visible but nobody can approve them
    names, script, tool = run_client(in_process_server(allowed, write="ask"), body)
    assert "aircall__create_contact" in names
    assert tool.is_error and "no one to ask" in text_of(tool)
    assert script.structured_content["error"]["type"] == "policy"

    # --write deny: hidden, and refused inside scripts, though the provider allows writes
    names, script, tool = run_client(in_process_server(allowed, write="deny"), body)
    assert not any("contact" in n and "list" not in n for n in names)
    assert "--write deny" in script.structured_content["error"]["message"]
    assert tool.is_error


def test_limits_and_bad_script_arguments(tmp_path: Path) -> None:
    async def body(client: Client):
        return [
            await client.call_tool("execute_lua", {"code": "return 1", "max_calls": 10**6}),
            await client.call_tool(
                "execute_lua", {"code": "while true do end", "timeout_s": 0.3, "memory_mb": 8}
            ),
            await client.call_tool("execute_lua", {"code": "return 1", "memory_mb": 0.5}),
            await client.call_tool("execute_lua", {"code": "return 1", "speed": 3}),
            await client.call_tool("execute_lua", {"code": 42}),
            await client.call_tool("lua_search_docs", {"query": "calls", "limit": 500}),
            await client.call_tool("execute_lua", {"code": "return (("}),
            await client.call_tool("execute_lua", {"code": 'print(("é"):rep(40)) return 1'}),
        ]

    server = in_process_server(
        make_home(tmp_path), functions=False, limits=Limits(timeout_s=5, max_calls=20)
    )
    higher, runaway, small, unknown, wrong, many, syntax, unicode = run_client(server, body)
    assert higher.structured_content["limits"]["max_calls"] == 20
    assert higher.structured_content["limits"]["timeout_s"] == 5
    assert runaway.structured_content["limits"]["timeout_s"] == 0.3
    assert runaway.structured_content["limits"]["memory_bytes"] == 8 * 1024 * 1024
    assert runaway.structured_content["error"]["type"] == "time_limit"
    assert small.is_error and "memory_bytes must be at least 1 MiB" in text_of(small)
    assert unknown.is_error and "unknown argument 'speed'" in text_of(unknown)
    assert wrong.is_error and "argument 'code'" in text_of(wrong)
    assert many.is_error and "argument 'limit'" in text_of(many) and "50" in text_of(many)
    assert syntax.is_error and "[syntax]" in text_of(syntax)
    assert unicode.structured_content["output"] == "é" * 40 + "\n"
