"""``regex.*`` for scripts: Python ``re`` syntax, evaluated with a time limit.

Patterns run on the ``regex`` package (compatible with ``re`` syntax) because it can stop a
catastrophic backtrack at a deadline, which ``re`` cannot. Text crosses as UTF-8; bytes that are
not UTF-8 survive unchanged (surrogateescape), so binary subjects round-trip.

A match is a table: ``m[0]`` the whole match, ``m[1]..m[n]`` the groups (``false`` for a group that
did not take part), and named groups also by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import regex

from ..errors import InvalidValueError, TimeoutLimitError, ValueTooLargeError

_CACHE_SIZE = 64


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _match_table(m: Any) -> dict[Any, Any]:
    table: dict[Any, Any] = {0: m.group(0)}
    for i, group in enumerate(m.groups(), start=1):
        table[i] = False if group is None else group
    for name, group in m.groupdict().items():
        table[name] = False if group is None else group
    return table


class RegexOps:
    """The host side of ``regex.*`` for one execution."""

    def __init__(self, remaining: Callable[[], float], size_limit: int) -> None:
        self._remaining = remaining
        self._size_limit = size_limit
        self._compiled: dict[bytes, Any] = {}

    def __call__(
        self, name: str, pattern: bytes, subject: bytes, extra: Any = None, count: int = 0
    ) -> Any:
        if len(subject) > self._size_limit:
            raise ValueTooLargeError(
                f"regex.{name}: the subject is {len(subject)} bytes; the limit is {self._size_limit}"
            )
        compiled = self._compile(name, pattern)
        text = _text(subject)
        timeout = max(self._remaining(), 0.001)
        try:
            if name == "match":
                m = compiled.search(text, timeout=timeout)
                return None if m is None else _match_table(m)
            if name == "match_all":
                return [_match_table(m) for m in compiled.finditer(text, timeout=timeout)]
            if name == "split":
                return compiled.split(text, maxsplit=extra or 0, timeout=timeout)
            if name == "gsub":
                try:
                    return compiled.subn(_text(extra), text, count=count, timeout=timeout)
                except (regex.error, IndexError) as e:
                    raise InvalidValueError(f"regex.gsub: bad replacement: {e}") from None
            if name == "pieces":
                return self._pieces(compiled, text, extra or 0, timeout)
        except TimeoutError:
            raise TimeoutLimitError(
                f"regex.{name}: the pattern ran into the script's time limit"
            ) from None
        raise InvalidValueError(f"regex.{name} is not a regex function")

    def _compile(self, name: str, pattern: bytes) -> Any:
        compiled = self._compiled.get(pattern)
        if compiled is None:
            try:
                compiled = regex.compile(_text(pattern), flags=regex.VERSION0)
            except regex.error as e:
                raise InvalidValueError(
                    f"regex.{name}: bad pattern {_text(pattern)!r}: {e}"
                ) from None
            if len(self._compiled) >= _CACHE_SIZE:
                self._compiled.clear()
            self._compiled[pattern] = compiled
        return compiled

    @staticmethod
    def _pieces(compiled: Any, text: str, count: int, timeout: float) -> list[Any]:
        """The subject cut into literal text and match tables, for a Lua-side replacement."""
        pieces: list[Any] = []
        position = 0
        for n, m in enumerate(compiled.finditer(text, timeout=timeout), start=1):
            pieces.append(text[position:m.start()])
            pieces.append(_match_table(m))
            position = m.end()
            if count and n >= count:
                break
        pieces.append(text[position:])
        return pieces
