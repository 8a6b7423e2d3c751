"""MCP tools as plain definitions: a name, schemas, annotations and a blocking ``run``.

Each tool's ``run`` takes the arguments and returns a ``CallToolResult``; the server runs it on a
worker thread. Failures a caller can act on come back as tool errors (``isError``) with a clear
message, never as a crash of the server.
"""

from __future__ import annotations

from mcp_types import CallToolResult, TextContent, Tool, ToolAnnotations

from ..catalog.schema import input_schema, output_schema
from ..errors import LuagateError
from . import render

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..catalog.spec import FunctionSpec
    from ..gateway.gateway import Gateway
    from ..lua.isolated import Cancel

SEPARATOR = "__"
"""Between provider and function in a function tool's name: ``aircall__list_calls``."""


class ToolDef:
    """One tool: what ``tools/list`` shows and what ``tools/call`` runs."""

    __slots__ = (
        "annotations",
        "cancellable",
        "description",
        "input_schema",
        "name",
        "output_schema",
        "run",
    )

    def __init__(
        self,
        name: str,
        description: str,
        input_schema: dict[str, Any],
        run: Callable[..., CallToolResult],
        *,
        output_schema: dict[str, Any] | None = None,
        annotations: ToolAnnotations | None = None,
        cancellable: bool = False,
    ) -> None:
        self.name = name
        self.description = description
        self.input_schema = input_schema
        self.output_schema = output_schema
        self.annotations = annotations
        self.run = run
        # ``run(arguments, cancel)``: it takes a :class:`~luagate.lua.isolated.Cancel`, which
        # the server fires when the client cancels the call or goes away
        self.cancellable = cancellable

    def listing(self) -> Tool:
        return Tool(
            name=self.name,
            description=self.description,
            input_schema=self.input_schema,
            output_schema=self.output_schema,
            annotations=self.annotations,
        )

    def call(
        self, arguments: dict[str, Any] | None, cancel: Cancel | None = None
    ) -> CallToolResult:
        """Run the tool; every failure becomes a tool error naming the tool. ``cancel`` reaches
        a cancellable tool's ``run``."""
        try:
            if self.cancellable:
                return self.run(dict(arguments or {}), cancel)
            return self.run(dict(arguments or {}))
        except LuagateError as e:
            return error_result(f"{self.name}: {e.message}", {"type": e.type, "message": e.message})
        except Exception as e:  # a bug must answer the caller, not take the server down
            message = f"{self.name} failed inside luagate ({type(e).__name__})"
            return error_result(message, {"type": "internal", "message": message})


def text_result(
    text: str,
    structured: dict[str, Any] | None = None,
    *,
    is_error: bool = False,
    meta: dict[str, Any] | None = None,
) -> CallToolResult:
    if meta is None:  # left unset, not sent as ``"_meta": null``
        return CallToolResult(
            content=[TextContent(type="text", text=text)],
            structured_content=structured,
            is_error=is_error,
        )
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=structured,
        is_error=is_error,
        _meta=meta,
    )


def error_result(message: str, error: dict[str, Any] | None = None) -> CallToolResult:
    structured = {"error": error} if error is not None else None
    return text_result(render.truncate_utf8(message), structured, is_error=True)


_PLAIN_KEYWORDS = frozenset(
    {"type", "description", "default", "minLength", "minimum", "maximum", "exclusiveMinimum"}
)
_SCHEMA_KEYWORDS = frozenset({"type", "properties", "required", "additionalProperties"})


def _plainly_fits(rule: dict[str, Any], value: Any) -> bool:
    """Whether ``value`` certainly fits ``rule``, a string or number property schema."""
    if not rule.keys() <= _PLAIN_KEYWORDS:
        return False
    kind = rule.get("type")
    if kind == "string":
        return isinstance(value, str) and len(value) >= rule.get("minLength", 0)
    if kind == "integer":
        number = type(value) is int
    elif kind == "number":
        number = type(value) is int or type(value) is float
    else:
        return False
    return (
        number
        and ("minimum" not in rule or value >= rule["minimum"])
        and ("maximum" not in rule or value <= rule["maximum"])
        and ("exclusiveMinimum" not in rule or value > rule["exclusiveMinimum"])
    )


def _plainly_valid(schema: dict[str, Any], arguments: dict[str, Any]) -> bool:
    """Whether ``arguments`` certainly fit ``schema`` — the built-in tools' shape: an object of
    string and number properties. Anything else (or any doubt) is left to the full validator:
    on the path of every call, jsonschema costs a millisecond where this costs microseconds."""
    properties = schema.get("properties")
    if (
        schema.get("type") != "object"
        or not schema.keys() <= _SCHEMA_KEYWORDS
        or not isinstance(properties, dict)
        or not arguments.keys() <= properties.keys()
    ):
        return False
    return all(name in arguments for name in schema.get("required", ())) and all(
        isinstance(properties[name], dict) and _plainly_fits(properties[name], value)
        for name, value in arguments.items()
    )


def check_arguments(tool: str, schema: dict[str, Any], arguments: dict[str, Any]) -> None:
    """Raise a :class:`LuagateError` naming the first argument that does not fit ``schema``."""
    if _plainly_valid(schema, arguments):
        return
    from jsonschema import Draft202012Validator

    from ..errors import ValidationError

    errors = sorted(Draft202012Validator(schema).iter_errors(arguments), key=lambda e: list(e.path))
    if not errors:
        return
    error = errors[0]
    known = ", ".join(schema.get("properties", {})) or "none"
    if error.validator == "additionalProperties":
        extra = sorted(set(arguments) - set(schema.get("properties", {})))
        raise ValidationError(f"unknown argument {extra[0]!r}; {tool} takes: {known}")
    if error.validator == "required" and not error.path:
        missing = [r for r in schema.get("required", ()) if r not in arguments]
        raise ValidationError(f"missing argument {missing[0]!r}; {tool} takes: {known}")
    where = ".".join(str(p) for p in error.path)
    raise ValidationError(f"argument {where!r}: {error.message}" if where else error.message)


# -- one tool per provider function ---------------------------------------------------------------


def tool_name(function: FunctionSpec) -> str:
    return f"{function.provider}{SEPARATOR}{function.name}"


def function_tool(
    gateway: Gateway, function: FunctionSpec, timeout: float | None = None
) -> ToolDef:
    """``<provider>__<function>``: the spec's schema plus ``account``, through the gateway."""
    provider = gateway.provider(function.provider)
    accounts = gateway.accounts(provider)
    schema = input_schema(function)
    schema.pop("$schema", None)
    schema["properties"]["account"] = {
        "type": "string",
        "description": "The account to call with: 'default' (the default when left out)"
        + (", or one of: " + ", ".join(accounts) if accounts else "")
        + ".",
    }
    result_schema = output_schema(function)
    result_schema.pop("$schema", None)
    read = function.kind == "read"
    annotations = ToolAnnotations(
        title=function.full_name,
        read_only_hint=read,
        destructive_hint=not read,
        idempotent_hint=read,
        open_world_hint=True,
    )
    description = (
        f"{function.description}\n\nA {function.kind} function: the same as "
        f"app.integrations.{function.provider}.{function.name}({{...}}) in Lua. "
        f"Full page: lua_read_doc('{function.full_name}')."
    )

    def run(arguments: dict[str, Any]) -> CallToolResult:
        account = arguments.pop("account", None)
        if account is not None and not isinstance(account, str):
            from ..errors import ValidationError

            raise ValidationError(f"account must be a string, got {account!r}")
        envelope = gateway.call(function.full_name, arguments, account=account, timeout=timeout)
        meta = {"luagate": {"duration_ms": envelope["duration_ms"], **envelope["meta"]}}
        if not envelope["success"]:
            structured = {"error": envelope["error"]}
            return text_result(render.call_text(envelope), structured, is_error=True, meta=meta)
        data = envelope["data"]
        structured = data if isinstance(data, dict) else {"items": data}
        return text_result(render.call_text(envelope), structured, meta=meta)

    return ToolDef(
        tool_name(function),
        description,
        schema,
        run,
        output_schema=result_schema,
        annotations=annotations,
    )


def function_tools(
    gateway: Gateway, timeout: float | None = None
) -> tuple[list[ToolDef], dict[str, str]]:
    """A tool per function the gateway's policy does not deny outright, and why the denied
    ones are hidden (by tool name)."""
    tools, hidden = [], {}
    for provider in gateway.providers:
        rules = gateway.effective_policy(provider.name)
        for function in provider.functions:
            if rules.get(function.kind, "allow") != "deny":
                tools.append(function_tool(gateway, function, timeout))
            else:
                hidden[tool_name(function)] = (
                    f"{tool_name(function)} is hidden: {function.full_name} is a {function.kind} "
                    f"function and {function.kind}s are denied on this server"
                )
    return tools, hidden
