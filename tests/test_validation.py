"""The argument checks every surface shares (catalog/validate.py), on the real specs and on
small made-up ones: ranges, blank text, text that is not Unicode, numbers that are not exact."""

from __future__ import annotations

import jsonschema
import pytest

from luagate.catalog.schema import input_schema
from luagate.catalog.spec import FunctionSpec, Param
from luagate.catalog.validate import validate
from luagate.errors import ValidationError
from luagate.providers.registry import provider_specs

SPECS = {f.full_name: f for p in provider_specs() for f in p.functions}


def rejected(function: str, args: dict) -> str:
    with pytest.raises(ValidationError) as caught:
        validate(SPECS[function], args)
    return caught.value.message


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("aircall.list_calls", {"from": "2026-11-20", "to": "2026-11-01"}),
        ("aircall.list_calls", {"from": "2026-11-20T10:00:00Z", "to": "2026-11-20T09:59:59Z"}),
        ("aircall.list_calls", {"from": 1_800_000_000, "to": 1_700_000_000}),
        ("wildix.list_calls", {"date_from": "2026-11-20", "date_to": "2026-11-19"}),
    ],
)
def test_a_range_that_ends_before_it_starts_is_refused(function, args):
    message = rejected(function, args)
    start, end = list(args)
    assert f"{start} (" in message and f"is after {end}" in message, message
    assert str(args[start]) in message


@pytest.mark.parametrize(
    ("function", "args"),
    [
        ("aircall.list_calls", {"from": "2026-11-20", "to": "2026-11-20"}),  # the whole day
        ("aircall.list_calls", {"from": "2026-11-20T18:00:00Z", "to": "2026-11-20"}),
        ("aircall.list_calls", {"from": 1_700_000_000, "to": 1_700_000_000}),
        ("wildix.list_calls", {"date_from": "2026-11-20", "date_to": "2026-11-20"}),
        ("wildix.list_calls", {"date_from": "2026-11-20 10:00:00", "date_to": "2026-11-20"}),
    ],
)
def test_a_range_of_one_day_or_one_instant_is_fine(function, args):
    validate(SPECS[function], args)


def test_text_that_is_not_unicode_is_a_validation_error_naming_the_parameter():
    message = rejected("aircall.list_contacts", {"q": "a@\ud800.com"})
    assert "q must be valid Unicode text" in message
    assert "U+D800" in message


def test_a_float_too_large_to_be_an_exact_integer_is_not_an_integer():
    message = rejected("aircall.get_call", {"call_id": 1e30})
    assert "call_id must be an integer, got number 1e+30" in message
    assert validate(SPECS["aircall.get_call"], {"call_id": 123.0})["call_id"] == 123


def test_the_given_value_is_described_once():
    message = rejected("aircall.list_calls", {"per_page": [1, 2]})
    assert message.endswith("per_page must be an integer, got an array"), message
    message = rejected("aircall.list_calls", {"per_page": "5"})
    assert message.endswith('per_page must be an integer, got string "5"'), message


NAMED = FunctionSpec(
    "demo",
    "find",
    kind="read",
    description="Find something.",
    params=(Param("name", "string", "A name.", required=True, min_length=1),),
)


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_string_is_refused_where_a_value_is_needed(blank):
    with pytest.raises(ValidationError) as caught:
        validate(NAMED, {"name": blank})
    assert caught.value.message == f'demo.find: name must not be blank, got "{blank}"'
    assert validate(NAMED, {"name": " x "})["name"] == " x "


def test_not_blank_is_in_the_json_schema_too():
    schema = input_schema(NAMED)
    jsonschema.validate({"name": "x"}, schema)
    for blank in ("", "  "):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"name": blank}, schema)


def test_min_length_is_for_strings_only():
    with pytest.raises(ValueError, match="min_length applies to strings"):
        Param("n", "integer", "A number.", min_length=1)
