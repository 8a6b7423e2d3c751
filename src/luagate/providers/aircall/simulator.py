"""A fake of Aircall's real public API, for tests, benchmarks and the zero-config demo.

It speaks what ``api.aircall.io`` speaks: Basic (API ID and token) or Bearer (OAuth) auth, each
credential naming one company with its own seeded data and its own rate-limit window; the real
envelopes, pagination, status codes and error bodies (AWS-edge ``{"message": ...}`` for 401, 403
and unknown routes; ``{"error", "troubleshoot"}`` from the application). Every request goes through
a :class:`FaultPlan` and lands in a :class:`RequestLog`. Serve it with
``luagate simulate aircall``, in tests with ``serve_in_thread(AircallSimulator().app)``, or
in-process through an ASGI transport (the ``demo`` account).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import math
import time
from dataclasses import dataclass, replace
from typing import Any

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..simulation.faults import FaultPlan
from ..simulation.log import RequestLog
from ..simulation.middleware import SimulatorMiddleware
from ..simulation.window import FixedWindowCounter
from . import sim_calls, sim_contacts
from .sim_api import ApiError, Context, not_found, page_of
from .sim_data import ASSETS, Company, Dataset, abridged_user, default_companies, generate

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Mapping

    from starlette.requests import Request
    from starlette.responses import Response

    Handler = Callable[[Context], Awaitable[Response]]

_THROTTLED = "Too many requests for this company: wait until X-AircallApi-Reset, then retry"


@dataclass
class _Tenant:
    company: Company
    data: Dataset
    window: FixedWindowCounter


class AircallSimulator:
    """The simulated API for some companies (default: :func:`default_companies`).

    ``anchor`` is "today" for the seeded data (default: today, UTC); ``clock`` gives "now" for
    rate-limit windows and for records the API creates.
    """

    title = "Aircall"

    def __init__(
        self,
        companies: Iterable[Company] | None = None,
        *,
        anchor: dt.date | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.anchor = anchor or dt.datetime.now(dt.UTC).date()
        self.faults = FaultPlan()
        self.log = RequestLog()
        self._clock = clock
        self._tenants: dict[str, _Tenant] = {}
        self._basic: dict[tuple[str, str], str] = {}
        self._bearer: dict[str, tuple[str, int]] = {}
        for company in default_companies() if companies is None else companies:
            if company.name in self._tenants:
                raise ValueError(f"two companies are named {company.name!r}")
            window = FixedWindowCounter(company.rate_limit, company.rate_window_s, clock=clock)
            self._tenants[company.name] = _Tenant(company, generate(company, self.anchor), window)
            for key in company.api_keys:
                self._basic[key] = company.name
            for i, token in enumerate(company.oauth_tokens):
                self._bearer[token] = (company.name, i)
        self.app = self.build_app()

    @property
    def companies(self) -> tuple[Company, ...]:
        return tuple(t.company for t in self._tenants.values())

    def company(self, name: str) -> Dataset:
        """A company's live data (what the API reads and changes)."""
        return self._tenants[name].data

    def describe(self) -> list[str]:
        """One line per company: its demo credentials and rate limit (printed by the CLI)."""
        lines = []
        for c in self.companies:
            keys = ", ".join(f"API ID {i} / API token {t}" for i, t in c.api_keys) or "no API key"
            oauth = ", ".join(c.oauth_tokens) or "none"
            lines.append(
                f"{c.name}: {keys}; OAuth token {oauth}"
                f" ({c.rate_limit} requests per {c.rate_window_s} s)"
            )
        return lines

    # -- auth and rate limit ------------------------------------------------------------------

    def _authenticate(self, header: str | None) -> tuple[_Tenant, int | None] | int:
        """The tenant and OAuth user index for an Authorization header, else 401 or 403."""
        scheme, _, value = (header or "").strip().partition(" ")
        scheme, value = scheme.lower(), value.strip()
        if not value or scheme not in ("basic", "bearer"):
            return 401
        if scheme == "bearer":
            found = self._bearer.get(value)
            return (self._tenants[found[0]], found[1]) if found else 403
        try:
            api_id, _, token = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return 403
        name = self._basic.get((api_id, token))
        return (self._tenants[name], None) if name else 403

    def identify(self, scope: Mapping[str, Any]) -> str | None:
        """The company a request's credentials belong to, if any (for the request log)."""
        found = self._authenticate(Headers(scope=scope).get("authorization"))
        return None if isinstance(found, int) else found[0].company.name

    def _limit_headers(self, limit: int, reset: int) -> dict[str, str]:
        return {
            "X-AircallApi-Limit": str(limit),
            "X-AircallApi-Remaining": "0",
            "X-AircallApi-Reset": str(reset),
        }

    def _fault_limit_headers(
        self, scope: Mapping[str, Any], retry_after_s: float | None
    ) -> dict[str, str]:
        """The headers of an injected 429: the company's window, or 120/min if unknown."""
        name = self.identify(scope)
        window = (
            self._tenants[name].window if name else FixedWindowCounter(120, 60, clock=self._clock)
        )
        state = window.peek(name)
        reset = state.reset
        if retry_after_s is not None:
            reset = math.ceil(self._clock() + retry_after_s)
        return self._limit_headers(state.limit, reset)

    def _guarded(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """A route endpoint: authenticate, count against the company's limit, then handle."""

        async def endpoint(request: Request) -> Response:
            found = self._authenticate(request.headers.get("authorization"))
            if found == 401:
                return JSONResponse({"message": "Unauthorized"}, 401)
            if isinstance(found, int):
                return JSONResponse({"message": "Forbidden"}, 403)
            tenant, oauth_user = found
            hit = tenant.window.hit(tenant.company.name)
            if not hit.allowed:
                body = {"error": "Too Many Requests", "troubleshoot": _THROTTLED}
                return JSONResponse(body, 429, headers=self._limit_headers(hit.limit, hit.reset))
            ctx = Context(request, tenant.data, int(self._clock()), oauth_user)
            try:
                return await handler(ctx)
            except ApiError as e:
                return e.response()

        return endpoint

    # -- the app ------------------------------------------------------------------------------

    def build_app(self) -> Starlette:
        """A fresh Starlette app over this simulator's data, faults and log."""
        g = self._guarded
        c = sim_contacts
        routes = [
            Route("/", _root),
            Route("/v1/ping", g(_ping)),
            Route("/v1/company", g(_company)),
            Route("/v1/integrations/me", g(_integration)),
            Route("/v1/calls", g(sim_calls.list_calls)),
            Route("/v1/calls/search", g(sim_calls.search_calls)),
            Route("/v1/calls/{call_id:int}", g(sim_calls.get_call)),
            Route("/v1/contacts", g(c.list_contacts)),
            Route("/v1/contacts", g(c.create_contact), methods=["POST"]),
            Route("/v1/contacts/search", g(c.search_contacts)),
            Route("/v1/contacts/{contact_id:int}", g(c.get_contact)),
            Route("/v1/contacts/{contact_id:int}", g(c.update_contact), methods=["POST"]),
            Route("/v1/contacts/{contact_id:int}", g(c.delete_contact), methods=["DELETE"]),
            Route("/v2/users", g(_users)),
            Route("/v2/users/{user_id:int}/numbers", g(_user_numbers)),
            Route("/v2/users/{ref}", g(_user)),
            Route("/v1/numbers", g(_numbers)),
            Route("/v1/numbers/{number_id:int}", g(_number)),
            Route("/v1/tags", g(_tags)),
            Route("/v1/tags/{tag_id:int}", g(_tag)),
        ]
        for kind in ("phone_details", "email_details"):
            base = f"/v1/contacts/{{contact_id:int}}/{kind}"
            routes += [
                Route(base, g(c.add_detail), methods=["POST"]),
                Route(f"{base}/{{detail_id:int}}", g(c.update_detail), methods=["PUT"]),
                Route(f"{base}/{{detail_id:int}}", g(c.delete_detail), methods=["DELETE"]),
            ]
        shell = Middleware(
            SimulatorMiddleware,
            faults=self.faults,
            log=self.log,
            identify=self.identify,
            rate_limit_headers=self._fault_limit_headers,
        )
        app = Starlette(
            routes=routes,
            middleware=[shell],
            exception_handlers={404: _no_route, 405: _no_route},
        )
        app.router.redirect_slashes = False
        return app


def build_simulator(
    *, rate_limit: tuple[int, int] | None = None, anchor: dt.date | None = None
) -> AircallSimulator:
    """The default companies' simulator, as the demo account and ``luagate simulate`` serve it.

    ``rate_limit`` is (requests, window in seconds), applied to every company.
    """
    companies = default_companies()
    if rate_limit is not None:
        limit, window_s = rate_limit
        companies = tuple(replace(c, rate_limit=limit, rate_window_s=window_s) for c in companies)
    return AircallSimulator(companies, anchor=anchor)


# -- small endpoints ------------------------------------------------------------------------


async def _no_route(request: Request, exc: Exception) -> Response:
    """What the AWS edge answers for a route the API does not have (any method)."""
    return JSONResponse({"message": "Not Found"}, 404)


async def _root(request: Request) -> Response:
    body = {"resource": "Aircall Documentation", "contact": "https://developer.aircall.io"}
    return JSONResponse(body)


async def _ping(ctx: Context) -> Response:
    return JSONResponse({"ping": "pong"})


async def _company(ctx: Context) -> Response:
    data = ctx.data
    body = {
        "name": data.company.display_name,
        "users_count": len(data.users),
        "numbers_count": len(data.numbers),
    }
    return JSONResponse({"company": body})


async def _integration(ctx: Context) -> Response:
    """``GET /v1/integrations/me``: only an OAuth token has an integration record."""
    if ctx.user_id is None:
        troubleshoot = "Only OAuth integrations have an integration record"
        raise ApiError(403, "Forbidden", troubleshoot)
    data = ctx.data
    user = data.users[ctx.user_id % len(data.users)] if data.users else None
    integration = {
        "name": "Luagate",
        "custom_name": f"Luagate for {data.company.display_name}",
        "logo": f"{ASSETS}/integrations/luagate.png",
        "company_id": data.company.company_id,
        "status": "active",
        "active": True,
        "number_ids": [n["id"] for n in data.numbers],
        "numbers_count": len(data.numbers),
        "user": abridged_user(user) if user else None,
    }
    return ctx.one("integration", integration)


def _created(item: dict[str, Any]) -> int:
    """The creation time of a user or number (stored as ISO 8601) in UNIX seconds."""
    return int(dt.datetime.fromisoformat(item["created_at"]).timestamp())


def _by_id(items: list[dict[str, Any]], ident: int, what: str) -> dict[str, Any]:
    found = next((item for item in items if item["id"] == ident), None)
    if found is None:
        raise not_found(what, ident)
    return found


async def _users(ctx: Context) -> Response:
    return page_of(ctx, "users", ctx.data.users, created=_created)


async def _user(ctx: Context) -> Response:
    """``GET /v2/users/{id or email}``."""
    ref = ctx.request.path_params["ref"]
    if ref.isdigit():
        return ctx.one("user", _by_id(ctx.data.users, int(ref), "User"))
    user = next((u for u in ctx.data.users if u["email"].lower() == ref.lower()), None)
    if user is None:
        raise not_found("User", ref)
    return ctx.one("user", user)


async def _user_numbers(ctx: Context) -> Response:
    user = _by_id(ctx.data.users, ctx.request.path_params["user_id"], "User")
    numbers = [n for n in ctx.data.numbers if any(u["id"] == user["id"] for u in n["users"])]
    return page_of(ctx, "numbers", numbers, created=_created)


async def _numbers(ctx: Context) -> Response:
    return page_of(ctx, "numbers", ctx.data.numbers, created=_created)


async def _number(ctx: Context) -> Response:
    number = _by_id(ctx.data.numbers, ctx.request.path_params["number_id"], "Number")
    return ctx.one("number", number)


async def _tags(ctx: Context) -> Response:
    return page_of(ctx, "tags", ctx.data.tags, created=None)


async def _tag(ctx: Context) -> Response:
    return ctx.one("tag", _by_id(ctx.data.tags, ctx.request.path_params["tag_id"], "Tag"))
