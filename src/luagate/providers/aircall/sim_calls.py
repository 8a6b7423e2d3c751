"""The Aircall simulator's call endpoints: list, search, retrieve.

``GET /v1/calls`` has no filters at all (the real one ignores direction, user_id, tags...);
``GET /v1/calls/search`` takes ``direction``, ``user_id``, ``phone_number`` and repeated
``tags[]`` ids (combined with AND; ``tags`` without brackets or comma-joined ids match nothing).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from typing import Any

from starlette.responses import JSONResponse

from .sim_api import Context, invalid, not_found, page_of
from .sim_phones import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from starlette.responses import Response

_SHORT = "https://short.sim.invalid"


def _flag(ctx: Context, name: str) -> bool:
    return (ctx.param(name) or "").lower() in ("true", "1")


def _renderer(ctx: Context) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """How calls are shown, given the request's ``fetch_*`` flags."""
    contacts: dict[str, dict[str, Any]] = {}
    if _flag(ctx, "fetch_contact"):
        for contact in ctx.data.contacts.values():
            for phone in contact["phone_numbers"]:
                contacts.setdefault(normalize(phone["value"]), contact)
    short_urls = _flag(ctx, "fetch_short_urls")
    timeline, aiva = _flag(ctx, "fetch_call_timeline"), _flag(ctx, "fetch_aiva_conv")

    def render(call: dict[str, Any]) -> dict[str, Any]:
        shown = ctx.render(call)
        if contacts:
            contact = contacts.get(normalize(call["raw_digits"]))
            shown["contact"] = ctx.render(contact) if contact else None
        if short_urls:
            for kind in ("recording", "voicemail"):
                url = call[kind]
                digest = hashlib.sha256(url.encode()).hexdigest()[:10] if url else None
                shown[f"{kind}_short_url"] = f"{_SHORT}/{digest}" if digest else None
        if timeline:
            shown["ivr_options_selected"] = []
        if aiva:
            shown["ai_voice_agents"] = []
        return shown

    return render


def _page(ctx: Context, calls: list[dict[str, Any]]) -> Response:
    """A page of calls (kept in the store by started_at, then id)."""
    render = _renderer(ctx)
    return page_of(ctx, "calls", calls, created=_started_at, presorted=True, render=render)


def _started_at(call: dict[str, Any]) -> int:
    return call["started_at"]


def _so_far(ctx: Context) -> list[dict[str, Any]]:
    """The calls that have started by now: the seeded anchor day runs into the hours ahead,
    and an API never lists a call before it happens."""
    return ctx.data.calls[: bisect_right(ctx.data.call_starts, ctx.now)]


async def list_calls(ctx: Context) -> Response:
    """``GET /v1/calls``: every call so far, paged; filter parameters are ignored."""
    return _page(ctx, _so_far(ctx))


def _search_filter(ctx: Context) -> Callable[[dict[str, Any]], bool]:
    direction = ctx.param("direction")
    if direction is not None and direction not in ("inbound", "outbound"):
        raise invalid(f"direction must be inbound or outbound, got {direction!r}")
    user_id = ctx.param("user_id")
    phone = ctx.param("phone_number")
    wanted_phone = normalize(phone) if phone is not None else None
    items = ctx.request.query_params.multi_items()
    raw_tags = [v for k, v in items if k == "tags[]"]
    nothing = any(k == "tags" for k, _ in items) or not all(v.isdigit() for v in raw_tags)
    if user_id is not None and not user_id.isdigit():
        nothing = True
    tag_ids = {int(v) for v in raw_tags if v.isdigit()}

    def keep(call: dict[str, Any]) -> bool:
        if nothing:
            return False
        if direction is not None and call["direction"] != direction:
            return False
        if user_id is not None and (call["user"] or {}).get("id") != int(user_id):
            return False
        if wanted_phone is not None and normalize(call["raw_digits"]) != wanted_phone:
            return False
        return tag_ids <= {tag["id"] for tag in call["tags"]}

    return keep


async def search_calls(ctx: Context) -> Response:
    """``GET /v1/calls/search``: calls matching every filter given."""
    keep = _search_filter(ctx)
    return _page(ctx, [call for call in _so_far(ctx) if keep(call)])


async def get_call(ctx: Context) -> Response:
    """``GET /v1/calls/{id}``."""
    call_id = ctx.request.path_params["call_id"]
    call = ctx.data.calls_by_id.get(call_id)
    if call is None or call["started_at"] > ctx.now:
        raise not_found("Call", call_id)
    return JSONResponse({"call": _renderer(ctx)(call)})
