"""Did-you-mean suggestions, shared by every error that names something unknown, and the rule
for quoting a name an error did not recognise.

The names come from scripts and agents, so they may be megabytes long: a suggestion is looked
for only when the name is short enough to be a misspelling (difflib's cost grows with the
product of the lengths), and an error quotes at most :data:`QUOTE_CHARS` characters of it.

difflib loads only when a suggestion is needed: it is not on any start-up path.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

SUGGEST_CHARS = 100
"""The longest name suggestions are looked for: longer ones are no misspelling of a real name."""

QUOTE_CHARS = 80
"""The most characters of an unknown name an error message repeats."""


def close_matches(
    word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6
) -> list[str]:
    if len(word) > SUGGEST_CHARS:
        return []
    import difflib

    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=cutoff)


def clip(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text``, or its first ``limit`` characters and a marker saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``repr(text)``, of at most ``limit`` characters of it, with a marker past them."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"
