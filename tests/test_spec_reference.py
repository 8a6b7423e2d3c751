"""The specs reproduce the agent-facing Lua API references they were written from.

The references live in ``tests/fixtures/reference/`` (byte-for-byte copies, so the project stands
alone). Each holds a rendered text (headings and code fences lost, as an agent's viewer shows it);
Aircall's also holds the raw markdown after a "Raw agent markdown" line. Both layouts are parsed
here and every function is checked against each layout the provider has, one case per function.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from luagate.catalog.spec import Field, FunctionSpec, ProviderSpec
from luagate.providers.aircall.spec import SPEC as AIRCALL
from luagate.providers.wildix.spec import SPEC as WILDIX

REFERENCE = Path(__file__).parent / "fixtures" / "reference"
RAW_MARKER = "\nRaw agent markdown\n"
TABLE_HEADER = "| Name | Type | Required | Description |"
LUA_KEYWORDS = {"end", "else", "do", "then", "break", "return", "repeat"}


@dataclass
class RefFunction:
    """One function as a reference shows it."""

    name: str | None  # None where the rendered text lost the heading
    description: str
    params: list[tuple[str, str, bool, str]]
    examples: list[tuple[str | None, list[str]]]  # (title, code lines)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, body lines)


# --- Parsers ----------------------------------------------------------------------------------


def _param_row(cells: str) -> tuple[str, str, bool, str]:
    name, type_, required, description = cells.split(" | ", 3)
    assert required in ("yes", "no"), cells
    return name.strip("`"), type_, required == "yes", description


def parse_rendered(text: str) -> list[RefFunction]:
    """Parse the rendered layout: [name] / description / Parameters table or "None." / extra
    lines / Example(s) / code, until the next function or "Multi-Account Usage".

    A function starts at a "Parameters" line, or at an "Example(s)" line that does not end a
    Parameters section; its description is the line before, and its name the line before that when
    it is a bare identifier (the rendered text lost some headings).
    """
    lines = text.split(RAW_MARKER)[0].splitlines()
    start = next(i for i, line in enumerate(lines) if line.endswith("— Lua API Reference")) + 1
    body = lines[start : lines.index("Multi-Account Usage")]

    heads: list[int] = []
    in_params = False
    for i, line in enumerate(body):
        if line == "Parameters":
            heads.append(i)
            in_params = True
        elif line in ("Example", "Examples"):
            if not in_params:
                heads.append(i)
            in_params = False

    starts: list[int] = []
    names: list[str | None] = []
    for h in heads:
        candidate = body[h - 2] if h >= 2 else ""
        is_name = re.fullmatch(r"[a-z_][a-z0-9_]*", candidate) and candidate not in LUA_KEYWORDS
        names.append(candidate if is_name else None)
        starts.append(h - 2 if is_name else h - 1)
    ends = [*starts[1:], len(body)]

    functions = []
    for h, name, end in zip(heads, names, ends, strict=True):
        chunk = body[h:end]
        params: list[tuple[str, str, bool, str]] = []
        i = 0
        if chunk[0] == "Parameters":
            i = 1
            if chunk[i] == "None.":
                i += 1
            else:
                assert chunk[i] == TABLE_HEADER and chunk[i + 1] == "|---|", chunk[i : i + 2]
                i += 2
                while chunk[i].endswith(" |"):
                    params.append(_param_row(chunk[i][: -len(" |")]))
                    i += 1
        marker = next(j for j in range(i, len(chunk)) if chunk[j] in ("Example", "Examples"))
        extra = chunk[i:marker]
        code = chunk[marker + 1 :]
        functions.append(
            RefFunction(
                name=name,
                description=body[h - 1],
                params=params,
                examples=_split_examples(code, titled=chunk[marker] == "Examples"),
                sections=[("", extra)] if extra else [],
            )
        )
    return functions


def _split_examples(code: list[str], *, titled: bool) -> list[tuple[str | None, list[str]]]:
    if not titled:
        return [(None, code)]
    # A title is a line of plain words starting with a capital; Lua lines never look like that.
    examples: list[tuple[str | None, list[str]]] = []
    for line in code:
        if re.fullmatch(r"[A-Z][A-Za-z0-9 ,'-]*", line):
            examples.append((line, []))
        else:
            examples[-1][1].append(line)
    return examples


def parse_markdown(text: str) -> list[RefFunction]:
    """Parse the raw agent markdown: ``## name``, description, ``### Parameters`` table or
    "None.", other ``###`` sections (fenced blocks), ``### Example`` with a fenced lua block."""
    markdown = text.split(RAW_MARKER, 1)[1]
    functions = []
    for chunk in re.split(r"^## ", markdown, flags=re.M)[1:]:
        name, *rest = chunk.splitlines()
        if name in ("Multi-Account Usage", "Requests and rate limit"):  # not functions
            continue
        parts = re.split(r"^### ", "\n".join(rest), flags=re.M)
        description = "\n".join(line for line in parts[0].splitlines() if line)
        fn = RefFunction(name=name, description=description, params=[], examples=[])
        for part in parts[1:]:
            title, *content = [line for line in part.splitlines() if line and line != "---"]
            if title == "Parameters":
                if content != ["None."]:
                    assert content[0] == TABLE_HEADER, content[0]
                    fn.params = [_param_row(row[2:-2]) for row in content[2:]]
            elif title in ("Example", "Examples"):
                fn.examples = _fenced_examples(content)
            else:
                fn.sections.append((title, content))
        functions.append(fn)
    return functions


def _fenced_examples(content: list[str]) -> list[tuple[str | None, list[str]]]:
    examples: list[tuple[str | None, list[str]]] = []
    title = None
    code: list[str] | None = None
    for line in content:
        if code is not None:
            if line == "```":
                examples.append((title, code))
                title, code = None, None
            else:
                code.append(line)
        elif line.startswith("#### "):
            title = line[len("#### ") :]
        elif line == "```lua":
            code = []
    return examples


def parse_multi_account(text: str) -> tuple[set[str], list[str]]:
    """The function names and the named accounts the "Multi-Account Usage" example uses."""
    rendered = text.split(RAW_MARKER)[0]
    section = rendered[rendered.index("\nMulti-Account Usage\n") :]
    calls = re.findall(r"^app\.integrations\.\w+\.(?:(\w+)\.)?(\w+)\(\{\.\.\.\}\)$", section, re.M)
    accounts = [account for account, _ in calls if account and account != "default"]
    return {fn for _, fn in calls}, accounts


# --- What is compared against what ----------------------------------------------------------

AIRCALL_TEXT = (REFERENCE / "aircall-lua-api.txt").read_text(encoding="utf-8")
WILDIX_TEXT = (REFERENCE / "wildix-lua-api.txt").read_text(encoding="utf-8")

SPECS = {"aircall": AIRCALL, "wildix": WILDIX}
TEXTS = {"aircall": AIRCALL_TEXT, "wildix": WILDIX_TEXT}
# (provider, layout, parsed functions); the first layout of a provider names its functions.
LAYOUTS = [
    ("aircall", "markdown", parse_markdown(AIRCALL_TEXT)),
    ("aircall", "rendered", parse_rendered(AIRCALL_TEXT)),
    ("wildix", "rendered", parse_rendered(WILDIX_TEXT)),
]


def _cases() -> list:
    cases = []
    for provider, layout, functions in LAYOUTS:
        spec = SPECS[provider]
        for i, ref in enumerate(functions):
            fn = spec.functions[i] if i < len(spec.functions) else None
            label = ref.name or (fn.name if fn else f"#{i}")
            cases.append(pytest.param(layout, fn, ref, id=f"{provider}.{label}-{layout}"))
    return cases


CASES = _cases()
ALL_FUNCTIONS = [
    pytest.param(fn, id=fn.full_name) for spec in SPECS.values() for fn in spec.functions
]


def _shown(text: str, layout: str) -> str:
    """A spec text as the layout shows it: the rendered text drops markdown backticks."""
    return text.replace("`", "") if layout == "rendered" else text


# --- Functions, descriptions, parameters, examples, sections -----------------------------------


@pytest.mark.parametrize(
    ("provider", "layout", "functions"), [pytest.param(*x, id=f"{x[0]}-{x[1]}") for x in LAYOUTS]
)
def test_function_names_and_order(provider: str, layout: str, functions: list[RefFunction]):
    spec_names = [f.name for f in SPECS[provider].functions]
    assert len(functions) == len(spec_names)
    shown = [ref.name for ref in functions]
    if layout == "markdown" or provider == "wildix":
        assert shown == spec_names
    else:  # the rendered Aircall text lost three headings: compare the names it kept
        assert [s for s in shown if s] == [n for n, s in zip(spec_names, shown, strict=True) if s]


@pytest.mark.parametrize(("layout", "fn", "ref"), CASES)
def test_description(layout: str, fn: FunctionSpec | None, ref: RefFunction):
    assert fn is not None, f"the spec lacks {ref.name}"
    assert _shown(fn.description, layout) == ref.description


@pytest.mark.parametrize(("layout", "fn", "ref"), CASES)
def test_params(layout: str, fn: FunctionSpec | None, ref: RefFunction):
    assert fn is not None, f"the spec lacks {ref.name}"
    rows = [(p.name, p.type, p.required, _shown(p.description, layout)) for p in fn.params]
    assert rows == ref.params


@pytest.mark.parametrize(("layout", "fn", "ref"), CASES)
def test_examples(layout: str, fn: FunctionSpec | None, ref: RefFunction):
    assert fn is not None, f"the spec lacks {ref.name}"
    assert [e.title for e in fn.examples] == [title for title, _ in ref.examples]
    for example, (_, code) in zip(fn.examples, ref.examples, strict=True):
        lines = example.code.split("\n")
        if layout == "rendered":  # rendering lost indentation; the raw markdown is the real text
            lines = [line.lstrip() for line in lines]
        assert lines == code


@pytest.mark.parametrize(("layout", "fn", "ref"), CASES)
def test_sections(layout: str, fn: FunctionSpec | None, ref: RefFunction):
    assert fn is not None, f"the spec lacks {ref.name}"
    if layout == "markdown":
        assert [(s.title, s.body.split("\n")) for s in fn.sections] == ref.sections
    else:  # the rendered text keeps section titles and bodies as bare lines, without fences
        shown = []
        for s in fn.sections:
            shown += [s.title, *(line for line in s.body.split("\n") if not line.startswith("```"))]
        assert shown == [line for _, body in ref.sections for line in body]


@pytest.mark.parametrize("provider", sorted(SPECS))
def test_multi_account_example(provider: str):
    spec = SPECS[provider]
    functions, accounts = parse_multi_account(TEXTS[provider])
    assert functions == {spec.multi_account_function}
    assert tuple(accounts) == spec.multi_account_accounts


# --- Structured facts the descriptions state ---------------------------------------------------

FACTS = {
    "aircall": {
        "per_page": {"default": 20, "minimum": 1, "maximum": 50},
        "page": {"default": 1, "minimum": 1},
        "order": {"default": "desc", "enum": ("asc", "desc")},
        # ISO 8601 as the reference says, and UNIX seconds too (Aircall's own form)
        "from": {"format": "instant"},
        "to": {"format": "instant"},
        "direction": {"enum": ("inbound", "outbound")},
    },
    "wildix": {
        # luagate's own cap: the reference's text states none, the notes do (below)
        "limit": {"default": 25, "minimum": 1, "maximum": 1000},
        "page": {"default": 1, "minimum": 1},
        "date_from": {"format": "date"},
        "date_to": {"format": "date"},
    },
}


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_kind(fn: FunctionSpec):
    expected = "write" if fn.name.startswith(("create_", "update_")) else "read"
    assert fn.kind == expected


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_param_facts(fn: FunctionSpec):
    for p in fn.params:
        facts = FACTS[fn.provider].get(p.name, {})
        got = {k: getattr(p, k) for k in ("default", "minimum", "maximum", "enum", "format")}
        expected = {k: facts.get(k) for k in got}
        assert got == expected, p.name


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_param_facts_match_their_descriptions(fn: FunctionSpec):
    """What a description states in words ("default: 20, max: 50") is what the spec declares."""
    for p in fn.params:
        text = p.description.replace("`", "").replace('"', "")
        default = re.search(r"default: (\w+)", text)
        if default is None:
            assert p.default is None, p.name
        else:
            value = default.group(1)
            assert p.default == (int(value) if value.isdigit() else value), p.name
        maximum = re.search(r"max: (\d+)", text)
        if maximum:
            assert p.maximum == int(maximum.group(1)), p.name
        elif p.maximum is not None:  # a cap of luagate's own, which the notes must state
            assert f"`{p.name}` is at most {p.maximum}" in " ".join(fn.notes.split()), p.name
        choices = re.search(r": (\w+) or (\w+)", text)
        if choices:
            assert p.enum == choices.groups(), p.name


def test_array_items():
    for name in ("create_contact", "update_contact"):
        fn = AIRCALL.function(name)
        for param in ("phone_numbers", "emails"):
            items = fn.param(param).items
            assert items is not None and items.type == "object", f"{name}.{param}"
            assert [(f.name, f.type) for f in items.fields] == [
                ("label", "string"),
                ("value", "string"),
            ]
    # tags may be ids (integers) or names (strings): their items are left undeclared
    assert AIRCALL.function("list_calls").param("tags").items is None


# --- Return shapes ---------------------------------------------------------------------------


def _walk(fields: tuple[Field, ...], prefix: str = ""):
    for f in fields:
        yield f"{prefix}{f.name}", f
        yield from _walk(f.fields, f"{prefix}{f.name}.")
        if f.items is not None:
            yield f"{prefix}{f.name}[]", f.items
            yield from _walk(f.items.fields, f"{prefix}{f.name}[].")


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_returns_are_declared_and_described(fn: FunctionSpec):
    assert fn.returns, "no returns fields"
    for path, f in _walk(fn.returns):
        assert f.description, f"{path} has no description"
        if f.type == "array":
            assert f.items is not None, f"{path}: an array without items"


def _example_paths(code: str) -> set[tuple[str, ...]]:
    """The result paths an example reads: result.x, v.y for v in ipairs(result.x), ..."""
    aliases: dict[str, tuple[str, ...]] = {"result": ()}
    paths = set()

    def resolve(expr: str) -> tuple[str, ...] | None:
        base, *rest = expr.split(".")
        return None if base not in aliases else aliases[base] + tuple(rest)

    for line in code.split("\n"):
        for expr in re.findall(r"\b\w+(?:\.\w+)+", line):
            path = resolve(expr)
            if path:
                paths.add(path)
        loop = re.match(r"\s*for _, (\w+) in ipairs\(([\w.]+)", line)
        local = re.match(r"\s*local (\w+) = ([\w.]+)\s*$", line)
        if loop and resolve(loop.group(2)) is not None:
            aliases[loop.group(1)] = (*resolve(loop.group(2)), "[]")
        elif local and resolve(local.group(2)) is not None:
            aliases[local.group(1)] = resolve(local.group(2))
    return paths


def _lookup(fields: tuple[Field, ...], path: tuple[str, ...]) -> None:
    node: Field | None = None
    for key in path:
        if key == "[]":
            assert node is not None and node.items is not None, f"{path}: not an array"
            node = node.items
        else:
            node = next((f for f in fields if f.name == key), None)
            assert node is not None, f"{'.'.join(path)}: no field {key!r}"
        fields = node.fields


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_returns_cover_what_examples_read(fn: FunctionSpec):
    paths = set().union(*(_example_paths(example.code) for example in fn.examples))
    assert paths, "no example reads anything from the result"
    for path in sorted(paths):
        _lookup(fn.returns, path)


# --- Credentials -----------------------------------------------------------------------------


def test_credentials():
    secret = {c.name: c.secret for c in AIRCALL.credentials}
    assert secret == {
        "api_id": False,
        "api_token": True,
        "access_token": True,
        "user_email": False,
        "base_url": False,
        "rate_limit": False,
        "request_timeout": False,
    }
    assert AIRCALL.credential_sets == (("api_id", "api_token"), ("access_token",))
    assert {c.name: c.secret for c in WILDIX.credentials} == {
        "pbx_url": False,
        "access_token": True,
        "rate_limit": False,
        "request_timeout": False,
    }
    assert WILDIX.credential_sets == (("pbx_url", "access_token"),)
    for spec in SPECS.values():
        assert all(c.description for c in spec.credentials)


def test_spec_objects_are_provider_specs():
    assert isinstance(AIRCALL, ProviderSpec) and AIRCALL.name == "aircall"
    assert isinstance(WILDIX, ProviderSpec) and WILDIX.name == "wildix"
