"""``regex.*`` for scripts: Python ``re`` syntax on the host side of the bridge.

Patterns run on Python's own ``re``. A catastrophic pattern cannot be interrupted inside ``re``:
the isolated executor's deadline kill ends it, as it ends a pathological ``string.find``. Text
crosses as UTF-8; bytes that are not UTF-8 survive unchanged (surrogateescape), so binary
subjects round-trip.

A match is a table: ``m[0]`` the whole match, ``m[1]..m[n]`` the groups (``false`` for a group that
did not take part), and named groups also by name.
"""

from __future__ import annotations

import re
import warnings

from ..errors import InvalidValueError, ValueTooLargeError
from ..suggest import quote

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from typing import Any


_CACHE_SIZE = 64

# ``re`` warns about some patterns (FutureWarning: "Possible nested set") from inside the
# compile, importing :mod:`warnings` then and printing to stderr: a script's pattern must not
# write to the operator's terminal, and a worker can import nothing. Warnings attributed to this
# module (only ``re.compile`` here raises any) are ignored; ``warnings`` is imported now.
warnings.filterwarnings("ignore", module=r"luagate\.lua\.regex_ops\Z")


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def _match_table(m: Any) -> dict[Any, Any]:
    table: dict[Any, Any] = {0: m.group(0)}
    for i, group in enumerate(m.groups(), start=1):
        table[i] = False if group is None else group
    for name, group in m.groupdict().items():
        table[name] = False if group is None else group
    return table


class _Budget:
    """Counts what one regex call builds, so a pattern that matches everywhere stays bounded."""

    __slots__ = ("limit", "name", "used")

    def __init__(self, name: str, limit: int) -> None:
        self.name = name
        self.limit = limit
        self.used = 0

    def add(self, match: dict[Any, Any]) -> dict[Any, Any]:
        self.used += 64 + sum(len(v) + 48 for v in match.values() if isinstance(v, str))
        if self.used > self.limit:
            self.fail()
        return match

    def add_pieces(self, pieces: list[Any]) -> list[Any]:
        self.used += sum(48 if piece is None else len(piece) + 48 for piece in pieces)
        if self.used > self.limit:
            self.fail()
        return pieces

    def fail(self) -> None:
        raise ValueTooLargeError(
            f"regex.{self.name}: the matches are over the limit of {self.limit} bytes"
        )


class RegexOps:
    """The host side of ``regex.*`` for one execution."""

    def __init__(self, size_limit: int) -> None:
        self._size_limit = size_limit
        self._compiled: dict[bytes, Any] = {}

    def __call__(
        self, name: str, pattern: bytes, subject: bytes, extra: Any = None, count: int = 0
    ) -> Any:
        if len(subject) > self._size_limit:
            raise ValueTooLargeError(
                f"regex.{name}: the subject is {len(subject)} bytes;"
                f" the limit is {self._size_limit}"
            )
        compiled = self._compile(name, pattern)
        text = _text(subject)
        if name == "match":
            m = compiled.search(text)
            return None if m is None else _match_table(m)
        if name == "match_all":
            budget = _Budget(name, self._size_limit)
            return [budget.add(_match_table(m)) for m in compiled.finditer(text)]
        if name == "split":
            return self._split(compiled, text, extra or 0, _Budget(name, self._size_limit))
        if name == "gsub":
            try:
                result, n = compiled.subn(_text(extra), text, count=count)
            except (re.error, IndexError) as e:
                raise InvalidValueError(f"regex.gsub: bad replacement: {e}") from None
            if len(result) > self._size_limit:
                raise ValueTooLargeError(
                    f"regex.gsub: the result is over the limit of {self._size_limit} bytes"
                )
            return [result, n]
        if name == "pieces":
            return self._pieces(compiled, text, extra or 0, _Budget("gsub", self._size_limit))
        raise InvalidValueError(f"regex.{name} is not a regex function")

    def _compile(self, name: str, pattern: bytes) -> Any:
        compiled = self._compiled.get(pattern)
        if compiled is None:
            try:
                compiled = re.compile(_text(pattern))
            except re.error as e:
                raise InvalidValueError(
                    f"regex.{name}: bad pattern {quote(_text(pattern))}: {e}"
                ) from None
            if len(self._compiled) >= _CACHE_SIZE:
                self._compiled.clear()
            self._compiled[pattern] = compiled
        return compiled

    @staticmethod
    def _split(compiled: Any, text: str, max_split: int, budget: _Budget) -> list[Any]:
        """``compiled.split``, stopped once its pieces could not fit the budget: each piece
        costs at least 48, so at most ``limit // 48`` splits are made (a pattern that matches
        everywhere would otherwise build millions of pieces before any check)."""
        most = budget.limit // 48 + 1
        if max_split < 0 or 0 < max_split <= most:  # (< 0: no split at all, as in Python)
            return budget.add_pieces(compiled.split(text, maxsplit=max_split))
        pieces = compiled.split(text, maxsplit=most)
        if (len(pieces) - 1) // (compiled.groups + 1) >= most:  # it stopped at the cap
            budget.fail()
        return budget.add_pieces(pieces)

    @staticmethod
    def _pieces(compiled: Any, text: str, count: int, budget: _Budget) -> list[Any]:
        """The subject cut into literal text and match tables, for a Lua-side replacement."""
        pieces: list[Any] = []
        position = 0
        for n, m in enumerate(compiled.finditer(text), start=1):
            pieces.append(text[position : m.start()])
            pieces.append(budget.add(_match_table(m)))
            position = m.end()
            if count and n >= count:
                break
        pieces.append(text[position:])
        return pieces
