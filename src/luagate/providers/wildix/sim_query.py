"""Wildix list parameters: ``start``/``count``, ``sort``/``dir``, ``fields``, filters, ``search``.

- ``start`` (offset, default 0) and ``count`` (default per list) must be integers >= 0, else 400.
- ``sort``: a field of the records (else 400); fields holding numbers (ids, seconds, extensions)
  compare as numbers, the rest as strings; ties go by id. ``dir``: ASC or DESC (default), any case.
- ``fields``: a comma-separated subset to return, in that order; unknown names are left out.
- ``filter[f]=v``: exact match (repeated: the last one counts, as PHP parses it);
  ``filter[f][]=a&filter[f][]=b``: any of them; ``filter[f][from]``/``[to]``: an inclusive range.
  A filter on a field the records do not have matches nothing. Ranges on the time fields (start,
  answer, end) take ``YYYY-MM-DD HH:MM:SS`` only: any other form (ISO ``2026-01-01T00:00:00Z``,
  a bare date) matches nothing, so a client that sends it finds out at once.
- ``search``: a case-insensitive substring of one of ``searchFields`` (comma-separated; default:
  every field).
- ``total`` (a string) counts the records after filtering and search, before paging.

Records are stored sorted by their default sort field, so the default order needs no sorting and
a range filter on that field is two bisections: a page of thousands of calls costs microseconds.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    Record = dict[str, str]
    Test = Callable[[Record], bool]

_FILTER = re.compile(r"^filter\[([^\[\]]+)\](?:\[(from|to)?\])?$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
TIME_FIELDS = frozenset({"start", "answer", "end"})


class WildixError(Exception):
    """An error answer: ``{"type": "error", "reason": ..., "result": null}``."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason

    @property
    def body(self) -> dict[str, object]:
        return {"type": "error", "reason": self.reason, "result": None}


@dataclass(frozen=True)
class Table:
    """One kind of record as lists serve it: fields, numeric fields, default sort and count."""

    fields: tuple[str, ...]
    numeric: frozenset[str]
    default_sort: str
    default_count: int


def _whole(params: Sequence[tuple[str, str]], name: str, default: int) -> int:
    raw = next((v for k, v in reversed(params) if k == name), None)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise WildixError(400, f"Invalid parameter '{name}': expected an integer >= 0, got {raw!r}")
    return value


def _last(params: Sequence[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in reversed(params) if k == name), None)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _sort_key(table: Table, name: str) -> Callable[[Record], tuple[object, ...]]:
    """Numbers before text on numeric fields (an empty value is text); ties by id."""
    if name in table.numeric:

        def numeric(record: Record) -> tuple[object, ...]:
            value = _number(record[name])
            return (
                (0, value, "", int(record["id"])) if value is not None else (1, 0, record[name], 0)
            )

        return numeric
    return lambda record: (record[name], int(record["id"]))


def _range_test(table: Table, name: str, low: str | None, high: str | None) -> Test:
    if name in TIME_FIELDS and not all(b is None or _DATETIME.match(b) for b in (low, high)):
        return lambda record: False
    if name in table.numeric:
        lo = None if low is None else _number(low)
        hi = None if high is None else _number(high)
        if (low is not None and lo is None) or (high is not None and hi is None):
            return lambda record: False

        def in_numbers(record: Record) -> bool:
            value = _number(record[name])
            return value is not None and (lo is None or value >= lo) and (hi is None or value <= hi)

        return in_numbers
    if name in TIME_FIELDS:  # an unanswered call's empty answer is in no range
        return lambda r: (
            r[name] != "" and (low is None or r[name] >= low) and (high is None or r[name] <= high)
        )
    return lambda r: (low is None or r[name] >= low) and (high is None or r[name] <= high)


def _filters(
    table: Table, params: Sequence[tuple[str, str]], bisected: str
) -> tuple[list[Test], tuple[str | None, str | None] | None]:
    """The filter tests, but for a range on ``bisected``: its bounds come back instead.

    ``bisected`` is the field the records are sorted on (as strings), so a range on it is a slice.
    """
    exact: dict[str, str] = {}
    any_of: dict[str, list[str]] = {}
    ranges: dict[str, tuple[str | None, str | None]] = {}
    for key, value in params:
        match = _FILTER.match(key)
        if not match:
            continue
        name, part = match.group(1), match.group(2)
        if part is None and key.endswith("[]"):
            any_of.setdefault(name, []).append(value)
        elif part is None:
            exact[name] = value
        else:
            low, high = ranges.get(name, (None, None))
            ranges[name] = (value, high) if part == "from" else (low, value)
    tests: list[Test] = []
    unknown = [n for n in (*exact, *any_of, *ranges) if n not in table.fields]
    if unknown:
        return [lambda record: False], None
    for name, value in exact.items():
        tests.append(lambda r, n=name, v=value: r[n] == v)
    for name, values in any_of.items():
        tests.append(lambda r, n=name, vs=frozenset(values): r[n] in vs)
    sliced = None
    for name, (low, high) in ranges.items():
        valid = name not in TIME_FIELDS or all(b is None or _DATETIME.match(b) for b in (low, high))
        if name == bisected and name not in table.numeric and valid:
            sliced = (low, high)
        else:
            tests.append(_range_test(table, name, low, high))
    return tests, sliced


def _search(table: Table, params: Sequence[tuple[str, str]]) -> Test | None:
    term = (_last(params, "search") or "").casefold()
    if not term:
        return None
    wanted = [f.strip() for f in (_last(params, "searchFields") or "").split(",") if f.strip()]
    names = [f for f in wanted if f in table.fields] if wanted else list(table.fields)
    return lambda record: term in "\x1f".join([record[n] for n in names]).casefold()


def _bisected(
    records: Sequence[Record], name: str, bounds: tuple[str | None, str | None]
) -> Sequence[Record]:
    """The records (sorted on ``name``, as strings) within the bounds, by two bisections."""
    low, high = bounds
    start = 0 if low is None else bisect.bisect_left(records, low, key=lambda r: r[name])
    end = len(records)
    if high is not None:
        end = bisect.bisect_right(records, high, key=lambda r: r[name])
    return records[start:end]


def list_result(
    table: Table, params: Sequence[tuple[str, str]], records: Sequence[Record]
) -> dict[str, object]:
    """The ``result`` of a list request: ``{"total": "<n>", "records": [...]}``.

    ``records`` are sorted on ``table.default_sort`` (as strings), then id.
    """
    start = _whole(params, "start", 0)
    count = _whole(params, "count", table.default_count)
    sort = _last(params, "sort") or table.default_sort
    if sort not in table.fields:
        raise WildixError(400, f"Invalid parameter 'sort': unknown field {sort!r}")
    direction = (_last(params, "dir") or "DESC").upper()
    if direction not in ("ASC", "DESC"):
        raise WildixError(400, f"Invalid parameter 'dir': expected ASC or DESC, got {direction!r}")
    presorted = table.default_sort
    tests, bounds = _filters(table, params, presorted)
    if bounds is not None:
        records = _bisected(records, presorted, bounds)
    search = _search(table, params)
    if search is not None:
        tests.append(search)
    rows = [r for r in records if all(t(r) for t in tests)] if tests else records
    if sort != presorted:
        rows = sorted(rows, key=_sort_key(table, sort))
    total = len(rows)
    if direction == "ASC":
        chosen = rows[start : start + count]
    else:  # from the end, backwards: no reversed copy of the whole list
        chosen = rows[max(total - start - count, 0) : max(total - start, 0)][::-1]
    show = projection(params)
    return {"total": str(total), "records": [show(r) for r in chosen]}


def projection(params: Sequence[tuple[str, str]]) -> Callable[[Record], Record]:
    """How records are shown: only the requested ``fields`` (all of them if none is asked for)."""
    wanted = [f.strip() for f in (_last(params, "fields") or "").split(",") if f.strip()]
    if not wanted:
        return lambda record: record
    return lambda record: {f: record[f] for f in wanted if f in record}
