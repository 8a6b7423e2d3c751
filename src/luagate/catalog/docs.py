"""Agent-facing documentation, generated from the specs: one page per provider, one per
function, and the guide pages. Reading docs never calls a provider.

The provider page keeps the structure of the references agents already know
(``# <Provider> — Lua API Reference``, a ``## <function>`` section each with ``### Parameters``,
``### Example``) and adds ``### Returns``, written from the same spec that validates the call.
"""

from __future__ import annotations

import re

from ..errors import UnknownFunctionError
from ..suggest import close_matches, quote
from .guides import GUIDES
from .search import SearchIndex
from .spec import Field, FunctionSpec, Param, ProviderSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def _param_row(p: Param) -> str:
    required = "yes" if p.required else "no"
    return f"| `{p.name}` | {p.type} | {required} | {p.description} |"


def _field_rows(fields: tuple[Field, ...], prefix: str = "") -> list[str]:
    rows = []
    for f in fields:
        path = f"{prefix}{f.name}"
        kind = f.type + (" or null" if f.nullable else "")
        rows.append(f"| `{path}` | {kind} | {f.description} |")
        if f.fields:
            rows.extend(_field_rows(f.fields, path + "."))
        if f.items is not None:
            if f.items.fields:
                rows.extend(_field_rows(f.items.fields, path + "[]."))
            elif f.items.type != "object":
                rows.append(f"| `{path}[]` | {f.items.type} | {f.items.description} |")
    return rows


def function_sections(f: FunctionSpec, heading: str = "##", rate_limit: str = "") -> list[str]:
    """The markdown of one function, with headings one level under ``heading``; ``rate_limit``
    (the provider's budget) follows the function's own requests."""
    sub = heading + "#"
    out = [f"{heading} {f.name}", "", f.description, ""]
    if f.params or not f.description.endswith("No parameters required."):
        out += [f"{sub} Parameters", ""]
        if f.params:
            out += [
                "| Name | Type | Required | Description |",
                "|------|------|----------|-------------|",
            ]
            out += [_param_row(p) for p in f.params]
        else:
            out.append("None.")
        out.append("")
    for section in f.sections:
        out += [f"{sub} {section.title}", "", section.body, ""]
    out += [f"{sub} {'Examples' if len(f.examples) > 1 else 'Example'}", ""]
    for example in f.examples:
        if example.title and len(f.examples) > 1:
            out += [f"{sub}# {example.title}", ""]
        out += ["```lua", example.code, "```", ""]
    if f.returns:
        out += [
            f"{sub} Returns",
            "",
            "| Field | Type | Description |",
            "|-------|------|-------------|",
        ]
        out += _field_rows(f.returns)
        out.append("")
        if _has_null(f.returns):
            out += [NULL_NOTE, ""]
    if f.requests:
        out += [f"{sub} Requests", "", f.requests, ""]
        if rate_limit:
            out += [rate_limit, ""]
    if f.notes:
        out += [f"{sub} Notes", "", f.notes, ""]
    return out


RATE_LIMIT_HEADING = "## Requests and rate limit"
"""The provider page's last section (after the reference's own structure)."""

NULL_NOTE = (
    "A field shown as null holds `json.null` in Lua, which is truthy: test it with"
    " `v ~= json.null` (`if v then` is true for null too)."
)


def _has_null(fields: tuple[Field, ...]) -> bool:
    for f in fields:
        if f.nullable or _has_null(f.fields):
            return True
        if f.items is not None and _has_null((f.items,)):
            return True
    return False


def multi_account_section(p: ProviderSpec) -> list[str]:
    fn = p.multi_account_function
    lines = [
        "## Multi-Account Usage",
        "",
        f"If you have multiple {p.title} accounts configured, use account-specific namespaces:",
        "",
        "```lua",
        "-- Default account (always works)",
        f"app.integrations.{p.name}.{fn}({{...}})",
        "-- Explicit default (portable across setups)",
        f"app.integrations.{p.name}.default.{fn}({{...}})",
        "-- Named accounts",
    ]
    lines += [f"app.integrations.{p.name}.{a}.{fn}({{...}})" for a in p.multi_account_accounts]
    lines += [
        "```",
        "",
        "All functions are identical across accounts — only the credentials differ.",
    ]
    return lines


def provider_markdown(p: ProviderSpec) -> str:
    out = [f"# {p.title} — Lua API Reference", ""]
    for f in p.functions:
        out += function_sections(f)
        out += ["---", ""]
    out += multi_account_section(p)
    if p.rate_limit:
        out += ["", RATE_LIMIT_HEADING, "", p.rate_limit]
    return "\n".join(out) + "\n"


def function_markdown(f: FunctionSpec, rate_limit: str = "") -> str:
    lines = function_sections(f, heading="#", rate_limit=rate_limit)
    lines[0] = f"# {f.full_name}"
    call = f"app.integrations.{f.provider}.{f.name}"
    lines[1:1] = ["", f"`{call}({{...}})` — a **{f.kind}** function."]
    return "\n".join(lines).rstrip("\n") + "\n"


class Docs:
    """Every documentation page, by name: guides, providers, ``provider.function``."""

    def __init__(
        self, providers: tuple[ProviderSpec, ...], context: Callable[[], str] | None = None
    ) -> None:
        self.providers = providers
        self.context = context  # renders the live ``context`` page (the gateway supplies it)
        self._functions = {f.full_name: f for p in providers for f in p.functions}
        self._providers = {p.name: p for p in providers}
        self._index: SearchIndex | None = None

    def page_names(self) -> list[str]:
        return [*GUIDES, *self._providers, *self._functions]

    def list(self) -> dict[str, Any]:
        """The short catalog read first: guides, then each provider's functions."""
        return {
            "guides": [{"page": name, "title": g.title} for name, g in GUIDES.items()],
            "providers": [
                {
                    "page": p.name,
                    "title": p.title,
                    "functions": [
                        {"page": f.full_name, "kind": f.kind, "summary": f.description}
                        for f in p.functions
                    ],
                }
                for p in self.providers
            ],
        }

    def read(self, page: str) -> str:
        name = page.strip()
        if name in GUIDES:
            return GUIDES[name].render(self)
        if name in self._providers:
            return provider_markdown(self._providers[name])
        if name in self._functions:
            f = self._functions[name]
            return function_markdown(f, self._providers[f.provider].rate_limit)
        trimmed = name.removeprefix("app.integrations.")
        if trimmed != name:
            return self.read(trimmed)
        raise UnknownFunctionError(self._unknown(name))

    def examples(self, page: str) -> list[dict[str, str | None]]:
        """The Lua examples of a page: a function's, every function's of a provider, or the
        code blocks of a guide (titled by their section). Unknown page: as :meth:`read`."""
        name = page.strip().removeprefix("app.integrations.")
        if name in self._functions:
            functions: tuple[FunctionSpec, ...] = (self._functions[name],)
        elif name in self._providers:
            functions = self._providers[name].functions
        else:
            return _code_blocks(name, self.read(name))
        return [
            {"page": f.full_name, "title": e.title, "code": e.code}
            for f in functions
            for e in f.examples
        ]

    def _unknown(self, name: str) -> str:
        close = close_matches(name, self.page_names(), n=3, cutoff=0.5)
        message = f"No documentation page {quote(name)}."
        if close:
            message += " Did you mean: " + ", ".join(close) + "?"
        return (
            message
            + " Pages: "
            + ", ".join([*GUIDES, *self._providers])
            + ", <provider>.<function>."
        )

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        if self._index is None:
            self._index = SearchIndex(self)
        return self._index.search(query, limit)

    def function(self, full_name: str) -> FunctionSpec | None:
        return self._functions.get(full_name)

    def functions(self) -> list[FunctionSpec]:
        return list(self._functions.values())


_LUA_BLOCK = re.compile(r"^```lua\n(.*?)^```", re.M | re.S)
_HEADING = re.compile(r"^#+ (.+)$", re.M)


def _code_blocks(page: str, markdown: str) -> list[dict[str, str | None]]:
    """The ```lua blocks of a page, each titled by the heading above it."""
    found = []
    for block in _LUA_BLOCK.finditer(markdown):
        headings = _HEADING.findall(markdown, 0, block.start())
        title = headings[-1].strip() if headings else None
        found.append({"page": page, "title": title, "code": block.group(1).rstrip("\n")})
    return found
