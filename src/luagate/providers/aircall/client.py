"""The 8 Aircall functions on the real Aircall Public API (``https://api.aircall.io``).

Each function keeps the agent-facing contract (parameters, result shape) and maps it onto what
Aircall really does; every mapping is also written in the function's docs (``spec.py`` notes):
- ``list_calls``: ``from``/``to`` sent as UNIX seconds, ``order`` always sent; ``direction``,
  ``user_id`` and ``tags`` go to ``/v1/calls/search`` (tags as repeated ``tags[]`` ids, names
  resolved through ``/v1/tags``); ``number_id`` is filtered here (see :mod:`.paging`).
- ``list_contacts``: ``q`` is an email or phone search on ``/v1/contacts/search``; a name is
  matched here over the contact list (bounded scan).
- ``create_contact``/``update_contact``: what Aircall would refuse (no phone number, a number not
  in international form, an email that is not an address, blank text) is refused before any
  request (:mod:`.checks`, light enough for a dry run to share), so a write never half-happens.
- ``update_contact``: text fields by ``POST /v1/contacts/:id``; ``phone_numbers``/``emails``
  replace the existing entries through the ``phone_details``/``email_details`` sub-resources
  (additions first, then removals, so a failure never leaves the contact with fewer numbers).
- ``list_users``: ``/v2/users``; ``get_current_user``: the OAuth app's user, or the account's
  ``user_email`` for an API key (which belongs to a company, not a person).
"""

from __future__ import annotations

import base64
import re
import threading
import time
from urllib.parse import quote

from ...catalog.dates import is_date_only, parse_instant
from ...errors import NotConfiguredError, ProviderError, UpstreamError, ValidationError
from ...http.account_settings import check_base_url, rate_budget, request_timeout
from ...http.endpoint import Endpoint, unreadable_answers
from .. import embedded
from . import checks, normalize
from .paging import SERVER_PAGE, every_page, filtered_page

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ...catalog.spec import FunctionSpec
    from ...http.context import CallContext

DEFAULT_BASE_URL = "https://api.aircall.io"
DEFAULT_RATE = "120/min"  # per company (Aircall's documented budget; configurable per account)
TAGS_TTL_S = 60.0
DAY_S = 86_400
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_PHONE = re.compile(r"^\+?[\d\s().-]+$")


class AircallClient:
    def __init__(self) -> None:
        self._endpoints: dict[tuple[str, ...], Endpoint] = {}
        self._tags: dict[int, tuple[float, dict[str, int]]] = {}
        self._lock = threading.Lock()

    def call(
        self,
        function: FunctionSpec,
        args: dict[str, Any],
        credentials: dict[str, str],
        context: CallContext,
    ) -> Any:
        checks.check(function.name, args)  # before anything is sent
        endpoint = self._endpoint(credentials, context.account)
        with unreadable_answers("Aircall", function.full_name, context):
            return getattr(self, function.name)(endpoint, args, credentials, context)

    # -- the account's endpoint -----------------------------------------------------------------

    def _endpoint(self, credentials: dict[str, str], account: str | None = None) -> Endpoint:
        given = credentials.get("base_url") or DEFAULT_BASE_URL
        base_url = check_base_url("aircall", given, account=account)
        if credentials.get("api_id") and credentials.get("api_token"):
            pair = f"{credentials['api_id']}:{credentials['api_token']}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode("ascii")
        else:
            authorization = "Bearer " + credentials.get("access_token", "")
        rate = credentials.get("rate_limit") or DEFAULT_RATE
        timeout = credentials.get("request_timeout") or ""
        key = (base_url, authorization, rate, timeout)
        with self._lock:
            endpoint = self._endpoints.get(key)
            if endpoint is None:
                endpoint = self._endpoints[key] = Endpoint(
                    embedded.origin_for(base_url),
                    provider="Aircall",
                    headers={"Authorization": authorization},
                    # one budget per company: keyed by who the credentials are
                    budget=rate_budget("aircall", rate, f"{base_url}\n{authorization}"),
                    transport=embedded.transport_for(base_url),
                    reset_headers=("X-AircallApi-Reset",),
                    secrets=_secrets(credentials, ("api_token", "access_token")),
                    timeout_s=request_timeout("aircall", timeout),
                    auth_hint="Aircall answers 403 to an unknown API key or token: check the "
                    "account's api_id and api_token (or access_token) with `luagate fields "
                    "aircall` and `luagate configure aircall`",
                )
        return endpoint

    # -- calls ----------------------------------------------------------------------------------

    def list_calls(
        self, endpoint: Endpoint, args: dict[str, Any], _: dict[str, str], context: CallContext
    ) -> dict[str, Any]:
        where = "aircall.list_calls"
        params: list[tuple[str, Any]] = [("order", args["order"])]
        for name in ("from", "to"):
            if args.get(name) is not None:
                instant = parse_instant(args[name], where=where, name=name)
                seconds = int(instant.timestamp())
                if name == "to" and is_date_only(args[name]):
                    seconds += DAY_S - 1  # a bare date as the end means its whole day
                params.append((name, seconds))
        search = False
        if args.get("direction"):
            params.append(("direction", args["direction"]))
            search = True
        if args.get("user_id") is not None:
            params.append(("user_id", args["user_id"]))
            search = True
        if args.get("tags"):
            for tag_id in self._tag_ids(endpoint, args["tags"], context):
                params.append(("tags[]", tag_id))
            search = True
        path = "/v1/calls/search" if search else "/v1/calls"

        def fetch(page: int, per_page: int) -> dict[str, Any]:
            query = [*params, ("page", page), ("per_page", per_page)]
            return endpoint.request("GET", path, context, params=query).data or {}

        number_id = args.get("number_id")
        if number_id is None:
            data = fetch(args["page"], args["per_page"])
            return {
                "calls": [normalize.call(c) for c in data.get("calls") or []],
                "meta": data.get("meta"),
            }
        result = filtered_page(
            lambda page: fetch(page, SERVER_PAGE),
            "calls",
            lambda c: isinstance(c.get("number"), dict) and c["number"].get("id") == number_id,
            page=args["page"],
            per_page=args["per_page"],
            filtered_by="number_id",
            where=where,
        )
        result["calls"] = [normalize.call(c) for c in result["calls"]]
        return result

    def get_call(
        self, endpoint: Endpoint, args: dict[str, Any], _: dict[str, str], context: CallContext
    ) -> dict[str, Any]:
        data = endpoint.request("GET", f"/v1/calls/{args['call_id']}", context).data or {}
        return {"call": normalize.call(_record(data, "call", "aircall.get_call"))}

    def _tag_ids(self, endpoint: Endpoint, tags: list[Any], context: CallContext) -> list[int]:
        """Tag ids as given, and tag names looked up (case-insensitively) in ``/v1/tags``."""
        ids: list[int] = []
        names: dict[str, int] | None = None
        for i, tag in enumerate(tags, start=1):
            if isinstance(tag, float) and tag.is_integer():
                tag = int(tag)
            if isinstance(tag, int) and not isinstance(tag, bool):
                ids.append(tag)
                continue
            if not isinstance(tag, str) or not tag.strip():
                raise ValidationError(
                    f"aircall.list_calls: tags[{i}] must be a tag id (integer) or a tag name "
                    f"(string), got {tag!r}"
                )
            if names is None:
                names = self._tag_names(endpoint, context)
            found = names.get(tag.strip().lower())
            if found is None and tag.strip().isdigit():
                found = int(tag.strip())
            if found is None:
                known = ", ".join(sorted(names)) or "none"
                raise ValidationError(
                    f"aircall.list_calls: tags[{i}] {tag!r} is not a tag of this Aircall "
                    f"account; its tags are: {known}"
                )
            ids.append(found)
        return ids

    def _tag_names(self, endpoint: Endpoint, context: CallContext) -> dict[str, int]:
        key = id(endpoint)
        cached = self._tags.get(key)
        if cached is not None and time.monotonic() - cached[0] < TAGS_TTL_S:
            return cached[1]
        data = every_page(
            lambda page: (
                endpoint.request(
                    "GET", "/v1/tags", context, params={"page": page, "per_page": SERVER_PAGE}
                ).data
                or {}
            ),
            "tags",
        )
        names = {
            str(t["name"]).lower(): int(t["id"])
            for t in data["tags"]
            if isinstance(t, dict) and "name" in t and "id" in t
        }
        self._tags[key] = (time.monotonic(), names)
        return names

    # -- contacts -------------------------------------------------------------------------------

    def list_contacts(
        self, endpoint: Endpoint, args: dict[str, Any], _: dict[str, str], context: CallContext
    ) -> dict[str, Any]:
        q = (args.get("q") or "").strip()
        base: list[tuple[str, Any]] = [("order", args["order"])]
        if not q:
            query = [*base, ("page", args["page"]), ("per_page", args["per_page"])]
            data = endpoint.request("GET", "/v1/contacts", context, params=query).data or {}
            return _contacts(data)
        if _EMAIL.match(q):
            search = ("email", q)
        elif _PHONE.match(q) and sum(ch.isdigit() for ch in q) >= 5:
            digits = re.sub(r"[^\d+]", "", q)
            search = ("phone_number", "+" + digits[2:] if digits.startswith("00") else digits)
        else:
            search = None
        if search is not None:
            query = [*base, search, ("page", args["page"]), ("per_page", args["per_page"])]
            data = endpoint.request("GET", "/v1/contacts/search", context, params=query).data
            return _contacts(data or {})
        words = q.lower().split()

        def matches(contact: dict[str, Any]) -> bool:
            text = " ".join(
                str(contact.get(k) or "") for k in ("first_name", "last_name", "company_name")
            ).lower()
            return all(w in text for w in words)

        result = filtered_page(
            lambda page: (
                endpoint.request(
                    "GET",
                    "/v1/contacts",
                    context,
                    params=[*base, ("page", page), ("per_page", SERVER_PAGE)],
                ).data
                or {}
            ),
            "contacts",
            matches,
            page=args["page"],
            per_page=args["per_page"],
            filtered_by="q",
            where="aircall.list_contacts",
        )
        result["contacts"] = [normalize.contact(c) for c in result["contacts"]]
        return result

    def create_contact(
        self, endpoint: Endpoint, args: dict[str, Any], _: dict[str, str], context: CallContext
    ) -> dict[str, Any]:
        where = "aircall.create_contact"
        body = {k: v for k, v in args.items() if v is not None}
        for name in ("phone_numbers", "emails"):
            if name in body:
                body[name] = _entries(body[name])
        data = endpoint.request("POST", "/v1/contacts", context, json_body=body).data or {}
        return {"contact": normalize.contact(_record(data, "contact", where))}

    def update_contact(
        self, endpoint: Endpoint, args: dict[str, Any], _: dict[str, str], context: CallContext
    ) -> dict[str, Any]:
        where = "aircall.update_contact"
        contact_id = args["contact_id"]
        path = f"/v1/contacts/{contact_id}"
        text = {k: args[k] for k in checks.TEXT_FIELDS if args.get(k) is not None}
        lists = {
            kind: _entries(args[name])
            for kind, name in (("phone_details", "phone_numbers"), ("email_details", "emails"))
            if args.get(name) is not None
        }
        done: list[str] = []
        try:
            contact: dict[str, Any] | None = None
            if text:
                data = endpoint.request("POST", path, context, json_body=text).data or {}
                contact = _record(data, "contact", where)
                done.append("updated " + ", ".join(text))
            if lists:
                if contact is None:
                    contact = _record(
                        endpoint.request("GET", path, context).data or {}, "contact", where
                    )
                for kind, wanted in lists.items():
                    field = "phone_numbers" if kind == "phone_details" else "emails"
                    self._replace_entries(
                        endpoint, context, path, kind, contact.get(field) or [], wanted, done
                    )
            if contact is None or lists:
                contact = _record(
                    endpoint.request("GET", path, context).data or {}, "contact", where
                )
        except ProviderError as e:
            if done:
                e.message += ". Already done before this failure: " + "; ".join(done)
                e.args = (e.message,)
            raise
        return {"contact": normalize.contact(contact)}

    @staticmethod
    def _replace_entries(
        endpoint: Endpoint,
        context: CallContext,
        path: str,
        kind: str,
        existing: list[dict[str, Any]],
        wanted: list[dict[str, str]],
        done: list[str],
    ) -> None:
        """Make the contact's entries exactly ``wanted``: keep the equal ones, rewrite the others
        in place (``PUT``) as far as they go, add what is still missing, then remove the rest.

        The contact never holds more entries than the larger of before and after (Aircall allows
        20 a list), and never fewer than ``wanted`` until the last removal: a failure half-way
        leaves no entry lost that was to stay, and the error lists the steps done.
        """
        left = list(existing)
        missing = []
        for entry in wanted:
            same = next(
                (
                    e
                    for e in left
                    if (e.get("label"), e.get("value")) == (entry["label"], entry["value"])
                ),
                None,
            )
            if same is not None:
                left.remove(same)
            else:
                missing.append(entry)
        while left and missing:
            old, entry = left.pop(0), missing.pop(0)
            endpoint.request("PUT", f"{path}/{kind}/{old['id']}", context, json_body=entry)
            done.append(f"changed {old.get('value')} to {entry['value']}")
        for entry in missing:
            endpoint.request("POST", f"{path}/{kind}", context, json_body=entry)
            done.append(f"added {entry['value']}")
        for entry in left:
            endpoint.request("DELETE", f"{path}/{kind}/{entry['id']}", context)
            done.append(f"removed {entry.get('value')}")

    # -- users and numbers ------------------------------------------------------------------------

    def list_users(
        self, endpoint: Endpoint, args: dict[str, Any], _: dict[str, str], context: CallContext
    ) -> dict[str, Any]:
        data = every_page(_pages(endpoint, "/v2/users", context), "users")
        data["users"] = [normalize.user(u) for u in data["users"]]
        return data

    def list_numbers(
        self, endpoint: Endpoint, args: dict[str, Any], _: dict[str, str], context: CallContext
    ) -> dict[str, Any]:
        data = every_page(_pages(endpoint, "/v1/numbers", context), "numbers")
        data["numbers"] = [normalize.number(n) for n in data["numbers"]]
        return data

    def get_current_user(
        self,
        endpoint: Endpoint,
        args: dict[str, Any],
        credentials: dict[str, str],
        context: CallContext,
    ) -> dict[str, Any]:
        where = "aircall.get_current_user"
        api_key = bool(credentials.get("api_id") and credentials.get("api_token"))
        who: str | int | None = None
        if not api_key:
            data = endpoint.request("GET", "/v1/integrations/me", context).data or {}
            owner = _record(data, "integration", where).get("user")
            if isinstance(owner, dict):
                who = owner.get("id") or owner.get("email")
        if who is None:
            who = credentials.get("user_email")
        if not who:
            account = context.account or "default"
            raise NotConfiguredError(
                f"{where}: an Aircall API key belongs to the company, not to a person, so "
                "Aircall cannot say who the current user is. Name the user: luagate configure "
                f"aircall --account {account} --set user_email=<their Aircall login email>"
            )
        data = endpoint.request("GET", f"/v2/users/{quote(str(who), safe='@')}", context).data
        return {"user": normalize.user(_record(data or {}, "user", where))}


def _secrets(credentials: dict[str, str], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(credentials[n] for n in names if credentials.get(n))


def _pages(endpoint: Endpoint, path: str, context: CallContext):
    def fetch(page: int) -> dict[str, Any]:
        params = {"page": page, "per_page": SERVER_PAGE}
        return endpoint.request("GET", path, context, params=params).data or {}

    return fetch


def _record(data: Any, key: str, where: str) -> dict[str, Any]:
    record = data.get(key) if isinstance(data, dict) else None
    if not isinstance(record, dict):
        raise UpstreamError(f"{where}: Aircall's answer has no {key!r} object")
    return record


def _contacts(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "contacts": [normalize.contact(c) for c in data.get("contacts") or []],
        "meta": data.get("meta"),
    }


def _entries(entries: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Checked entries (see :mod:`.checks`) as Aircall takes them, the value without surrounding
    spaces."""
    return [{"label": e["label"], "value": e["value"].strip()} for e in entries]


CLIENT = AircallClient()
