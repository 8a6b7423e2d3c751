"""Dates as agents write them, as providers want them.

Agents write ISO 8601 (``"2026-01-01T00:00:00Z"``, ``"2026-01-01"``, with or without an offset) or
UNIX seconds; a date or time without an offset is UTC. Providers want UNIX seconds (Aircall) or
their own text forms (Wildix): each client converts from the :class:`datetime` given here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from ..errors import ValidationError

_DIGITS = re.compile(r"^\d{1,12}$")
# 10^11 s is the year 5138; a value that large is almost surely milliseconds.
_MAX_SECONDS = 10**11


def parse_instant(value: object, *, where: str, name: str) -> datetime:
    """An aware UTC datetime from ISO 8601 text or UNIX seconds, or a ValidationError that names
    the parameter and shows what was given."""
    if isinstance(value, bool):
        raise _bad(where, name, value)
    if isinstance(value, int | float) or (isinstance(value, str) and _DIGITS.match(value)):
        seconds = float(value)
        if seconds >= _MAX_SECONDS:
            raise ValidationError(
                f"{where}: {name} must be UNIX seconds or ISO 8601; {value!r} looks like "
                "milliseconds (divide by 1000)"
            )
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str):
        raise _bad(where, name, value)
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise _bad(where, name, value) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def is_date_only(value: object) -> bool:
    """Was the value a bare date (``"2026-01-31"``), which a range end means as the whole day?"""
    return isinstance(value, str) and len(value.strip()) == 10 and "-" in value


def _bad(where: str, name: str, value: object) -> ValidationError:
    return ValidationError(
        f'{where}: {name} must be an ISO 8601 date-time such as "2026-01-31T23:59:59Z", a date '
        f'such as "2026-01-31", or UNIX seconds; got {value!r}'
    )
