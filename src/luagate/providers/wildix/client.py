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

Ids reach a URL path only when they are what the PBX's ids are (strings of digits), and then
percent-encoded as one segment: an id such as ``../Colleagues`` must never name another route (the
HTTP client, and the PBX's web server, resolve ``..``). Other ids are only looked up through the
lists' filters (query parameters), and an id the PBX does not know is ``not_found``.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from urllib.parse import quote, urlsplit

from ...catalog.dates import is_date_only, parse_instant
from ...errors import (
    AuthError,
    NotConfiguredError,
    NotFoundError,
    RejectedError,
    UpstreamError,
    ValidationError,
)
from ...http.account_settings import check_base_url, rate_budget, request_timeout
from ...http.endpoint import Endpoint, unreadable_answers
from .. import embedded
from . import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ...catalog.spec import FunctionSpec
    from ...http.context import CallContext

WILDIX_CLOUD = "wildixin.com"
USER_SCOPE_TTL_S = 600.0  # how long to remember that a token may read only its own history
USER_SCOPE_AFTER_401_S = 60.0  # the same, when the PBX said 401 rather than 403
PREFIXES = {"get_call": "call-", "get_extension": "ext-"}
PBX_ID = re.compile(r"[0-9]+")  # the form of the PBX's call record and colleague ids
WALL_CLOCK = '"YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (ISO "YYYY-MM-DDTHH:MM:SS" too)'


def pbx_origin(pbx_url: str) -> str:
    """``acme`` → ``https://acme.wildixin.com`` (``acme:8443`` → ``...wildixin.com:8443``); a
    full URL (with a port) is kept; a trailing ``/api`` or ``/api/v1`` is dropped. Any other path,
    a query or a fragment is a :class:`NotConfiguredError`: the PBX API lives at the root."""
    text = pbx_url.strip()
    if not text:
        raise NotConfiguredError("wildix account field pbx_url is empty")
    if text.startswith(embedded.SCHEME):
        return text.rstrip("/")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.startswith("["):  # an IPv6 address
        host, colon, port = hostport, "", ""
    else:
        host, colon, port = hostport.partition(":")
    if host and "." not in host and host.lower() != "localhost":
        host = f"{host}.{WILDIX_CLOUD}"
    path = parts.path.rstrip("/")
    if path.lower() not in ("", "/api", "/api/v1") or parts.query or parts.fragment:
        extra = path + (f"?{parts.query}" if parts.query else "")
        raise NotConfiguredError(
            f"wildix account field pbx_url: the PBX's address has no path ({extra!r} given);"
            ' write it as "acme" (https://acme.wildixin.com), "pbx.example.com" or'
            ' "https://pbx.example.com:8443"'
        )
    return f"{parts.scheme}://{userinfo}{at}{host}{colon}{port}"


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
        endpoint = self._endpoint(credentials, context.account)
        with unreadable_answers("Wildix", function.full_name, context):
            return getattr(self, function.name)(endpoint, args, context)

    def _endpoint(self, credentials: dict[str, str], account: str | None = None) -> Endpoint:
        origin = pbx_origin(credentials.get("pbx_url", ""))
        token = credentials.get("access_token", "")
        rate = credentials.get("rate_limit") or ""
        timeout = credentials.get("request_timeout") or ""
        key = (origin, token, rate, timeout)
        with self._lock:
            endpoint = self._endpoints.get(key)
            if endpoint is None:
                # the account's own value, named with the account (never the password)
                check_base_url("wildix", origin, field="pbx_url", account=account)
                endpoint = self._endpoints[key] = Endpoint(
                    embedded.origin_for(origin) + "/api/v1",
                    provider="Wildix",
                    url_field="pbx_url",
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
        """The whole PBX's history, or the token owner's when the token may not read it all.

        A PBX refuses the whole history to a user-level token with 403, or with 401 ("a key type
        not accepted" shares 401 with a bad token): either way the owner's history is tried, and
        if that is refused too, its refusal is the error. The fallback is remembered only once
        it worked, so a bad token never sticks to the user scope.
        """
        key = id(endpoint)
        if self._user_scope.get(key, 0.0) < time.monotonic():
            try:
                return _list(endpoint, "/PBX/CallHistory/", context, params), "pbx"
            except AuthError as e:
                if e.status not in (401, 403):
                    raise
                status = e.status
            result = _list(endpoint, "/CallHistory/", context, params)
            # a 403 is a clear "not this token"; a 401 may pass (a PBX restarting, a token just
            # renewed), so the whole history is asked for again sooner
            ttl = USER_SCOPE_TTL_S if status == 403 else USER_SCOPE_AFTER_401_S
            self._user_scope[key] = time.monotonic() + ttl
            return result, "user"
        return _list(endpoint, "/CallHistory/", context, params), "user"

    def get_call(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        call_id = _strip(args["id"], "get_call")
        data = None
        if _is_pbx_id(call_id):
            try:
                reply = endpoint.request("GET", f"/CallHistory/{_segment(call_id)}", context)
                data = _one(_result(reply.data), call_id, "get_call", "call record")
            except NotFoundError:
                pass  # not on the direct route (older or another user's record)
        if data is None:  # look in the history (the id goes as a query parameter only)
            params = [("filter[id]", call_id), ("count", 1)]
            result, _ = self._history(endpoint, context, params)
            data = _matching(result.get("records"), "id", call_id)
        if data is None:
            where = (
                "neither /CallHistory/{id} nor the call history list knows it"
                if _is_pbx_id(call_id)
                else "the call history list does not know it" + _NOT_AN_ID["get_call"]
            )
            raise NotFoundError(
                f"wildix.get_call: the PBX has no call record {call_id!r} ({where})", 404
            )
        return normalize.call(data)

    # -- colleagues -----------------------------------------------------------------------------

    def list_extensions(
        self, endpoint: Endpoint, args: dict[str, Any], context: CallContext
    ) -> dict[str, Any]:
        params = _paging(args, sort="extension")
        result = _list(endpoint, "/Colleagues/", context, params)
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
        records = _list(endpoint, "/Colleagues/", context, params).get("records")
        found = _matching(records, "extension", number)
        if found is not None:
            return normalize.extension(found)
        if _is_pbx_id(number):  # not an extension number: perhaps a colleague's id
            try:
                reply = endpoint.request("GET", f"/Colleagues/{_segment(number)}", context)
                found = _one(_result(reply.data), number, "get_extension", "colleague")
            except NotFoundError:
                pass
        if found is not None and str(found.get("extension") or "").strip():
            return normalize.extension(found)
        if found is not None:
            why = f"colleague {number!r} has no extension"
        elif _is_pbx_id(number):
            why = "and no colleague with that id"
        else:
            why = "no colleague has that extension" + _NOT_AN_ID["get_extension"]
        raise NotFoundError(
            f"wildix.get_extension: the PBX has no extension {number!r} ({why})", 404
        )

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


_AUTH_REASONS = ("unauthorized", "forbidden")


def _result(data: Any) -> Any:
    """The ``result`` of ``{"type": "result", ...}``; an error envelope as a typed error."""
    if not isinstance(data, dict):
        raise UpstreamError("the Wildix PBX answered with something other than its JSON envelope")
    if data.get("type") == "error":
        reason = data.get("reason") or data.get("message") or "no reason given"
        if isinstance(reason, str) and reason.strip().lower() in _AUTH_REASONS:
            # an auth refusal in the envelope of a 200 answer is still an auth refusal
            status = 403 if reason.strip().lower() == "forbidden" else 401
            raise AuthError(f"the Wildix PBX refused the credentials: {reason}", status)
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


_NOT_AN_ID = {
    "get_call": ', and call record ids are strings of digits such as "8289", also written'
    ' "call-8289"',
    "get_extension": ", and extension numbers and colleague ids are strings of digits such as"
    ' "456", also written "ext-456"',
}
_ID_FORM = {
    "get_call": 'a call record id, a string of digits such as "8289" (or "call-8289")',
    "get_extension": 'an extension number or colleague id, a string of digits such as "456" (or'
    ' "ext-456")',
}


def _strip(value: str, function: str) -> str:
    """The id as the PBX knows it: the reference's examples write ``call-123`` and ``ext-456``.

    A blank id is a validation error (the spec's ``min_length`` says so first; this guards direct
    use of the client), a bare prefix names nothing the PBX has: ``not_found``."""
    text = str(value).strip()
    if not text:
        raise ValidationError(
            f"wildix.{function}: id must not be blank: give {_ID_FORM[function]}; got {value!r}"
        )
    prefix = PREFIXES[function]
    if text.lower().startswith(prefix):
        text = text[len(prefix) :]
    if not text:
        what = "call record" if function == "get_call" else "extension"
        raise NotFoundError(
            f"wildix.{function}: {value!r} names no {what} (nothing follows {prefix!r}): give"
            f" {_ID_FORM[function]}",
            404,
        )
    return text


def _is_pbx_id(text: str) -> bool:
    """Can this be a PBX id (and so go in a URL path)? The PBX's ids are strings of digits."""
    return PBX_ID.fullmatch(text) is not None


def _segment(text: str) -> str:
    """An id as exactly one path segment: every character but letters, digits and ``-._~``
    percent-encoded (``/``, ``?``, ``#``, ``%`` included)."""
    return quote(text, safe="")


def _same_id(given: Any, wanted: str) -> bool:
    return given is not None and str(given).strip() == wanted


def _one(data: Any, wanted: str, function: str, what: str) -> dict[str, Any]:
    """The one record a ``.../{id}`` route answered, or an upstream error: a list or another
    record is never handed back as the one asked for."""
    if not isinstance(data, dict) or "records" in data:
        raise UpstreamError(f"wildix.{function}: the PBX's answer holds no {what}")
    if "id" in data and not _same_id(data["id"], wanted):
        raise UpstreamError(
            f"wildix.{function}: asked for {what} {wanted!r}, the PBX answered with {data['id']!r}"
        )
    return data


def _matching(records: Any, field: str, wanted: str) -> dict[str, Any] | None:
    """The first listed record whose ``field`` is ``wanted``: a filter the PBX ignored or read
    loosely does not pass another record off as the one asked for."""
    for record in records if isinstance(records, list) else ():
        if isinstance(record, dict) and _same_id(record.get(field), wanted):
            return record
    return None


def _pbx_time(value: str, name: str, end_of_day: bool) -> str:
    """``YYYY-MM-DD HH:MM:SS`` as the PBX compares it (its local time); a bare date is the whole
    day; a date-time is taken as written, as the PBX's local wall-clock time.

    A time-zone offset (``Z``, ``+05:00``) is refused: the PBX filters on its own local time,
    whose offset luagate cannot know before asking (each record's ``timezone`` tells it
    afterwards, and it changes with daylight saving time), so no conversion would be honest."""
    where = "wildix.list_calls"
    instant = parse_instant(value, where=where, name=name)  # checks the form
    text = value.strip()
    if is_date_only(text):
        day = f"{instant.year:04d}-{instant.month:02d}-{instant.day:02d}"  # %Y: no zeros
        return day + (" 23:59:59" if end_of_day else " 00:00:00")
    try:
        wall = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ValidationError(
            f"{where}: {name} must be a date or a date-time in the PBX's local time,"
            f" {WALL_CLOCK}; got {value!r}"
        ) from None
    if wall.tzinfo is not None:
        raise ValidationError(
            f"{where}: {name} must be in the PBX's local time, without a time zone: {WALL_CLOCK};"
            f" got {value!r}. The PBX compares call times on its own clock, whose UTC offset"
            " luagate cannot know before the call (each call's `timezone` field shows it): write"
            " the date-time as the PBX's clock reads it"
        )
    return f"{wall.year:04d}-" + wall.strftime("%m-%d %H:%M:%S")  # %Y pads no year below 1000


CLIENT = WildixClient()
