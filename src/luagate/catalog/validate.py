"""Checking a call's arguments against its spec: the same check on every path.

Errors name the function and the parameter, what was expected and what was given, and suggest
the closest parameter when a name is misspelled. Nothing is coerced in a way that changes
meaning: ``"007"`` and ``1.5`` are not integers; ``10.0`` is (Lua numbers cross as floats).
"""

from __future__ import annotations

import math
from datetime import date, datetime

from ..errors import ValidationError
from ..suggest import close_matches
from .spec import Field, FunctionSpec, Param

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def shown(value: Any) -> str:
    """A given value as a person reads it in an error (strings quoted, long ones cut)."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return f'"{text}"'
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "an array" if value else "an empty table"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


def validate(spec: FunctionSpec, args: Any) -> dict[str, Any]:
    """The arguments checked and completed with defaults, or a :class:`ValidationError`."""
    where = spec.full_name
    if args is None or args == []:  # Lua's {} crosses as an empty array
        args = {}
    if not isinstance(args, dict):
        raise ValidationError(
            f"{where} takes a table of named arguments, got {type_name(args)} {shown(args)}"
        )
    known = {p.name: p for p in spec.params}
    for name in args:
        if name not in known:
            raise ValidationError(_unknown_parameter(spec, str(name)))
    result: dict[str, Any] = {}
    for param in spec.params:
        value = args.get(param.name)
        if value is None:
            if param.required:
                raise ValidationError(
                    f"{where}: {param.name} is required ({_expected(param)}): {param.description}"
                )
            if param.default is not None:
                result[param.name] = param.default
            continue
        result[param.name] = _check_param(where, param, value)
    return result


def _unknown_parameter(spec: FunctionSpec, name: str) -> str:
    names = [p.name for p in spec.params]
    message = f"{spec.full_name}: unknown parameter {name!r}."
    close = close_matches(name, names, n=1, cutoff=0.6)
    if close:
        message += f" Did you mean {close[0]!r}?"
    if names:
        message += " Parameters: " + ", ".join(names) + "."
    else:
        message += " It takes no parameters."
    return message


def _expected(param: Param | Field) -> str:
    return {
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
        "string": "a string",
        "array": "an array",
        "object": "a table",
    }[param.type]


def _check_param(where: str, param: Param, value: Any) -> Any:
    name = param.name
    if param.format == "instant":
        from .dates import parse_instant

        if isinstance(value, float) and value.is_integer():
            value = int(value)
        parse_instant(value, where=where, name=name)  # ISO 8601 text or UNIX seconds
        return value
    value = _check_type(where, name, param, value)
    if param.enum is not None and value not in param.enum:
        options = ", ".join(shown(v) for v in param.enum)
        raise ValidationError(f"{where}: {name} must be one of {options}, got {shown(value)}")
    if param.minimum is not None and value < param.minimum:
        raise ValidationError(
            f"{where}: {name} must be >= {_number(param.minimum)}, got {shown(value)}"
        )
    if param.maximum is not None and value > param.maximum:
        raise ValidationError(
            f"{where}: {name} must be <= {_number(param.maximum)}, got {shown(value)}"
        )
    if param.format == "date-time":
        _check_datetime(where, name, value)
    elif param.format == "date":
        _check_date(where, name, value)
    return value


def _number(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)


def _check_type(where: str, name: str, shape: Param | Field, value: Any) -> Any:
    kind = shape.type
    ok = True
    if kind == "integer":
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            value = int(value)
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
    elif kind == "array":
        if value == {}:  # an explicitly empty object is still "no items"
            value = []
        ok = isinstance(value, list)
        if ok and shape.items is not None:
            value = [
                _check_type(where, f"{name}[{i}]", shape.items, item)
                for i, item in enumerate(value, start=1)
            ]
    elif kind == "object":
        if value == []:
            value = {}
        ok = isinstance(value, dict)
        if ok and shape.fields:
            value = _check_object(where, name, shape, value)
    if not ok:
        raise ValidationError(
            f"{where}: {name} must be {_expected(shape)}, got {type_name(value)} {shown(value)}"
        )
    return value


def _check_object(where: str, name: str, shape: Param | Field, value: dict[str, Any]) -> dict:
    fields = {f.name: f for f in shape.fields}
    for key in value:
        if key not in fields:
            allowed = ", ".join(fields)
            raise ValidationError(
                f"{where}: {name} has an unknown field {key!r}; its fields are: {allowed}"
            )
    checked = {}
    for key, field in fields.items():
        if key in value and value[key] is not None:
            checked[key] = _check_type(where, f"{name}.{key}", field, value[key])
        elif not field.nullable:
            raise ValidationError(
                f"{where}: {name}.{key} is required ({_expected(field)}): {field.description}"
            )
    return checked


def _check_datetime(where: str, name: str, value: Any) -> None:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f'{where}: {name} must be an ISO 8601 date-time like "2026-01-31T23:59:59Z",'
            f" got {shown(value)}"
        ) from None


def _check_date(where: str, name: str, value: Any) -> None:
    try:
        if "T" in value or " " in value:
            datetime.fromisoformat(value)
        else:
            date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f'{where}: {name} must be an ISO 8601 date like "2026-01-31", got {shown(value)}'
        ) from None
