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


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def decode_json(text: bytes | str, limit: int, what: str = "json.decode") -> Any:
    """Parse JSON text of at most ``limit`` bytes; errors name ``what`` and the position."""
    if len(text) > limit:
        raise ValueTooLargeError(f"{what}: the text is {len(text)} bytes; the limit is {limit}")
    try:
        if isinstance(text, bytes | bytearray):
            text = text.decode("utf-8")
        value, end = _DECODER.raw_decode(text)  # the bridge's own JSON has no outer whitespace
        if end != len(text) and text[end:].strip():
            raise ValueError(f"Extra data: line 1 column {end + 1} (char {end})")
        return value
    except RecursionError:
        raise InvalidValueError(f"{what}: the JSON is nested too deeply") from None
    except UnicodeDecodeError:
        raise InvalidValueError(f"{what}: the text is not valid UTF-8") from None
    except ValueError as e:
        raise InvalidValueError(f"{what}: {e}") from None
