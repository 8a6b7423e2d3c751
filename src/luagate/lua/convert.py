"""Python values into Lua, the one way they enter a sandbox.

The way out is JSON text made by the trusted encoder in ``bootstrap.lua`` (it checks cycles, depth,
size and UTF-8 under the sandbox's own time and memory limits), read back with :func:`json.loads`.

The rules, documented for script authors in the README:

- arrays become 1-based tables; objects become tables with string keys;
- JSON ``null`` becomes ``json.null`` (a Lua ``nil`` would leave holes), also inside arrays;
- an empty object becomes an empty table marked as an object, so it goes back out as ``{}``;
  an unmarked empty table goes out as ``[]``;
- integers outside Lua's 64-bit range become floats (never an overflow error).
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring

from ..errors import InvalidValueError, MemoryLimitError, ValueTooLargeError

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


INT_MIN, INT_MAX = -(2**63), 2**63 - 1
MIB = 1024 * 1024


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8", "surrogateescape")  # bytes that came in undecodable
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")  # a lone surrogate from JSON ("\\ud800")


class ToLua:
    """Converts JSON-compatible Python values into values of one Lua runtime."""

    def __init__(
        self, runtime: Any, null: Any, new_object: Callable[[], Any], memory_limit: int
    ) -> None:
        self._runtime = runtime
        self._table_from = runtime.table_from
        self._null = null
        self._new_object = new_object
        self._limit = memory_limit
        self._cost = 0
        self._keys: dict[Any, bytes | int] = {}  # field names repeat across records

    def __call__(self, value: Any) -> Any:
        self._cost = 0
        try:
            prepared = self._prepare(value)
        except RecursionError:
            raise InvalidValueError("the value is nested too deeply to enter Lua") from None
        except OverflowError:
            raise InvalidValueError("the value holds a number too large for Lua") from None
        if not isinstance(prepared, dict | list):
            return prepared
        # table_from allocates outside any protected Lua call, where running out of memory
        # would abort the process: check the estimate first, and lift the ceiling meanwhile.
        runtime = self._runtime
        room = self._limit - runtime.get_memory_used()
        if self._cost > room:
            raise MemoryLimitError(
                f"a value from the host needs about {self._cost} bytes of Lua memory;"
                f" the script has {max(room, 0)} left"
            )
        if 4 * self._cost + 64 * 1024 < room:  # far from the ceiling: the usual case
            return self._table_from(prepared, recursive=True)
        runtime.set_max_memory(self._limit + 2 * self._cost + MIB)
        try:
            table = self._table_from(prepared, recursive=True)
        finally:
            runtime.set_max_memory(self._limit)
        if runtime.get_memory_used() > self._limit:
            raise MemoryLimitError("a value from the host did not fit in the script's memory")
        return table

    def _prepare(self, value: Any) -> Any:
        # lupa runs with encoding=None: text must enter Lua as bytes, or it would arrive as a
        # Python object. None and empty dicts become the sandbox's own marker tables.
        # Exact type checks and inlined scalars: this runs for every field of every host result.
        kind = type(value)
        if kind is dict:
            if not value:
                return self._new_object()
            out = {}
            keys = self._keys
            self._cost += 64 + 48 * len(value)
            for k, v in value.items():
                key = keys.get(k)
                if key is None:
                    key = self._key(k)
                    if len(keys) < 4096:
                        keys[k] = key
                t = type(v)
                if t is str:
                    try:
                        v = v.encode()
                    except UnicodeEncodeError:
                        v = _utf8(v)
                    self._cost += len(v)
                elif t is int:
                    if not INT_MIN <= v <= INT_MAX:
                        v = float(v)
                elif not (t is float or t is bool):
                    v = self._prepare(v)
                out[key] = v
            return out
        if kind is str:
            self._cost += 32 + len(value)
            return _utf8(value)
        if kind is int:
            return value if INT_MIN <= value <= INT_MAX else float(value)
        if kind is list:
            prepare = self._prepare
            self._cost += 64 + 24 * len(value)
            return [prepare(v) for v in value]
        if value is None:
            return self._null
        if kind is bool or kind is float or kind is bytes:
            return value
        # subclasses and other containers, the slow way
        if isinstance(value, str):
            return _utf8(str(value))
        if isinstance(value, bool | float):
            return value
        if isinstance(value, int):
            return self._prepare(int(value))
        if isinstance(value, dict):
            return self._prepare(dict(value))
        if isinstance(value, list | tuple):
            return [self._prepare(v) for v in value]
        raise InvalidValueError(f"a {type(value).__name__} value cannot be passed into Lua")

    @staticmethod
    def _key(key: Any) -> bytes | int:
        if isinstance(key, str):
            return _utf8(key)
        if isinstance(key, int) and not isinstance(key, bool) and INT_MIN <= key <= INT_MAX:
            return key
        return str(key).encode()


def _stand_in(value: Any) -> Any:
    """What :func:`json_size` counts for a value JSON has no form for: bytes (which a host may
    hand the in-process sandbox) as their length; anything else as null — the conversion into
    Lua, or the channel to a worker, refuses it with its own error."""
    if isinstance(value, bytes | bytearray):
        return value.decode("latin-1")
    return None


# One C encoder, made once: ``json.dumps`` would build one (and a JSONEncoder) per call.
_SIZE_ENCODER = c_make_encoder(
    None, _stand_in, encode_basestring, None, ":", ",", False, True, True
)


def json_size(value: Any) -> int | None:
    """The bytes of ``value`` as compact UTF-8 JSON (what the channel to a worker sends), or
    None when it cannot be measured (a cycle, nesting too deep for the encoder)."""
    try:
        text = "".join(_SIZE_ENCODER(value, 0))
    except (ValueError, TypeError, RecursionError):
        return None
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


_SMALL_VALUES = 64
"""How many values :func:`_small_bound` looks at before leaving a value to :func:`json_size`."""


def _small_bound(value: Any) -> int | None:
    """A bound on a small value's compact JSON size, from a look at each of its (at most
    :data:`_SMALL_VALUES`) values: a string's character is at most 6 bytes (``\\u001f``), a
    64-bit integer 20, a float 24. None for a larger value, or one holding anything else."""
    pending = [value]
    seen = size = 0
    while pending:
        v = pending.pop()
        items: Any = v.values() if type(v) is dict else v if type(v) is list else (v,)
        seen += len(items)
        if seen > _SMALL_VALUES:
            return None
        if type(v) is dict:
            size += 2  # {}, and for each key: its quotes, a colon and a comma
            for k in v:
                if type(k) is not str:
                    return None
                size += 6 * len(k) + 4
        elif type(v) is list:
            size += 2 + len(v)  # [], and a comma each
        for item in items:
            kind = type(item)
            if kind is str:
                size += 6 * len(item) + 2
            elif kind is int:
                if not INT_MIN <= item <= INT_MAX:
                    return None
                size += 20
            elif kind is float:
                size += 24
            elif kind is dict or kind is list:
                pending.append(item)
            elif item is None or kind is bool:
                size += 5
            else:
                return None
    return size


def oversized(value: Any, limit: int) -> int | None:
    """The size of ``value`` as compact JSON when it is over ``limit`` bytes, else None.

    A small value is cleared by a bound (about a microsecond for a 20-field record); any other
    is measured by one pass of the C encoder (about 1 ms for a 50 KB page)."""
    bound = _small_bound(value)
    if bound is not None and bound <= limit:
        return None
    size = json_size(value)
    return size if size is not None and size > limit else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise ValueError(f"the number {shown} is out of the float range (it would be infinite)")
    return value


_INF = float("inf")
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)
_SPACE = json.decoder.WHITESPACE  # JSON's own four: space, tab, line feed, carriage return
_BOM = "\ufeff"
_LEADING = frozenset(" \t\n\r" + _BOM)


def decode_json(text: bytes | str, limit: int, what: str = "json.decode") -> Any:
    """Parse JSON text of at most ``limit`` bytes; errors name ``what`` and the position.

    JSON whitespace around the value is allowed, and so is a leading UTF-8 byte order mark
    (RFC 8259 lets a parser ignore one). Numbers too large for a float (``1e400``) are refused,
    as ``NaN`` and ``Infinity`` are: JSON has no infinities.
    """
    if len(text) > limit:
        raise ValueTooLargeError(f"{what}: the text is {len(text)} bytes; the limit is {limit}")
    try:
        if isinstance(text, bytes | bytearray):
            text = text.decode("utf-8")
        start = 0
        if text[:1] in _LEADING:  # (the bridge's own JSON starts with its value)
            start = _SPACE.match(text, 1 if text[0] == _BOM else 0).end()
        value, end = _DECODER.raw_decode(text, start)
        if end != len(text):
            end = _SPACE.match(text, end).end()
            if end != len(text):
                raise json.JSONDecodeError("Extra data", text, end)
        return value
    except RecursionError:
        raise InvalidValueError(f"{what}: the JSON is nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidValueError(f"{what}: the text is not valid UTF-8") from None
    except ValueError as e:
        raise InvalidValueError(f"{what}: {e}") from None
