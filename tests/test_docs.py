"""The generated agent docs reproduce both references, and every page derives from the specs."""

from __future__ import annotations

import pytest
from test_spec_reference import (
    AIRCALL_TEXT,
    RAW_MARKER,
    WILDIX_TEXT,
    RefFunction,
    parse_markdown,
    parse_rendered,
)

from luagate.catalog.docs import RATE_LIMIT_HEADING, Docs
from luagate.catalog.schema import input_schema, output_schema
from luagate.errors import UnknownFunctionError
from luagate.providers.registry import provider_specs

DOCS = Docs(provider_specs())
REFERENCES = {
    "aircall": ("markdown", parse_markdown(AIRCALL_TEXT)),
    "wildix": ("rendered", parse_rendered(WILDIX_TEXT)),
}


def generated(provider: str) -> list[RefFunction]:
    """The provider page luagate generates, read with the reference's own markdown parser."""
    return parse_markdown(RAW_MARKER + DOCS.read(provider))


def _cases():
    for provider, (layout, functions) in REFERENCES.items():
        ours = generated(provider)
        for i, ref in enumerate(functions):
            name = ref.name or ours[i].name
            yield pytest.param(
                layout, ours[i] if i < len(ours) else None, ref, id=f"{provider}.{name}"
            )


CASES = list(_cases())


def _plain(text: str, layout: str) -> str:
    return text.replace("`", "") if layout == "rendered" else text


def test_provider_pages_have_the_reference_structure():
    for provider, (_, functions) in REFERENCES.items():
        page = DOCS.read(provider)
        title = {"aircall": "Aircall", "wildix": "Wildix"}[provider]
        assert page.startswith(f"# {title} — Lua API Reference\n")
        assert [f.name for f in generated(provider)] == [
            f.name for f in provider_specs()[list(REFERENCES).index(provider)].functions
        ]
        assert len(generated(provider)) == len(functions)
        assert "\n## Multi-Account Usage\n" in page


@pytest.mark.parametrize(("layout", "ours", "ref"), CASES)
def test_description_and_parameter_rows(layout, ours, ref):
    assert ours is not None
    if ref.name:
        assert ours.name == ref.name
    assert _plain(ours.description, layout) == ref.description
    ours_rows = [(n, t, r, _plain(d, layout)) for n, t, r, d in ours.params]
    assert ours_rows == ref.params


@pytest.mark.parametrize(("layout", "ours", "ref"), CASES)
def test_examples(layout, ours, ref):
    assert len(ours.examples) == len(ref.examples)
    for (our_title, our_code), (ref_title, ref_code) in zip(
        ours.examples, ref.examples, strict=True
    ):
        if ref_title is not None:
            assert our_title == ref_title
        if layout == "rendered":  # the rendered reference lost indentation
            our_code = [line.strip() for line in our_code]
            ref_code = [line.strip() for line in ref_code]
        assert our_code == ref_code


@pytest.mark.parametrize(("layout", "ours", "ref"), CASES)
def test_sections_and_returns(layout, ours, ref):
    titles = [t for t, _ in ours.sections]
    # every function documents what it returns, the requests a call makes, then (when it has
    # any) how it maps onto the API
    assert titles[-3:] == ["Returns", "Requests", "Notes"] or titles[-2:] == ["Returns", "Requests"]
    if layout == "markdown":
        added = ("Returns", "Requests", "Notes")
        assert [s for s in ours.sections if s[0] not in added] == ref.sections


def test_multi_account_section_matches_the_reference():
    reference = AIRCALL_TEXT.split(RAW_MARKER)[1]
    expected = [
        line for line in reference[reference.index("## Multi-Account Usage") :].splitlines() if line
    ]
    page = DOCS.read("aircall")
    section = page[page.index("## Multi-Account Usage") : page.index(RATE_LIMIT_HEADING)]
    ours = [line for line in section.splitlines() if line]
    assert ours == expected


def test_every_function_has_a_page_schema_and_search_entry():
    for provider in provider_specs():
        for f in provider.functions:
            page = DOCS.read(f.full_name)
            assert page.startswith(f"# {f.full_name}\n")
            assert f"a **{f.kind}** function" in page
            for p in f.params:
                assert f"| `{p.name}` | {p.type} |" in page
            schema = input_schema(f)
            assert set(schema["properties"]) == {p.name for p in f.params}
            assert set(output_schema(f)["properties"]) == {x.name for x in f.returns}
            assert DOCS.read(f"app.integrations.{f.full_name}") == page
            hits = [h["page"] for h in DOCS.search(f.name.replace("_", " "), limit=5)]
            assert f.full_name in hits, (f.full_name, hits)


def test_guides_and_the_catalog():
    catalog = DOCS.list()
    assert [g["page"] for g in catalog["guides"]] == ["overview", "context", "errors", "examples"]
    assert [p["page"] for p in catalog["providers"]] == ["aircall", "wildix"]
    assert len(catalog["providers"][0]["functions"]) == 8
    assert "`list_calls`" in DOCS.read("overview")
    errors_page = DOCS.read("errors")
    for kind in ("validation", "policy", "not_configured", "timeout", "call_limit"):
        assert f"| `{kind}` |" in errors_page


def test_unknown_page_suggests():
    with pytest.raises(UnknownFunctionError, match=r"Did you mean: aircall\.list_calls"):
        DOCS.read("aircall.list_call")


def test_search_ranks_by_relevance():
    hits = DOCS.search("create contact")
    assert hits[0]["page"] == "aircall.create_contact"
    assert DOCS.search("") == []
    assert DOCS.search("zzzz-qqqq") == []


def test_search_finds_nested_return_fields_below_the_functions_own_words():
    # calls[].voicemail and calls[].missed_call_reason are documented on the call pages only
    for query in ("voicemail", "missed", "missed call reason"):
        hits = [h["page"] for h in DOCS.search(query)]
        assert "aircall.list_calls" in hits and "aircall.get_call" in hits, (query, hits)
    # phone_numbers[].label, a field inside a parameter's items, counts too
    assert "aircall.create_contact" in [h["page"] for h in DOCS.search("label")]
    # a nested field weighs less than a top-level returned field or a parameter
    nested = next(h for h in DOCS.search("voicemail") if h["page"] == "aircall.list_calls")
    top = next(h for h in DOCS.search("meta") if h["page"] == "aircall.list_calls")
    param = next(h for h in DOCS.search("direction") if h["page"] == "aircall.list_calls")
    assert nested["score"] < top["score"] < param["score"]
    # and the function's own name still comes first
    assert DOCS.search("list calls")[0]["page"].endswith(".list_calls")


def test_function_pages_give_the_requests_and_the_provider_budget():
    for provider in provider_specs():
        for f in provider.functions:
            page = DOCS.read(f.full_name)
            requests = page.split("\n## Requests\n", 1)[1].split("\n## ", 1)[0]
            assert f.requests in requests
            assert provider.rate_limit.splitlines()[0] in requests, f.full_name
        page = DOCS.read(provider.name)
        assert page.rstrip().endswith(provider.rate_limit.rstrip())
    assert "120 requests a minute" in DOCS.read("aircall.get_call")


def test_returns_with_nullable_fields_say_null_is_json_null():
    assert "`v ~= json.null`" in DOCS.read("aircall.list_calls")  # missed_call_reason, ...
    assert "`v ~= json.null`" not in DOCS.read("aircall.get_current_user")  # nothing nullable


@pytest.mark.parametrize(
    ("query", "page"),
    [
        ("who am I", "aircall.get_current_user"),
        ("who am I", "wildix.get_current_user"),
        ("missed calls yesterday", "aircall.list_calls"),
        ("missed calls", "wildix.list_calls"),
        ("rate limit 429", "aircall"),
        ("find contact by phone", "aircall.list_contacts"),
    ],
)
def test_search_finds_pages_by_the_words_agents_use(query, page):
    assert page in [r["page"] for r in DOCS.search(query, 3)]
