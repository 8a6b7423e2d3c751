"""What every Aircall simulator endpoint shares: errors, JSON bodies, and list pages.

Lists follow the real API: ``{"<plural>": [...], "meta": {...}}`` with absolute
``next_page_link``/``previous_page_link``; ``page`` from 1, ``per_page`` 1..50 (default 20);
``from``/``to`` in UNIX seconds, inclusive (anything else gives an empty list, as on the real API);
``order`` asc (default) or desc; and no page starting beyond the 10,000th record.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.responses import JSONResponse, Response

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from starlette.requests import Request

    from .sim_data import Dataset

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 50
RECORD_CAP = 10_000


class ApiError(Exception):
    """An error answer, raised anywhere in a handler: ``{"error": ..., "troubleshoot": ...}``."""

    def __init__(self, status: int, error: str, troubleshoot: str) -> None:
        super().__init__(f"{status} {error}: {troubleshoot}")
        self.status = status
        self.body = {"error": error, "troubleshoot": troubleshoot}

    def response(self) -> Response:
        return JSONResponse(self.body, self.status)


def invalid(troubleshoot: str) -> ApiError:
    return ApiError(400, "Invalid payload", troubleshoot)


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, "Not Found", f"{what} {ident} not found")


@dataclass
class Context:
    """One authenticated request: the company's data, the acting OAuth user, and "now"."""

    request: Request
    data: Dataset
    now: int
    user_id: int | None  # the OAuth token's user; None with an API key

    @property
    def base(self) -> str:
        """The public origin the client used, for absolute links: ``http://127.0.0.1:8080``."""
        return str(self.request.base_url).rstrip("/")

    def render(self, obj: Any) -> Any:
        """A deep copy of a stored object, its ``direct_link`` paths made absolute."""
        if isinstance(obj, dict):
            return {
                k: self.base + v
                if k == "direct_link" and isinstance(v, str) and v.startswith("/")
                else self.render(v)
                for k, v in obj.items()
            }
        if isinstance(obj, list):
            return [self.render(v) for v in obj]
        return obj

    def one(self, singular: str, obj: dict[str, Any], status: int = 200) -> Response:
        return JSONResponse({singular: self.render(obj)}, status)

    def param(self, name: str) -> str | None:
        return self.request.query_params.get(name)

    async def body(self) -> dict[str, Any]:
        """The JSON object sent; 400 unless it is one, sent as ``application/json``."""
        raw = await self.request.body()
        content_type = self.request.headers.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            raise invalid("Content-Type must be application/json")
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            raise invalid("The request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise invalid("The request body must be a JSON object")
        return body


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _paging(ctx: Context) -> tuple[int, int]:
    page, per_page = ctx.param("page"), ctx.param("per_page")
    page_n = 1 if page is None else _int(page)
    per_page_n = DEFAULT_PER_PAGE if per_page is None else _int(per_page)
    if page_n is None or page_n < 1:
        raise invalid(f"page must be a positive integer, got {page!r}")
    if per_page_n is None or not 1 <= per_page_n <= MAX_PER_PAGE:
        raise invalid(f"per_page must be an integer between 1 and {MAX_PER_PAGE}, got {per_page!r}")
    return page_n, per_page_n


def in_window(ctx: Context) -> Callable[[int], bool] | None:
    """The ``from``/``to`` test on a creation time (None: neither given).

    Never true if either is not an integer, as the real API finds nothing for an ISO date.
    """
    bounds = []
    for name in ("from", "to"):
        raw = ctx.param(name)
        value = _int(raw)
        if raw is not None and value is None:  # an ISO date, say: the real API finds nothing
            return lambda ts: False
        bounds.append(value)
    low, high = bounds
    if low is None and high is None:
        return None
    return lambda ts: (low is None or ts >= low) and (high is None or ts <= high)


def order_desc(ctx: Context) -> bool:
    order = ctx.param("order") or "asc"
    if order not in ("asc", "desc"):
        raise invalid(f"order must be asc or desc, got {order!r}")
    return order == "desc"


def _by_id(item: dict[str, Any]) -> Any:
    return item["id"]


def _link(ctx: Context, page: int, per_page: int) -> str:
    params = ctx.request.query_params.multi_items()
    rest = [(k, v) for k, v in params if k not in ("page", "per_page")]
    query = urlencode([("page", page), ("per_page", per_page), *rest], safe="[]")
    return f"{ctx.base}{ctx.request.url.path}?{query}"


def _window_slice(
    ctx: Context, items: Sequence[dict[str, Any]], created: Callable[[dict[str, Any]], int]
) -> Sequence[dict[str, Any]]:
    """The items (sorted by creation) created within from/to; none if either is not an integer."""
    low, high = ctx.param("from"), ctx.param("to")
    bounds = [_int(low), _int(high)]
    if (low is not None and bounds[0] is None) or (high is not None and bounds[1] is None):
        return []
    start = 0 if bounds[0] is None else bisect.bisect_left(items, bounds[0], key=created)
    end = len(items) if bounds[1] is None else bisect.bisect_right(items, bounds[1], key=created)
    return items[start:end]


def page_of(
    ctx: Context,
    plural: str,
    items: Sequence[dict[str, Any]],
    *,
    created: Callable[[dict[str, Any]], int] | None,
    sort_key: Callable[[dict[str, Any]], Any] | None = None,
    presorted: bool = False,
    render: Callable[[dict[str, Any]], Any] | None = None,
) -> Response:
    """One page of ``items`` (filtered by from/to on ``created``, sorted) with its meta.

    Items sort by ``sort_key``, by default (creation time, id); ``presorted`` says they already
    are in that order. ``created`` None: the items have no creation time, so from/to do not apply
    and they sort by id.
    """
    page, per_page = _paging(ctx)
    desc = order_desc(ctx)
    if presorted and sort_key is None and created is not None:
        # in creation order already: the window is a slice found by bisection, O(log n)
        rows = _window_slice(ctx, items, created)
        if desc:
            rows = rows[::-1]
    elif presorted and sort_key is None:
        rows = list(reversed(items)) if desc else list(items)
    else:
        keep = in_window(ctx) if created is not None else None
        if created is not None and keep is not None:  # None: no from/to given
            items = [item for item in items if keep(created(item))]
        default = _by_id if created is None else lambda item: (created(item), item["id"])
        rows = sorted(items, key=sort_key or default, reverse=desc)
    start = (page - 1) * per_page
    if start >= RECORD_CAP:
        raise ApiError(
            400,
            "Invalid page",
            f"Pagination is limited to {RECORD_CAP:,} records: narrow the results with from and to",
        )
    reachable = min(len(rows), RECORD_CAP)
    chosen = rows[start : min(start + per_page, reachable)]
    meta = {
        "count": len(chosen),
        "total": len(rows),
        "current_page": page,
        "per_page": per_page,
        "next_page_link": _link(ctx, page + 1, per_page) if start + per_page < reachable else None,
        "previous_page_link": _link(ctx, page - 1, per_page) if page > 1 else None,
    }
    shown = [render(item) if render else ctx.render(item) for item in chosen]
    return JSONResponse({plural: shown, "meta": meta})
