"""Did-you-mean suggestions, shared by every error that names something unknown.

difflib loads only when a suggestion is needed: it is not on any start-up path.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable


def close_matches(
    word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6
) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, list(candidates), n=n, cutoff=cutoff)
