"""The MCP server: docs tools, ``execute_lua``, optional function tools, docs as resources.

Everything goes through one :class:`~luagate.gateway.gateway.Gateway` (providers, accounts,
policy and its ceiling are the gateway's). Tools run on worker threads, so concurrent calls —
over HTTP, several sessions at once — run in parallel; each ``execute_lua`` gets its own worker
process from the isolated executor, killed at its deadline without touching the others.
"""

from __future__ import annotations

import functools
import math

import anyio
import anyio.to_thread
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources import FunctionResource
from mcp_types import CallToolResult, Tool, ToolAnnotations

from .. import __version__
from ..errors import ValidationError
from ..lua.isolated import Cancel
from ..lua.limits import MIB, Limits
from . import render
from .tools import ToolDef, check_arguments, error_result, function_tools, text_result

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..gateway.gateway import Gateway

RESOURCE_PREFIX = "luagate://docs/"
MAX_PARALLEL_TOOLS = 64
"""Tool calls running at once (the rest wait their turn); each script has its own worker."""

INSTRUCTIONS = (
    "luagate runs short Lua scripts against business integrations. Start with lua_list_docs, "
    "read a page with lua_read_doc, then run a script with execute_lua; in Lua, call "
    "app.integrations.<provider>.<function>({...}) and return what you need."
)


class LuagateMCPServer(MCPServer):
    """An :class:`MCPServer` whose tools are :class:`ToolDef` values with hand-made schemas."""

    def __init__(self, gateway: Gateway, tools: list[ToolDef], **settings: Any) -> None:
        super().__init__(**settings)
        self.gateway = gateway
        self.tool_defs = {t.name: t for t in tools}
        self.hidden_tools: dict[str, str] = {}  # tool name → why policy hides it
        self._limiter = anyio.CapacityLimiter(MAX_PARALLEL_TOOLS)

    async def run_stdio_async(self) -> None:
        """Serve over stdin/stdout, reading and writing the pipes on the event loop (see
        :mod:`.stdio`) rather than through the SDK's worker threads."""
        from .stdio import stdio_streams

        lowlevel = self._lowlevel_server
        async with stdio_streams() as (read_stream, write_stream):
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())

    async def list_tools(self) -> list[Tool]:
        return [t.listing() for t in self.tool_defs.values()]

    def _tool_input_schema(self, name: str) -> dict[str, Any] | None:
        tool = self.tool_defs.get(name)
        return None if tool is None else tool.input_schema

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Any = None
    ) -> CallToolResult:
        tool = self.tool_defs.get(name)
        if tool is None and name in self.hidden_tools:
            return error_result(self.hidden_tools[name] + ".")
        if tool is None:
            known = ", ".join(self.tool_defs)
            return error_result(f"Unknown tool {name!r}. Tools: {known}.")
        # A call the client cancels (``notifications/cancelled``), or one in flight when it goes
        # away (end of stdin), is cancelled here: a script's worker is killed at once, rather
        # than left to run to its deadline while the thread is waited for; the thread then
        # ends on its own, its result unsent.
        cancel = Cancel() if tool.cancellable else None
        try:
            return await anyio.to_thread.run_sync(
                tool.call, arguments, cancel, limiter=self._limiter, abandon_on_cancel=True
            )
        except anyio.get_cancelled_exc_class():
            if cancel is not None:
                cancel.cancel()
            raise


# -- the default tools ------------------------------------------------------------------------

_DOCS = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)


def docs_tools(gateway: Gateway) -> list[ToolDef]:
    docs = gateway.docs

    def list_docs(arguments: dict[str, Any]) -> CallToolResult:
        check_arguments("lua_list_docs", list_schema, arguments)
        catalog = docs.list()
        return text_result(render.catalog_text(catalog), catalog)

    def search_docs(arguments: dict[str, Any]) -> CallToolResult:
        check_arguments("lua_search_docs", search_schema, arguments)
        results = docs.search(arguments["query"], int(arguments.get("limit", 10)))
        lines = [f"- {r['page']}: {r['summary']}" for r in results] or ["No page matches."]
        return text_result("\n".join(lines), {"results": results})

    def read_doc(arguments: dict[str, Any]) -> CallToolResult:
        check_arguments("lua_read_doc", read_schema, arguments)
        return text_result(render.truncate_utf8(docs.read(arguments["page"])))

    list_schema: dict[str, Any] = {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }
    search_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "query": {"type": "string", "minLength": 1, "description": "words to look for"},
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 50,
                "default": 10,
                "description": "most pages returned",
            },
        },
        "required": ["query"],
        "additionalProperties": False,
    }
    read_schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "page": {
                "type": "string",
                "description": "a page name from lua_list_docs: a guide (overview), a provider "
                "(aircall) or a function (aircall.list_calls)",
            }
        },
        "required": ["page"],
        "additionalProperties": False,
    }
    return [
        ToolDef(
            "lua_list_docs",
            "The short catalog of the integration namespace: guide pages, providers and their "
            "functions (read first).",
            list_schema,
            list_docs,
            output_schema={
                "type": "object",
                "properties": {
                    "guides": {"type": "array"},
                    "providers": {"type": "array"},
                },
                "required": ["guides", "providers"],
            },
            annotations=_DOCS,
        ),
        ToolDef(
            "lua_search_docs",
            "Search the docs pages (the same as docs.search in Lua); returns page names to read.",
            search_schema,
            search_docs,
            output_schema={
                "type": "object",
                "properties": {"results": {"type": "array"}},
                "required": ["results"],
            },
            annotations=_DOCS,
        ),
        ToolDef(
            "lua_read_doc",
            "Read one docs page as markdown (the same as docs.read in Lua).",
            read_schema,
            read_doc,
            annotations=_DOCS,
        ),
    ]


_LIMIT_ARGS = {
    "timeout_s": ("number", "wall-clock seconds for the whole script"),
    "memory_mb": ("number", "memory the script may allocate, in MiB (at least 1)"),
    "max_calls": ("integer", "host calls (app.*) the script may make"),
    "output_bytes": ("integer", "printed output kept"),
}


def execute_lua_tool(gateway: Gateway, limits: Limits) -> ToolDef:
    """``execute_lua``: run a script under the operator's limits, which a caller may lower."""
    properties: dict[str, Any] = {
        "code": {"type": "string", "description": "the Lua script"},
    }
    ceilings = {
        "timeout_s": limits.timeout_s,
        "memory_mb": limits.memory_bytes / MIB,
        "max_calls": limits.max_calls,
        "output_bytes": limits.output_bytes,
    }
    for name, (kind, text) in _LIMIT_ARGS.items():
        properties[name] = {
            "type": kind,
            "exclusiveMinimum": 0,
            "description": f"optional: {text}; can only lower the server's {ceilings[name]:g}",
        }
    schema = {
        "type": "object",
        "properties": properties,
        "required": ["code"],
        "additionalProperties": False,
    }
    writes = can_write(gateway)

    def run(arguments: dict[str, Any], cancel: Cancel | None = None) -> CallToolResult:
        # ``inf`` (JSON 1e999) is above every ceiling, so it keeps the ceiling, as any larger
        # number does — even where the schema says integer
        unbounded = {n for n in _LIMIT_ARGS if _is_inf(arguments.get(n))}
        arguments = {k: v for k, v in arguments.items() if k not in unbounded}
        check_arguments("execute_lua", schema, arguments)
        requested = {name: _limit_argument(name, arguments.get(name)) for name in _LIMIT_ARGS}
        memory_mb = requested.pop("memory_mb")
        requested["memory_bytes"] = None if memory_mb is None else memory_mb * MIB
        execution = gateway.run_lua(
            arguments["code"], limits=limits.narrowed(**requested), cancel=cancel
        )
        envelope = execution.to_dict()
        return text_result(
            render.execution_text(envelope), envelope, is_error=not envelope["success"]
        )

    return ToolDef(
        "execute_lua",
        "Run a Lua script in luagate's sandbox. It reaches the integrations only through "
        "app.integrations.<provider>[.<account>].<function>({...}) and the docs through "
        "docs.list/search/read; print() output and the returned value come back, with every "
        "call made. Limits: the server's, which the optional arguments can only lower.",
        schema,
        run,
        output_schema=EXECUTION_SCHEMA,
        annotations=ToolAnnotations(
            read_only_hint=False, destructive_hint=writes, open_world_hint=True
        ),
        cancellable=True,
    )


def _is_inf(value: Any) -> bool:
    return type(value) is float and value == math.inf


def _limit_argument(name: str, value: Any) -> float | int | None:
    """An optional limit argument of ``execute_lua``, checked where the schema cannot: what
    passed it is a number above 0, or ``nan`` (above nothing, below nothing)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        raise ValidationError(f"argument {name!r} must be a positive number, got nan")
    if name == "memory_mb" and value < 1:
        raise ValidationError(f"argument 'memory_mb' must be at least 1 (MiB), got {value:g}")
    return value


def can_write(gateway: Gateway) -> bool:
    """Whether a script could change anything: some provider has write functions and its
    policy, as this server applies it, lets them through — ``allow``, or ``ask`` with someone
    to ask (a server alone has no one: ``ask`` refuses every call)."""
    for provider in gateway.providers:
        if not any(f.kind == "write" for f in provider.functions):
            continue
        rule = gateway.effective_policy(provider.name).get("write", "allow")
        if rule == "allow" or (rule == "ask" and gateway.ask is not None):
            return True
    return False


EXECUTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "output": {"type": "string"},
        "output_truncated": {"type": "boolean"},
        "result": {},
        "error": {"type": ["object", "null"]},
        "calls": {"type": "array"},
        "duration_ms": {"type": "number"},
        "memory_bytes": {"type": "integer"},
        "limits": {"type": "object"},
        "executor": {"type": "string"},
        "meta": {"type": "object"},
    },
    "required": ["success", "output", "result", "error", "calls", "duration_ms"],
}


def warm_up(gateway: Gateway) -> None:
    """Build the in-process simulators behind ``demo`` accounts now (a second or so each), and
    for configured accounts the HTTP layer and its TLS context (the CA bundle: 0.1-1 s here),
    so the first script does not spend its time limit waiting for them."""
    from ..providers.embedded import SCHEME, transport_for

    real = False
    for provider in gateway.providers:
        if gateway.is_demo(provider, "demo"):
            for value in gateway.credentials(provider, "demo").values():
                if value.startswith(SCHEME):
                    transport_for(value)
        elif gateway.accounts(provider):
            real = True
    if real:
        from ..http.endpoint import tls_context

        tls_context()


# -- the server --------------------------------------------------------------------------------


def build_server(
    gateway: Gateway, *, limits: Limits | None = None, functions: bool = False
) -> LuagateMCPServer:
    """The server for ``gateway``: docs tools and ``execute_lua``, plus function tools."""
    limits = limits or Limits()
    tools = [*docs_tools(gateway), execute_lua_tool(gateway, limits)]
    hidden: dict[str, str] = {}
    if functions:
        # a function tool gets the same time as a script: a long rate-limit wait fails at once
        more, hidden = function_tools(gateway, timeout=limits.timeout_s)
        tools += more
    server = LuagateMCPServer(
        gateway,
        tools,
        name="luagate",
        version=__version__,
        instructions=INSTRUCTIONS,
        log_level="WARNING",
    )
    server.hidden_tools = hidden
    docs = gateway.docs
    for page in docs.page_names():
        server.add_resource(
            FunctionResource(
                uri=RESOURCE_PREFIX + page,
                name=page,
                description=f"luagate docs page {page}",
                mime_type="text/markdown",
                fn=functools.partial(docs.read, page),
            )
        )
    return server
