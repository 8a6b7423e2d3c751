"""JSON Schema (draft 2020-12) for each function's arguments and result, from its spec."""

from __future__ import annotations

from .spec import Field, FunctionSpec, Param

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _field_schema(f: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": [f.type, "null"] if f.nullable else f.type}
    if f.description:
        schema["description"] = f.description
    if f.fields:
        schema["properties"] = {x.name: _field_schema(x) for x in f.fields}
    if f.items is not None:
        schema["items"] = _field_schema(f.items)
    return schema


DATE_OR_LOCAL_TIME = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$"
"""A ``date`` parameter's form: ISO 8601 ``YYYY-MM-DD``, or with a local time and no time zone
(``T`` or a space, as a PBX writes it). JSON Schema's ``"format": "date"`` would refuse the
time, so the schema states the form as a pattern."""


def _param_schema(p: Param) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": p.type, "description": p.description}
    if p.default is not None:
        schema["default"] = p.default
    if p.minimum is not None:
        schema["minimum"] = p.minimum
    if p.maximum is not None:
        schema["maximum"] = p.maximum
    if p.enum is not None:
        schema["enum"] = list(p.enum)
    if p.min_length:
        schema["minLength"] = p.min_length
        schema["pattern"] = r"\S"  # not only spaces
    if p.format == "instant":  # ISO 8601 text or UNIX seconds
        schema["type"] = ["string", "integer"]
    elif p.format == "date":  # a date, or a date and time: more than JSON Schema's "date"
        schema["pattern"] = DATE_OR_LOCAL_TIME
    elif p.format is not None:
        schema["format"] = p.format
    if p.items is not None:
        item = _field_schema(p.items)
        if p.items.fields:
            item["required"] = [x.name for x in p.items.fields if not x.nullable]
            item["additionalProperties"] = False
        schema["items"] = item
    return schema


def input_schema(f: FunctionSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": DRAFT,
        "title": f.full_name,
        "description": f.description,
        "type": "object",
        "properties": {p.name: _param_schema(p) for p in f.params},
        "additionalProperties": False,
    }
    required = [p.name for p in f.params if p.required]
    if required:
        schema["required"] = required
    return schema


def output_schema(f: FunctionSpec) -> dict[str, Any]:
    return {
        "$schema": DRAFT,
        "title": f"{f.full_name} result",
        "type": "object",
        "properties": {x.name: _field_schema(x) for x in f.returns},
    }
