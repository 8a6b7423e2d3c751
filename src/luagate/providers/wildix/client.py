"""The 6 Wildix functions on a Wildix PBX's own REST API (``https://<pbx>.wildixin.com/api/v1``).

Each function keeps the agent-facing contract and maps it onto the PBX (every mapping is also in
the function's docs, ``spec.py`` notes):
- replies come wrapped as ``{"type": "result", "result": ...}``; ``{"type": "error", "reason":
  ...}`` and HTTP errors become the HTTP layer's typed errors;
- ``list_calls``: offset paging (``start``/``count``), newest first (``sort=start&dir=DESC``),
  dates as ``filter[start][from|to]`` in the PBX's ``YYYY-MM-DD HH:MM:SS`` form (a date widens to
  the whole day); the whole PBX's history first, and the token owner's own history when the
  token may not read the whole PBX;
- ``get_call``: ``/CallHistory/{id}``, and on 404 the history list filtered by id;
- extensions are colleagues seen through their extension number; users are colleagues.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from urllib.parse import quote

from ...catalog.dates import is_date_only, parse_instant
from ...errors import (
    AuthError,
    NotConfiguredError,
    NotFoundError,
    RejectedError,
    UpstreamError,
)
from ...http.account_settings import rate_budget, request_timeout
from ...http.endpoint import Endpoint
from .. import embedded
from . import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ...catalog.spec import FunctionSpec
    from ...http.context import CallContext

WILDIX_CLOUD = "wildixin.com"
USER_SCOPE_TTL_S = 600.0  # how long to remember that a token may read only its own history
PREFIXES = {"get_call": "call-", "get_extension": "ext-"}


def pbx_origin(pbx_url: str) -> str:
    """``acme`` → ``https://acme.wildixin.com``; a full URL (with a port) is kept; a trailing
    ``/api/v1`` is dropped."""
    text = pbx_url.strip().rstrip("/")
    if not text:
        raise NotConfiguredError("wildix account field pbx_url is empty")
    if text.startswith(embedded.SCHEME):
        return text
    if "://" not in text:
        if "." not in text and ":" not in text:
            text = f"{text}.{WILDIX_CLOUD}"
        text = "https://" + text
    for suffix in ("/api/v1", "/api"):
        if text.lower().endswith(suffix):
            text = text[: -len(suffix)]
    return text


class WildixClient:
    def __init__(self) -> None:
        self._endpoints: dict[tuple[str, ...], Endpoint] = {}
        self._user_scope: dict[int, float] = {}  # endpoint → until when to read user history
        self._lock = threading.Lock()

    def call(
        self,
        function: FunctionSpec,
        args: dict[str, Any],
        credentials: dict[str, str],
        context: CallContext,
    ) -> Any:
        endpoint = self._endpoint(credentials)
        return getattr(self, function.name)(endpoint, args, context)

    def _endpoint(self, credentials: dict[str, str]) -> Endpoint:
        origin = pbx_origin(credentials.get("pbx_url", ""))
        token = credentials.get("access_token", "")
        rate = credentials.get("rate_limit") or ""
        timeout = credentials.get("request_timeout") or ""
        key = (origin, token, rate, timeout)
        with self._lock:
            endpoint = self._endpoints.get(key)
            if endpoint is None:
                endpoint = self._endpoints[key] = Endpoint(
                    embedded.origin_for(origin) + "/api/v1",
                    provider="Wildix",
                    headers={"Authorization": f"Bearer {token}"},
                    # the PBX API documents no limit: only an operator's own, if set
                    budget=rate_budget("wildix", rate, f"{origin}\n{token}"),
                    transport=embedded.transport_for(origin),
                    timeout_s=request_timeout("wildix", timeout),
                    auth_hint="the PBX refused the token: check the account's access_token (a "
                    "company API key, PBX simple token or OAuth token) and pbx_url with "
                    "`luagate fields wildix`",
                )
        return endpoint

    # -- calls ----------------------------------------------------------------------------------

    def list_calls(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        limit, page = args["limit"], args["page"]
        params: list[tuple[str, Any]] = [
            ("start", (page - 1) * limit),
            ("count", limit),
            ("sort", "start"),
            ("dir", "DESC"),
        ]
        for name, bound, end_of_day in (("date_from", "from", False), ("date_to", "to", True)):
            if args.get(name) is not None:
                params.append((f"filter[start][{bound}]", _pbx_time(args[name], name, end_of_day)))
        result, scope = self._history(endpoint, context, params)
        records = result.get("records") or []
        return {
            "calls": [normalize.call(r) for r in records if isinstance(r, dict)],
            "total": _count(result.get("total"), len(records)),
            "page": page,
            "limit": limit,
            "scope": scope,
        }

    def _history(
        self, endpoint: Endpoint, context: CallContext, params: list[tuple[str, Any]]
    ) -> tuple[dict[str, Any], str]:
        """The whole PBX's history, or the token owner's when the token may not read it all."""
        key = id(endpoint)
        if self._user_scope.get(key, 0.0) < time.monotonic():
            try:
                return _list(endpoint, "/PBX/CallHistory/", context, params), "pbx"
            except AuthError as e:
                if e.status != 403:
                    raise
                self._user_scope[key] = time.monotonic() + USER_SCOPE_TTL_S
        return _list(endpoint, "/CallHistory/", context, params), "user"

    def get_call(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        call_id = _strip(args["id"], "get_call")
        try:
            data = _result(endpoint.request("GET", f"/CallHistory/{quote(call_id)}", context).data)
        except NotFoundError:
            # not on the direct route (older or another user's record): look in the history
            result, _ = self._history(endpoint, context, [("filter[id]", call_id), ("count", 1)])
            records = result.get("records") or []
            if not records:
                raise NotFoundError(
                    f"wildix.get_call: the PBX has no call record {call_id!r} (neither "
                    "/CallHistory/{id} nor the call history list knows it)",
                    404,
                ) from None
            data = records[0]
        if not isinstance(data, dict):
            raise UpstreamError("wildix.get_call: the PBX's answer holds no call record")
        return normalize.call(data)

    # -- colleagues -----------------------------------------------------------------------------

    def list_extensions(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        result = _list(endpoint, "/Colleagues/", context, _paging(args, sort="extension"))
        records = [r for r in result.get("records") or [] if isinstance(r, dict)]
        return {
            "extensions": [normalize.extension(r) for r in records],
            "total": _count(result.get("total"), len(records)),
            "page": args["page"],
            "limit": args["limit"],
        }

    def get_extension(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        number = _strip(args["id"], "get_extension")
        params = [("filter[extension]", number), ("count", 1)]
        records = _list(endpoint, "/Colleagues/", context, params).get("records") or []
        if records:
            return normalize.extension(records[0])
        try:  # not an extension number: perhaps a colleague's id
            data = _result(endpoint.request("GET", f"/Colleagues/{quote(number)}", context).data)
        except NotFoundError:
            raise NotFoundError(
                f"wildix.get_extension: the PBX has no extension {number!r} (and no colleague "
                "with that id)",
                404,
            ) from None
        return normalize.extension(data)

    def list_users(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        result = _list(endpoint, "/Colleagues/", context, _paging(args, sort="name"))
        records = [r for r in result.get("records") or [] if isinstance(r, dict)]
        return {
            "users": [normalize.user(r) for r in records],
            "total": _count(result.get("total"), len(records)),
            "page": args["page"],
            "limit": args["limit"],
        }

    def get_current_user(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        data = _result(endpoint.request("GET", "/personal/info", context).data)
        if not isinstance(data, dict):
            raise UpstreamError("wildix.get_current_user: the PBX's answer holds no user")
        return normalize.user(data)


# -- the PBX's envelope and parameters ------------------------------------------------------------


def _result(data: Any) -> Any:
    """The ``result`` of ``{"type": "result", ...}``; an error envelope as a typed error."""
    if not isinstance(data, dict):
        raise UpstreamError("the Wildix PBX answered with something other than its JSON envelope")
    if data.get("type") == "error":
        reason = data.get("reason") or data.get("message") or "no reason given"
        raise RejectedError(f"the Wildix PBX refused the request: {reason}")
    if "result" not in data:
        raise UpstreamError("the Wildix PBX's answer has no 'result'")
    return data["result"]


def _list(
    endpoint: Endpoint, path: str, context: CallContext, params: list[tuple[str, Any]]
) -> dict[str, Any]:
    result = _result(endpoint.request("GET", path, context, params=params).data)
    if not isinstance(result, dict):
        raise UpstreamError(f"the Wildix PBX's answer to {path} is not a list")
    return result


def _paging(args: dict[str, Any], *, sort: str) -> list[tuple[str, Any]]:
    limit, page = args["limit"], args["page"]
    return [("start", (page - 1) * limit), ("count", limit), ("sort", sort), ("dir", "ASC")]


def _count(value: Any, fallback: int) -> int:
    number = normalize._int(value) if value is not None else None
    return number if number is not None else fallback


def _strip(value: str, function: str) -> str:
    """The id as the PBX knows it: the reference's examples write ``call-123`` and ``ext-456``."""
    text = str(value).strip()
    prefix = PREFIXES[function]
    return text[len(prefix) :] if text.lower().startswith(prefix) else text


def _pbx_time(value: str, name: str, end_of_day: bool) -> str:
    """``YYYY-MM-DD HH:MM:SS`` as the PBX compares it (its local time); a bare date is the whole
    day; a date-time is taken as written, as the PBX's local wall-clock time."""
    instant = parse_instant(value, where="wildix.list_calls", name=name)  # checks the form
    if is_date_only(value):
        return instant.strftime("%Y-%m-%d") + (" 23:59:59" if end_of_day else " 00:00:00")
    try:
        wall = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        wall = instant
    return wall.strftime("%Y-%m-%d %H:%M:%S")


CLIENT = WildixClient()
