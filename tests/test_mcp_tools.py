"""The MCP tools in detail, with the official client connected in-process: function tools
(schemas, annotations, structured content, errors), policy narrowing, limits, bad arguments."""

from __future__ import annotations

import math
from pathlib import Path

import anyio
from mcp import Client
from mcp_helpers import (
    in_process_server,
    live_children,
    make_home,
    run_client,
    running,
    text_of,
    wait_until,
)

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
    assert small.is_error and "'memory_mb' must be at least 1 (MiB), got 0.5" in text_of(small)
    assert unknown.is_error and "unknown argument 'speed'" in text_of(unknown)
    assert wrong.is_error and "argument 'code'" in text_of(wrong)
    assert many.is_error and "argument 'limit'" in text_of(many) and "50" in text_of(many)
    assert syntax.is_error and "[syntax]" in text_of(syntax)
    assert unicode.structured_content["output"] == "é" * 40 + "\n"


def test_limit_arguments_above_the_ceiling_keep_it(tmp_path: Path) -> None:
    ceilings = Limits(timeout_s=5, memory_bytes=32 * 1024 * 1024, max_calls=20, output_bytes=4096)
    server = in_process_server(make_home(tmp_path), functions=False, limits=ceilings)

    async def body(client: Client):
        return await client.call_tool(
            "execute_lua",
            {
                "code": "return 1",
                "timeout_s": 700_000,  # above the largest limit luagate takes at all
                "memory_mb": 2e6,
                "max_calls": 1e20,
                "output_bytes": 10**400,  # an integer no float can hold
            },
        )

    above = run_client(server, body)
    assert not above.is_error, text_of(above)
    assert above.structured_content["limits"] == ceilings.to_dict()

    # what the server reads from JSON such as 1e999 or NaN, which the client cannot send
    execute = server.tool_defs["execute_lua"]
    unbounded = {"timeout_s": math.inf, "memory_mb": math.inf, "max_calls": math.inf}
    result = execute.call({"code": "return 1", **unbounded, "output_bytes": math.inf})
    assert not result.is_error, text_of(result)
    assert result.structured_content["limits"] == ceilings.to_dict()
    for name, value, says in [
        ("timeout_s", math.nan, "argument 'timeout_s' must be a positive number, got nan"),
        ("memory_mb", math.nan, "argument 'memory_mb' must be a positive number, got nan"),
        ("memory_mb", 0.25, "argument 'memory_mb' must be at least 1 (MiB), got 0.25"),
        ("memory_mb", 0, "argument 'memory_mb'"),
        ("timeout_s", -1, "argument 'timeout_s'"),
        ("max_calls", math.nan, "argument 'max_calls'"),
        ("output_bytes", "5", "argument 'output_bytes'"),
    ]:
        refused = execute.call({"code": "return 1", name: value})
        assert refused.is_error and says in text_of(refused), (name, value, text_of(refused))
        assert "memory_bytes" not in text_of(refused)


def test_policy_refusals_over_mcp_name_the_cause_and_never_force(tmp_path: Path) -> None:
    write = (
        "local c = app.integrations.aircall.create_contact({ first_name = 'Ada', phone_numbers"
        " = {{ label = 'Work', value = '+33612345678' }} })\nreturn c"
    )

    async def body(client: Client):
        return await client.call_tool("execute_lua", {"code": write})

    def refusal(home: Path, write_ceiling: str) -> str:
        result = run_client(in_process_server(home, write=write_ceiling), body)
        error = result.structured_content["error"]
        assert result.is_error and error["type"] == "policy" and error["line"] == 1, error
        assert "--force" not in error["message"] and "force=True" not in error["message"]
        return error["message"]

    allowed = make_home(tmp_path / "a", aircall="allow")
    message = refusal(allowed, "ask")
    assert "this server was started with --write ask" in message
    assert "aircall's own write policy is 'allow'" in message
    assert "restart luagate serve with --write allow" in message
    assert "luagate configure" not in message
    message = refusal(make_home(tmp_path / "d", aircall="deny"), "allow")
    assert "aircall's write policy is 'deny'" in message
    assert "luagate configure aircall --write allow (the running server applies it" in message
    message = refusal(make_home(tmp_path / "default"), "allow")  # writes: 'ask' by default
    assert "aircall's write policy is 'ask'" in message and "no one to ask" in message


def test_execute_lua_is_destructive_only_when_a_write_can_go_through(tmp_path: Path) -> None:
    async def body(client: Client):
        tools = (await client.list_tools()).tools
        return next(t for t in tools if t.name == "execute_lua").annotations.destructive_hint

    def destructive(home: Path, **server: object) -> bool:
        return run_client(in_process_server(home, functions=False, **server), body)

    allowed = make_home(tmp_path / "a", aircall="allow")
    assert destructive(allowed) is True
    # wildix has no write function, whatever its policy; aircall's writes are denied
    assert destructive(make_home(tmp_path / "d", aircall="deny", wildix="allow")) is False
    assert destructive(allowed, write="deny") is False
    assert destructive(allowed, write="ask") is False  # a server has no one to ask: refused
    assert destructive(make_home(tmp_path / "default")) is False  # writes: 'ask' by default
    assert destructive(allowed, providers=("wildix",)) is False


def test_cancelling_execute_lua_kills_its_worker(tmp_path: Path) -> None:
    from luagate.lua.fork_server import shared_fork_server

    # a deadline the waits below never reach
    server = in_process_server(make_home(tmp_path), functions=False, limits=Limits(timeout_s=90))

    def workers() -> set[int]:
        return live_children(shared_fork_server().pid)

    async def body(client: Client):
        await client.call_tool("execute_lua", {"code": "return 1"})  # the fork server is up
        async with anyio.create_task_group() as tg:
            tg.start_soon(client.call_tool, "execute_lua", {"code": "while true do end"})
            assert await anyio.to_thread.run_sync(lambda: wait_until(lambda: bool(workers())))
            (worker,) = workers()
            tg.cancel_scope.cancel()  # the client sends notifications/cancelled
        # the worker is killed long before its deadline, and the server carries on
        assert await anyio.to_thread.run_sync(lambda: wait_until(lambda: not running(worker)))
        return await client.call_tool("execute_lua", {"code": "return 2"})

    after = run_client(server, body)
    assert after.structured_content["result"] == 2
