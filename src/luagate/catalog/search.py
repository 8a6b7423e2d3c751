"""Search over the documentation pages: a small weighted token index built from the specs."""

from __future__ import annotations

import re
from bisect import bisect_left

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from typing import Any

    from .docs import Docs
    from .spec import Field, Param

_TOKEN = re.compile(r"[a-z0-9]+")
# where a word appears, and how much that says about the page
_WEIGHTS = {
    "name": 5.0,
    "title": 4.0,
    "summary": 2.0,
    "keywords": 2.0,  # a spec's search words: what agents ask for in words the page may not use
    "params": 1.5,
    "returns": 1.0,
    "nested": 0.75,  # a field inside a parameter or a returned value (calls[].voicemail)
    "body": 0.5,
}


def tokens(text: str) -> list[str]:
    words = _TOKEN.findall(text.lower().replace("_", " "))
    # "calls" should find "call" and the reverse
    return [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words]


def _nested(shapes: Iterable[Field | Param]) -> Iterator[Field]:
    """The fields inside parameters and returned values, at any depth: an object's fields, and
    those of an array's items (the top-level ones are indexed on their own, with more weight)."""
    pending = list(shapes)
    while pending:
        shape = pending.pop()
        for field in getattr(shape, "fields", ()):  # a Param has only items
            yield field
            pending.append(field)
        if shape.items is not None:
            pending.append(shape.items)


MAX_QUERY_CHARS = 1000
"""The part of a query the search reads: a longer one is cut (at a word) to its first 1,000
characters. Queries are a few words; this bounds what a script or an agent can make the host do."""


def _cut(query: str) -> str:
    if len(query) <= MAX_QUERY_CHARS:
        return query
    cut = query[:MAX_QUERY_CHARS]
    if _TOKEN.match(query[MAX_QUERY_CHARS].lower()):  # not half a word: drop it
        cut = _TRAILING_WORD.sub("", cut)
    return cut


_TRAILING_WORD = re.compile(r"[A-Za-z0-9]+$")


class SearchIndex:
    """Pages by word: for each token, the pages it appears in and its weight there (the most
    telling field's); the tokens sorted, so a word's prefixes are found by bisection."""

    def __init__(self, docs: Docs) -> None:
        self._entries: list[dict[str, Any]] = []
        self._postings: dict[str, dict[int, float]] = {}
        from .guides import GUIDES

        for name, guide in GUIDES.items():
            self._add(name, guide.title, guide.summary, {"body": guide.render(docs)})
        for p in docs.providers:
            body = " ".join([*(f.name for f in p.functions), p.rate_limit])
            self._add(p.name, p.title, p.description, {"body": body})
            for f in p.functions:
                self._add(
                    f.full_name,
                    f.full_name,
                    f.description,
                    {
                        "params": " ".join(f"{x.name} {x.description}" for x in f.params),
                        "returns": " ".join(f"{x.name} {x.description}" for x in f.returns),
                        "nested": " ".join(
                            f"{x.name} {x.description}" for x in _nested([*f.params, *f.returns])
                        ),
                        "keywords": f.keywords,
                        "body": f"{f.kind} {f.notes} {f.requests}",
                    },
                )
        self._vocabulary = sorted(self._postings)

    def _add(self, page: str, title: str, summary: str, fields: dict[str, str]) -> None:
        index = len(self._entries)
        texts = {"name": page, "title": title, "summary": summary, **fields}
        for field, text in texts.items():
            weight = _WEIGHTS[field]
            for token in set(tokens(text)):
                pages = self._postings.setdefault(token, {})
                if weight > pages.get(index, 0.0):
                    pages[index] = weight
        self._entries.append({"page": page, "title": title, "summary": summary})

    def _weights(self, word: str) -> dict[int, float]:
        """Each page's weight for ``word``: its own where the page has the word, else half the
        best of the page's tokens that start with it (a prefix still counts, for less)."""
        exact = self._postings.get(word, {})
        found = dict(exact)
        vocabulary = self._vocabulary
        i = bisect_left(vocabulary, word)
        while i < len(vocabulary) and vocabulary[i].startswith(word):
            token = vocabulary[i]
            i += 1
            if token == word:
                continue
            for index, weight in self._postings[token].items():
                if index not in exact and weight * 0.5 > found.get(index, 0.0):
                    found[index] = weight * 0.5
        return found

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        """Pages ranked by how well they match the words of ``query`` (its first
        :data:`MAX_QUERY_CHARS` characters); pages matching every word come first."""
        words = tokens(_cut(query))
        if not words:
            return []
        by_word = {word: self._weights(word) for word in set(words)}
        candidates = set().union(*by_word.values())
        results = []
        for index in candidates:
            score = 0.0
            matched = 0
            for word in words:
                best = by_word[word].get(index, 0.0)
                if best:
                    matched += 1
                score += best
            entry = self._entries[index]
            score *= matched / len(words)  # pages matching every word come first
            results.append(
                {
                    "page": entry["page"],
                    "title": entry["title"],
                    "summary": entry["summary"],
                    "score": round(score, 2),
                }
            )
        results.sort(key=lambda r: (-r["score"], r["page"]))
        return results[: max(0, limit)]
