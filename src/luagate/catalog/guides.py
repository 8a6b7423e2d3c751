"""The guide pages (overview, context, errors, examples). Lists in them are generated from the
specs and the error classes, so they stay true as providers and errors change; ``context`` is
rendered from the live configuration by whoever supplies it (the gateway)."""

from __future__ import annotations

from .. import errors

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .docs import Docs


class Guide:
    __slots__ = ("_render", "summary", "title")

    def __init__(self, title: str, summary: str, render: Callable[[Docs], str]) -> None:
        self.title = title
        self.summary = summary
        self._render = render

    def render(self, docs: Docs) -> str:
        return self._render(docs)


_SAMPLE_CALLS = {
    "aircall": ("list_calls", "app.integrations.aircall.get_call, { call_id = 1 }"),
    "wildix": ("list_calls", 'app.integrations.wildix.get_call, { id = "1" }'),
}
"""Per provider: the function page the overview points to, and its ``pcall`` example."""


def _sample(docs: Docs) -> tuple[str, str, str]:
    """(provider, function page, pcall arguments) for the guides' examples: of an available
    provider (the first one's when none is available, so the text still reads)."""
    name = next((p.name for p in docs.providers if p.name in _SAMPLE_CALLS), "aircall")
    return (name, *_SAMPLE_CALLS[name])


def _overview(docs: Docs) -> str:
    providers = (
        "\n".join(
            f"- `{p.name}` — {p.title}: " + ", ".join(f"`{f.name}`" for f in p.functions)
            for p in docs.providers
        )
        or "- none: every provider is switched off here"
    )
    sample, function, pcall_args = _sample(docs)
    return f"""# luagate — overview

Scripts are Lua 5.4 and run in a sandbox with no files, network or OS. The only door to the
outside world is one namespace:

```text
local r = app.integrations.<provider>.<function>({{ ... }})           -- default account
local r = app.integrations.<provider>.<account>.<function>({{ ... }}) -- a named account
```

Providers and their functions:

{providers}

Read a provider's page (`docs.read("{sample}")`) or a function's page
(`docs.read("{sample}.{function}")`) before calling it: each documents parameters, defaults, limits,
the fields it returns and examples. `docs.search("missed calls")` finds pages by words.
`docs.read("context")` tells what is available right now: today's date, the providers and
accounts you can call, and the policy.

## Calling

- Every function takes one table of named arguments (`{{}}` when there are none) and returns a
  table. Arguments are checked before anything is sent: a wrong type, a value out of range, a
  misspelled name is an error naming the parameter, what was expected and what was given.
- A failed call raises a Lua error (a string). Catch it with `pcall`:
  `local ok, result = pcall({pcall_args})`.
  See `docs.read("errors")` for the error types.
- Accounts: `app.integrations.<provider>.<function>` uses the default account;
  `.default.<function>` names it explicitly; `.<account>.<function>` uses a named one.

## Values

- Arrays are 1-based. JSON `null` is `json.null` (compare with `v == json.null`).
- An empty table is sent as `[]`; use `json.object()` for an empty object.
- `print(t)` prints a table as JSON; `dump(t)` prints a readable rendering and returns `t`.
- `json.encode(v [, {{pretty = true}}])`, `json.decode(s)`; `regex.match/match_all/gsub/split`
  use Python `re` syntax.

## Limits

Scripts have a wall-clock limit, a memory limit, an output limit and a cap on the number of calls,
all set by the operator. Reaching one stops the script; `pcall` cannot catch that.
"""


def _errors(docs: Docs) -> str:
    groups = [
        (
            "Errors from a call",
            [
                errors.ValidationError,
                errors.UnknownFunctionError,
                errors.PolicyError,
                errors.NotConfiguredError,
                errors.NotAvailableError,
            ],
        ),
        (
            "Errors from the provider's API (the message quotes the provider)",
            [
                errors.AuthError,
                errors.NotFoundError,
                errors.RateLimitedError,
                errors.UpstreamError,
                errors.NetworkError,
                errors.UpstreamTimeoutError,
            ],
        ),
        (
            "Errors from the script itself",
            [
                errors.ScriptSyntaxError,
                errors.ScriptRuntimeError,
                errors.InvalidValueError,
                errors.UnknownNameError,
            ],
        ),
        (
            "Limits (these stop the script; pcall cannot catch them)",
            [
                errors.TimeoutLimitError,
                errors.MemoryLimitError,
                errors.OutputLimitError,
                errors.CallLimitError,
                errors.ValueTooLargeError,
            ],
        ),
        (
            "Errors from luagate itself (report them)",
            [errors.WorkerLostError, errors.InternalError],
        ),
    ]
    out = [
        "# Errors",
        "",
        "A failed call raises a Lua error whose message names the function and says what",
        "went wrong. Uncaught, it ends the script, and the execution envelope reports its",
        "`type`, `message` and `line`. Caught with `pcall`, the error is its message (a",
        "string); `error_type(err)` gives its type from the tables below (`runtime` for an",
        "error the script raised itself).",
        "",
        "```lua",
        f"local ok, err = pcall({_sample(docs)[2]})",
        "if not ok then",
        '  if error_type(err) == "not_found" then print("no such call")',
        '  else print("could not read the call: " .. err) end',
        "end",
        "```",
        "",
    ]
    for title, classes in groups:
        out += [f"## {title}", "", "| type | when |", "|---|---|"]
        out += [f"| `{c.type}` | {' '.join((c.__doc__ or '').split())} |" for c in classes]
        out.append("")
    return "\n".join(out)


_EXAMPLES = (
    (
        "aircall",
        "Page through every result",
        """local page, all = 1, {}
repeat
  local r = app.integrations.aircall.list_calls({ per_page = 50, page = page })
  for _, call in ipairs(r.calls) do all[#all + 1] = call end
  page = page + 1
until r.meta.next_page_link == json.null or r.meta.next_page_link == nil
print(#all .. " calls")""",
    ),
    (
        "wildix",
        "Handle a failure and go on",
        """local ok, result = pcall(app.integrations.wildix.get_call, { id = "8289" })
if ok then
  print(result.from .. " -> " .. result.to)
else
  print("skipped: " .. result)
end""",
    ),
    (
        "aircall",
        "Use two accounts",
        """-- needs two configured accounts, here named sales and support (docs.read("context")
-- lists yours); without them this says so instead of stopping the script
local ok, err = pcall(function()
  local sales = app.integrations.aircall.sales.list_users({})
  local support = app.integrations.aircall.support.list_users({})
  print(#sales.users + #support.users .. " users in both companies")
end)
if not ok then print("skipped: " .. tostring(err)) end""",
    ),
    (
        "wildix",
        "Return structured data",
        """local r = app.integrations.wildix.list_users({ limit = 100 })
local emails = {}
for _, user in ipairs(r.users) do emails[#emails + 1] = user.email end
return { count = #emails, emails = emails }""",
    ),
)
"""(provider, title, code): the examples guide shows those whose provider is available."""


def _examples(docs: Docs) -> str:
    available = {p.name for p in docs.providers}
    sections = [
        f"## {title}\n\n```lua\n{code}\n```\n"
        for provider, title, code in _EXAMPLES
        if provider in available
    ]
    if not sections:
        sections = ["No provider is available here, so there is no example to run.\n"]
    return "# Examples\n\n" + "\n".join(sections)


def _context(docs: Docs) -> str:
    if docs.context is not None:
        return docs.context()
    return """# Context

What this luagate offers your scripts right now: today's date and time zone, the providers that
are switched on, their accounts (names only) and default account, and which calls the read/write
policy allows. The page is read from the live configuration: `docs.read("context")` in a script,
`lua_read_doc("context")` for an agent, `luagate docs context` in a shell.
"""


GUIDES: dict[str, Guide] = {
    "overview": Guide(
        "Overview",
        "What scripts can do, how to call functions and accounts, values and limits.",
        _overview,
    ),
    "context": Guide(
        "Context",
        "Now: today's date and time zone, the providers switched on, their accounts and"
        " default account, and which calls the policy allows.",
        _context,
    ),
    "errors": Guide("Errors", "Every error type a script can meet and how to handle it.", _errors),
    "examples": Guide(
        "Examples", "Short workflows: paging, error handling, two accounts.", _examples
    ),
}
