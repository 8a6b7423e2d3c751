"""A fake of a Wildix PBX's real REST API (``/api/v1``), for tests, benchmarks and demos.

Several PBXes share one host: the token says which PBX a request is for, and which colleague it
acts as (admin tokens act as admins). It speaks what a PBX speaks: ``Authorization: Bearer <token>``
(or ``?token=``); routes matched case-insensitively, with or without a trailing slash, on the
path as sent (see :func:`route`: an encoded ``/`` in an id stays inside its segment); every answer
in the ``{"type": "result"|"error", ...}`` envelope, lists as ``{"total": "<n>", "records": [...]}``
with every value a string (see :mod:`.sim_query` for the list parameters). Status codes:

- 401 ``Unauthorized``: no token, or one no PBX knows (a Bearer header wins over ``?token=``).
- 403 ``Forbidden``: a user token on an admin route (``PBX/CallHistory``, ``PBX/Colleagues``,
  another user's ``User/{ext}/CallHistory``); 401 there instead for a PBX whose
  ``admin_refusal`` is 401.
- 404 ``Not Found``: an unknown record; ``CallHistory/{id}`` also for a record older than the
  PBX's ``direct_days`` (archived: the lists still have it) and, for a user token, for a record
  that is not the user's own. An unknown route, or a method other than GET: 404
  ``{"type": "error", "reason": "404 Not Found", "code": 404}``, checked before the token.
- 400: a bad list parameter. 429 ``Too Many Requests`` with ``Retry-After``: only with the opt-in
  ``rate_limit`` (the PBX API documents none).

Every request goes through a :class:`FaultPlan` and lands in a :class:`RequestLog`.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.datastructures import Headers, QueryParams
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..simulation.faults import FaultPlan
from ..simulation.log import RequestLog
from ..simulation.middleware import SimulatorMiddleware
from ..simulation.window import FixedWindowCounter
from .sim_cdr import CDR_FIELDS
from .sim_data import COLLEAGUE_FIELDS, Pbx, PbxData, default_pbxes, generate
from .sim_query import Table, WildixError, list_result, projection

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    from starlette.requests import Request
    from starlette.responses import Response

    from .sim_data import Record

    Handler = Callable[..., object]

CALLS = Table(CDR_FIELDS, frozenset({"id", "billsec", "duration", "cost"}), "start", 100)
COLLEAGUES = Table(COLLEAGUE_FIELDS, frozenset({"id", "extension"}), "dn", 1500)
NO_ROUTE = {"type": "error", "reason": "404 Not Found", "code": 404}
_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True)
class Caller:
    """One authenticated request: the PBX's data, the colleague the token acts as, the query."""

    data: PbxData
    me: Record
    admin: bool
    params: Sequence[tuple[str, str]]
    now: str  # the PBX's local time, as its records write it: "YYYY-MM-DD HH:MM:SS"


def _not_found() -> WildixError:
    return WildixError(404, "Not Found")


def _history(caller: Caller, records: Sequence[Record]) -> object:
    """A call history list of the calls so far: the seeded anchor day runs into the hours
    ahead, and a PBX never lists a call before it happens (``records`` are by start)."""
    so_far = records[: bisect_right(records, caller.now, key=_start)]
    return list_result(CALLS, caller.params, so_far)


def _start(record: Record) -> str:
    return record["start"]


def local_now(pbx: Pbx, seconds: float) -> str:
    """The PBX's wall-clock time at ``seconds`` (UNIX), in its records' form."""
    sign = -1 if pbx.timezone.startswith("-") else 1
    hours, minutes = int(pbx.timezone[1:3]), int(pbx.timezone[3:5])
    offset = dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))
    return dt.datetime.fromtimestamp(seconds, offset).strftime("%Y-%m-%d %H:%M:%S")


def _refused(pbx: Pbx) -> WildixError:
    """A user token on an admin route, refused as this PBX refuses it."""
    if pbx.admin_refusal == 401:
        return WildixError(401, "Unauthorized")
    return WildixError(403, "Forbidden")


def _pbx_history(caller: Caller) -> object:
    """``GET PBX/CallHistory``: every call of the PBX (admin)."""
    return _history(caller, caller.data.calls)


def _own_history(caller: Caller) -> object:
    """``GET CallHistory``: the calls the token's colleague placed or received."""
    return _history(caller, caller.data.history_of(caller.me["extension"]))


def _user_history(caller: Caller, extension: str) -> object:
    """``GET User/{extension}/CallHistory``: any user's for an admin, one's own for a user."""
    if not caller.admin and extension != caller.me["extension"]:
        raise _refused(caller.data.pbx)
    if extension not in caller.data.history:
        raise _not_found()
    return _history(caller, caller.data.history_of(extension))


def _one_call(caller: Caller, call_id: str) -> object:
    """``GET CallHistory/{id}``: a recent record; a user token sees its own only."""
    call = caller.data.calls_by_id.get(call_id)
    if call is None or call["start"] > caller.now or not caller.data.served_directly(call):
        raise _not_found()
    if not caller.admin and caller.me["extension"] not in (call["src"], call["dst"]):
        raise _not_found()
    return projection(caller.params)(call)


def _colleagues(caller: Caller) -> object:
    """``GET Colleagues`` and ``GET PBX/Colleagues``."""
    return list_result(COLLEAGUES, caller.params, caller.data.colleagues)


def _colleague(caller: Caller, colleague_id: str) -> object:
    """``GET Colleagues/{id}``: by database id, never by extension."""
    colleague = caller.data.colleagues_by_id.get(colleague_id)
    if colleague is None:
        raise _not_found()
    return projection(caller.params)(colleague)


def _personal_info(caller: Caller) -> object:
    """``GET personal/info``: the token's own colleague record."""
    return projection(caller.params)(caller.me)


# (lowercase path segments under /api/v1, None for a parameter), handler, admin only
_ROUTES: tuple[tuple[tuple[str | None, ...], Handler, bool], ...] = (
    (("pbx", "callhistory"), _pbx_history, True),
    (("callhistory",), _own_history, False),
    (("callhistory", None), _one_call, False),
    (("user", None, "callhistory"), _user_history, False),
    (("colleagues",), _colleagues, False),
    (("pbx", "colleagues"), _colleagues, True),
    (("colleagues", None), _colleague, False),
    (("personal", "info"), _personal_info, False),
)


def path_segments(raw_path: str) -> list[str]:
    """A raw (still percent-encoded) path's segments, as a web server resolves them.

    The path is split on its literal ``/`` first, then each segment is decoded: ``%2F`` in an id
    stays inside that segment. Dot segments (``.``, ``..``, also written ``%2E``) are resolved as
    RFC 3986 says and HTTP servers do, never above the root. Empty segments are kept (a trailing
    slash is dropped): ``//`` names no route."""
    out: list[str] = []
    for part in raw_path.split("?", 1)[0].rstrip("/").split("/")[1:]:
        segment = unquote(part)
        if segment == ".":
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return out


def route(raw_path: str) -> tuple[Handler, bool, list[str]] | None:
    """The handler, admin flag and path parameters for a raw path, or None: no such route."""
    parts = path_segments(raw_path)
    if len(parts) < 3 or [p.lower() for p in parts[:2]] != ["api", "v1"]:
        return None
    segments = parts[2:]
    for pattern, handler, admin_only in _ROUTES:
        if len(pattern) != len(segments) or "" in segments:
            continue
        if all(p is None or p == s.lower() for p, s in zip(pattern, segments, strict=True)):
            args = [s for p, s in zip(pattern, segments, strict=True) if p is None]
            return handler, admin_only, args
    return None


def _token(headers: Headers, query: QueryParams) -> str | None:
    """The request's token: a Bearer header's, else ``?token=``."""
    scheme, _, value = (headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return query.get("token") or None


class WildixSimulator:
    """The simulated API of some PBXes (default: :func:`default_pbxes`).

    ``anchor`` is "today" for the seeded data (default: today, UTC); ``clock`` gives "now" for
    rate-limit windows. ``rate_limit`` (requests, window in seconds) applies to each PBX.
    """

    title = "Wildix"

    def __init__(
        self,
        pbxes: Iterable[Pbx] | None = None,
        *,
        anchor: dt.date | None = None,
        clock: Callable[[], float] = time.time,
        rate_limit: tuple[int, float] | None = None,
    ) -> None:
        self.anchor = anchor or dt.datetime.now(dt.UTC).date()
        self.faults = FaultPlan()
        self.log = RequestLog()
        self.rate_limit = rate_limit
        self._clock = clock
        self._window = FixedWindowCounter(*rate_limit, clock=clock) if rate_limit else None
        self._data: dict[str, PbxData] = {}
        self._tokens: dict[str, PbxData] = {}
        for pbx in default_pbxes() if pbxes is None else pbxes:
            if pbx.name in self._data:
                raise ValueError(f"two PBXes are named {pbx.name!r}")
            data = self._data[pbx.name] = generate(pbx, self.anchor)
            for token in data.grants:
                if token in self._tokens:
                    raise ValueError(f"the token {token!r} belongs to two PBXes")
                self._tokens[token] = data
        self.app = self.build_app()

    @property
    def pbxes(self) -> tuple[Pbx, ...]:
        return tuple(d.pbx for d in self._data.values())

    def pbx(self, name: str) -> PbxData:
        """A PBX's data, as the API serves it."""
        return self._data[name]

    def describe(self) -> list[str]:
        """One line per PBX: its tokens and whom they act as (printed by the CLI)."""
        lines = []
        for data in self._data.values():
            pbx = data.pbx
            tokens = "; ".join(
                f"{'admin' if admin else 'user'} token {token}"
                f" ({me['name']}, ext {me['extension']}, id {me['id']})"
                for token, (me, admin) in data.grants.items()
            )
            lines.append(
                f"{pbx.name}: {tokens or 'no token'}; {len(data.colleagues)} colleagues,"
                f" {len(data.calls)} calls, UTC{pbx.timezone}"
            )
        limit = self.rate_limit
        lines.append(
            f"rate limit: {limit[0]} requests per {limit[1]} s per PBX"
            if limit
            else "no rate limit"
        )
        return lines

    def identify(self, scope: Mapping[str, Any]) -> str | None:
        """The PBX a request's token belongs to, if any (for the request log)."""
        token = _token(Headers(scope=scope), QueryParams(scope.get("query_string", b"")))
        data = self._tokens.get(token) if token else None
        return data.pbx.name if data else None

    def _retry_after(self, name: str) -> str:
        assert self._window is not None
        return str(max(1, math.ceil(self._window.peek(name).reset - self._clock())))

    def _fault_limit_headers(
        self, scope: Mapping[str, Any], retry_after_s: float | None
    ) -> dict[str, str]:
        """An injected 429's headers: Retry-After from the PBX's window, when there is one."""
        name = self.identify(scope)
        if self._window is None or name is None or retry_after_s is not None:
            return {}
        return {"Retry-After": self._retry_after(name)}

    async def _endpoint(self, request: Request) -> Response:
        raw = request.scope.get("raw_path")  # as sent; "path" is already decoded
        found = route(raw.decode("latin-1") if raw else quote(request.url.path))
        if found is None or request.method not in ("GET", "HEAD"):
            return JSONResponse(NO_ROUTE, 404)
        handler, admin_only, args = found
        token = _token(request.headers, request.query_params)
        data = self._tokens.get(token) if token else None
        try:
            if data is None or token is None:
                raise WildixError(401, "Unauthorized")
            if self._window is not None and not self._window.hit(data.pbx.name).allowed:
                error = WildixError(429, "Too Many Requests")
                headers = {"Retry-After": self._retry_after(data.pbx.name)}
                return JSONResponse(error.body, 429, headers=headers)
            me, admin = data.grants[token]
            if admin_only and not admin:
                raise _refused(data.pbx)
            now = local_now(data.pbx, self._clock())
            caller = Caller(data, me, admin, request.query_params.multi_items(), now)
            result = handler(caller, *args)
        except WildixError as e:
            return JSONResponse(e.body, e.status)
        return JSONResponse({"type": "result", "result": result})

    def build_app(self) -> Starlette:
        """A fresh Starlette app over this simulator's data, faults and log."""
        shell = Middleware(
            SimulatorMiddleware,
            faults=self.faults,
            log=self.log,
            identify=self.identify,
            rate_limit_headers=self._fault_limit_headers,
        )
        app = Starlette(
            routes=[Route("/{path:path}", self._endpoint, methods=_METHODS)],
            middleware=[shell],
        )
        app.router.redirect_slashes = False
        return app


def build_simulator(
    *, rate_limit: tuple[int, int] | None = None, anchor: dt.date | None = None
) -> WildixSimulator:
    """The default PBXes' simulator, as ``luagate simulate wildix`` serves it.

    ``rate_limit`` is (requests, window in seconds), applied to every PBX; default: none.
    """
    return WildixSimulator(anchor=anchor, rate_limit=rate_limit)
