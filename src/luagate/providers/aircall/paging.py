"""Paging that Aircall's API does not do by itself.

- :func:`every_page`: the parameterless lists (``list_users``, ``list_numbers``) promise *all*
  records, so they follow ``next_page_link`` to the end in pages of 50.
- :func:`filtered_page`: filters Aircall has no server-side form of (``list_calls`` by
  ``number_id``, ``list_contacts`` by name) read the server's pages of 50 in the requested order,
  keep the matching records, and cut the requested page out of the matches. The scan is bounded;
  a scan that cannot fill the page within the bound is an error that says how to narrow it,
  never a silently short result.
"""

from __future__ import annotations

from ...errors import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

SERVER_PAGE = 50  # Aircall's largest page
MAX_SCAN_PAGES = 20  # 1,000 records; at 120 requests a minute, about 10 s of a company's budget
MAX_PAGES = 200  # 10,000 records: Aircall serves no further


def every_page(fetch: Callable[[int], dict[str, Any]], key: str) -> dict[str, Any]:
    """All records of a list; ``meta`` describes them as one page."""
    items: list[Any] = []
    total = 0
    for page in range(1, MAX_PAGES + 1):
        data = fetch(page)
        items.extend(data.get(key) or [])
        meta = data.get("meta") or {}
        total = int(meta.get("total") or len(items))
        if not meta.get("next_page_link"):
            break
    return {
        key: items,
        "meta": {
            "count": len(items),
            "total": total,
            "current_page": 1,
            "per_page": len(items),
            "next_page_link": None,
            "previous_page_link": None,
        },
    }


def filtered_page(
    fetch: Callable[[int], dict[str, Any]],
    key: str,
    keep: Callable[[dict[str, Any]], bool],
    *,
    page: int,
    per_page: int,
    filtered_by: str,
    where: str,
) -> dict[str, Any]:
    """Page ``page`` of the records ``keep`` accepts, scanning at most MAX_SCAN_PAGES pages."""
    wanted = page * per_page + 1  # one more than the page: is there a next one?
    matches: list[dict[str, Any]] = []
    scanned = 0
    complete = False
    for server_page in range(1, MAX_SCAN_PAGES + 1):
        data = fetch(server_page)
        records = data.get(key) or []
        scanned += len(records)
        matches.extend(r for r in records if keep(r))
        if len(matches) >= wanted:
            break
        if not (data.get("meta") or {}).get("next_page_link"):
            complete = True
            break
    else:
        raise ValidationError(
            f"{where}: Aircall cannot filter by {filtered_by} itself, so luagate reads the list "
            f"and filters it; it read {scanned} records ({MAX_SCAN_PAGES} pages) and found "
            f"{len(matches)} matches, not enough for page {page} of {per_page}. Narrow the "
            "search (from/to for calls) or ask for an earlier page."
        )
    start = (page - 1) * per_page
    items = matches[start : start + per_page]
    return {
        key: items,
        "meta": {
            "count": len(items),
            "total": len(matches) if complete else None,
            "current_page": page,
            "per_page": per_page,
            "next_page_link": None,
            "previous_page_link": None,
            "has_more": len(matches) > start + per_page,
            "filtered_by": filtered_by,
            "scanned": scanned,
        },
    }
