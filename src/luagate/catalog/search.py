"""Search over the documentation pages: a small weighted token index built from the specs."""

from __future__ import annotations

import re

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


class SearchIndex:
    def __init__(self, docs: Docs) -> None:
        self._entries: list[dict[str, Any]] = []
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

    def _add(self, page: str, title: str, summary: str, fields: dict[str, str]) -> None:
        weights: dict[str, float] = {}
        texts = {"name": page, "title": title, "summary": summary, **fields}
        for field, text in texts.items():
            for token in set(tokens(text)):
                weights[token] = max(weights.get(token, 0.0), _WEIGHTS[field])
        self._entries.append({"page": page, "title": title, "summary": summary, "weights": weights})

    def search(self, query: str, limit: int = 10) -> list[dict[str, Any]]:
        words = tokens(query)
        if not words:
            return []
        results = []
        for entry in self._entries:
            weights = entry["weights"]
            score = 0.0
            matched = 0
            for word in words:
                best = weights.get(word, 0.0)
                if not best:  # a prefix still counts, for less
                    best = max(
                        (w * 0.5 for t, w in weights.items() if t.startswith(word)), default=0.0
                    )
                if best:
                    matched += 1
                score += best
            if matched:
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
