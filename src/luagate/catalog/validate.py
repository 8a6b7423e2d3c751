"""Checking a call's arguments against its spec: the same check on every path.

Errors name the function and the parameter, what was expected and what was given, and suggest
the closest parameter when a name is misspelled. Nothing is coerced in a way that changes
meaning: ``"007"`` and ``1.5`` are not integers; ``10.0`` is (Lua numbers cross as floats).
"""

from __future__ import annotations

import math
from datetime import date, datetime

from ..errors import ValidationError
from ..suggest import close_matches, quote
from .spec import Field, FunctionSpec, Param

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_EXACT_FLOAT_INT = 2**53
"""The largest integer a float (a Lua number from JSON) holds exactly."""

_LONGEST_DATE = 64
"""No ISO 8601 date or time is longer (``2026-01-31T23:59:59.999999+05:30`` is 32): a longer
text is refused before it is parsed."""

MAX_ITEMS = 1000
"""The most items an array argument may hold: no provider call takes more, and checking each
item costs the host time the script's own limit does not cover."""

RANGES = (("from", "to"), ("date_from", "date_to"))
"""Parameter pairs that bound a range: the start may not come after the end."""


def given(value: Any) -> str:
    """What was given, for "got ...": its type and value (``integer 5``, ``string "x"``), or
    just ``an array``/``a table`` when the type says it all."""
    if isinstance(value, list | dict) or value is None:
        return shown(value)
    return f"{type_name(value)} {shown(value)}"


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
        raise ValidationError(f"{where} takes a table of named arguments, got {given(args)}")
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
    _check_ranges(where, known, result)
    return result


def _check_ranges(where: str, params: dict[str, Param], values: dict[str, Any]) -> None:
    """A range whose start comes after its end would only ever return nothing: say so."""
    for start_name, end_name in RANGES:
        start_param, end_param = params.get(start_name), params.get(end_name)
        if start_param is None or end_param is None:
            continue
        start, end = values.get(start_name), values.get(end_name)
        if start is None or end is None:
            continue
        first = _bound(where, start_param, start, end=False)
        last = _bound(where, end_param, end, end=True)
        if first is not None and last is not None and first > last:
            raise ValidationError(
                f"{where}: {start_name} ({shown(start)}) is after {end_name} ({shown(end)});"
                f" the range would be empty (swap them?)"
            )


def _bound(where: str, param: Param, value: Any, *, end: bool) -> datetime | None:
    """A range bound as a comparable datetime; a bare date as an end means its whole day."""
    from datetime import timedelta

    from .dates import is_date_only, parse_instant

    if param.format == "instant":
        moment = parse_instant(value, where=where, name=param.name)
    elif param.format in ("date", "date-time") and isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text) if len(text) > 10 else None
            if moment is None:
                day = date.fromisoformat(text)
                moment = datetime(day.year, day.month, day.day)
        except ValueError:
            return None
        if moment.tzinfo is not None:  # compare in the terms the value was written in
            moment = moment.replace(tzinfo=None)
    else:
        return None
    if end and is_date_only(value):
        moment += timedelta(days=1) - timedelta(microseconds=1)
    return moment


def _unknown_parameter(spec: FunctionSpec, name: str) -> str:
    names = [p.name for p in spec.params]
    message = f"{spec.full_name}: unknown parameter {quote(name)}."
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
        from .dates import _bad, parse_instant

        if isinstance(value, str) and len(value) > _LONGEST_DATE:  # never a date: say so briefly
            raise _bad(where, name, shown(value)[1:-1])
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
    if param.min_length and len(value.strip()) < param.min_length:
        wanted = (
            "must not be blank"
            if param.min_length == 1
            else (f"must have at least {param.min_length} characters")
        )
        raise ValidationError(f"{where}: {name} {wanted}, got {shown(value)}")
    if param.format == "date-time":
        _check_datetime(where, name, value)
    elif param.format == "date":
        _check_date(where, name, value)
    return value


def _number(n: float) -> str:
    return str(int(n)) if float(n).is_integer() else str(n)


def exact_integer(value: float) -> int | None:
    """The integer a float stands for exactly (``5.0`` → 5), or None (``5.5``, ``1e30``, inf)."""
    if math.isfinite(value) and value.is_integer() and abs(value) <= _EXACT_FLOAT_INT:
        return int(value)
    return None


def _check_type(where: str, name: str, shape: Param | Field, value: Any) -> Any:
    kind = shape.type
    ok = True
    if kind == "integer":
        if isinstance(value, float) and exact_integer(value) is not None:
            value = int(value)  # Lua numbers cross as floats; 1e30 is no exact integer
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind == "boolean":
        ok = isinstance(value, bool)
    elif kind == "string":
        ok = isinstance(value, str)
        if ok:
            _check_text(where, name, value)
    elif kind == "array":
        if value == {}:  # an explicitly empty object is still "no items"
            value = []
        ok = isinstance(value, list)
        if ok and len(value) > MAX_ITEMS:
            raise ValidationError(
                f"{where}: {name} may hold at most {MAX_ITEMS} items, got {len(value)}"
            )
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
        raise ValidationError(f"{where}: {name} must be {_expected(shape)}, got {given(value)}")
    return value


def _check_text(where: str, name: str, value: str) -> None:
    """Text must be valid Unicode: a lone surrogate (``"\\ud800"`` in JSON) cannot be sent."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        bad = value[e.start]
        raise ValidationError(
            f"{where}: {name} must be valid Unicode text; character {e.start + 1} is an"
            f" unpaired surrogate (U+{ord(bad):04X})"
        ) from None


def _check_object(where: str, name: str, shape: Param | Field, value: dict[str, Any]) -> dict:
    fields = {f.name: f for f in shape.fields}
    for key in value:
        if key not in fields:
            allowed = ", ".join(fields)
            raise ValidationError(
                f"{where}: {name} has an unknown field {quote(str(key))}; its fields are: {allowed}"
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
        if len(value) > _LONGEST_DATE:
            raise ValueError
        datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f'{where}: {name} must be an ISO 8601 date-time like "2026-01-31T23:59:59Z",'
            f" got {shown(value)}"
        ) from None


def _check_date(where: str, name: str, value: Any) -> None:
    try:
        if len(value) > _LONGEST_DATE:
            raise ValueError
        if "T" in value or " " in value:
            datetime.fromisoformat(value)
        else:
            date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f'{where}: {name} must be an ISO 8601 date like "2026-01-31", got {shown(value)}'
        ) from None
