"""Wildix's functions, as data: the contract agents read (`wildix-lua-api` reference).

Descriptions, parameter texts and examples are the reference's, character for character. The
``returns`` fields describe the table each function hands back to Lua: the PBX's records normalised
(ids stay strings; counts and durations become integers). Shared object shapes come first.
"""

from __future__ import annotations

from luagate.catalog.spec import (
    CredentialField,
    Example,
    Field,
    FunctionSpec,
    Param,
    ProviderSpec,
)

# --- Shapes of returned objects -------------------------------------------------------------

_CALL = (
    Field("id", "string", 'call record id, a string of digits such as "8289"'),
    Field(
        "status",
        "string",
        '"answered", "no_answer", "busy" or "failed" (derived from disposition)',
    ),
    Field(
        "duration",
        "integer",
        "talk time in seconds (the total time when the PBX gives no talk time)",
    ),
    Field("from", "string", "number that placed the call"),
    Field("to", "string", "number that was called"),
    Field("from_name", "string", "caller's name; null if unknown", nullable=True),
    Field("to_name", "string", "callee's name; null if unknown", nullable=True),
    Field("start", "string", 'when the call started, "YYYY-MM-DD HH:MM:SS" in PBX local time'),
    Field(
        "answer",
        "string",
        'when the call was answered, "YYYY-MM-DD HH:MM:SS" in PBX local time; null if it was not',
        nullable=True,
    ),
    Field("end", "string", 'when the call ended, "YYYY-MM-DD HH:MM:SS" in PBX local time'),
    Field(
        "timezone",
        "string",
        'UTC offset of the PBX local times, such as "+0100"; null if the PBX omits it',
        nullable=True,
    ),
    Field("type", "string", '"call" or "fax"'),
    Field(
        "disposition",
        "string",
        'the PBX\'s own outcome: "ANSWERED", "NO ANSWER", "BUSY", "FAILED" or "CONGESTION"',
    ),
    Field(
        "total_duration",
        "integer",
        "the PBX's own duration: ringing and talk, in seconds",
        nullable=True,
    ),
    Field("billsec", "integer", "talk time in seconds, as the PBX counts it", nullable=True),
)

_EXTENSION = (
    Field("id", "string", 'the extension number, such as "27973"; pass it to get_extension'),
    Field("number", "string", "the extension number (the same value as id)"),
    Field("name", "string", "name of the user who owns the extension"),
    Field(
        "user_id",
        "string",
        "id of the owning user, as list_users gives it (not the extension number)",
    ),
    Field("user_name", "string", "name of the owning user"),
    Field("email", "string", "email address of the owning user; null if none", nullable=True),
    Field("department", "string", "department of the owning user; null if none", nullable=True),
)

_USER = (
    Field("id", "string", 'user id, a string of digits such as "2951881" (not the extension)'),
    Field("name", "string", "full name"),
    Field("email", "string", "email address; null if none", nullable=True),
    Field("extension", "string", 'the user\'s extension number, such as "27973"'),
    Field("role", "string", "the user's role on the PBX"),
    Field("department", "string", "department; null if none", nullable=True),
    Field("mobilePhone", "string", "mobile phone number; null if none", nullable=True),
    Field("officePhone", "string", "office phone number; null if none", nullable=True),
    Field("language", "string", "language of the user's interface; null if unset", nullable=True),
    Field("login", "string", "login name on the PBX; null if none", nullable=True),
)

_TOTAL = Field("total", "integer", "number of records across all pages")
_PAGE_NUMBER = Field("page", "integer", "number of this page, from 1")
_LIMIT = Field("limit", "integer", "maximum number of records per page")

# --- Parameters shared by several functions ---------------------------------------------------

LIMIT_MAX = 1000
"""luagate's own cap on ``limit``: the PBX API states none (its default pages are 100 call records
and 1500 colleagues). It is the parameter's ``maximum`` (so validation refuses more before any
request, and the JSON Schema shows it) and the notes state it in words: the parameter's
description is the reference's own text, which states no maximum."""

_PAGE = Param(
    "page",
    "integer",
    "Page number for pagination (default: 1)",
    default=1,
    minimum=1,
)


def _limit(what: str) -> Param:
    return Param(
        "limit",
        "integer",
        f"Maximum number of {what} to return (default: 25)",
        default=25,
        minimum=1,
        maximum=LIMIT_MAX,
    )


# --- The provider -----------------------------------------------------------------------------

SPEC = ProviderSpec(
    "wildix",
    title="Wildix",
    description="Wildix PBX: call history, extensions and users of one PBX.",
    credentials=(
        CredentialField(
            "pbx_url",
            "your PBX: a bare name like acme means https://acme.wildixin.com; a full URL with a"
            " port is fine",
        ),
        CredentialField(
            "access_token",
            "a Bearer token: company API key, PBX simple token, or OAuth access token",
            secret=True,
        ),
        CredentialField(
            "rate_limit",
            'a budget of your own, e.g. "10/s" (the PBX API documents no rate limit: none by'
            " default)",
        ),
        CredentialField(
            "request_timeout",
            "seconds to wait for the PBX's answer to one request (default 30)",
        ),
    ),
    credential_sets=(("pbx_url", "access_token"),),
    rate_limit="""
The PBX API documents no request budget, so luagate sends without one unless the account's
`rate_limit` field sets one (e.g. `"10/s"`), counted across every script luagate is running. A
429 answer from the PBX is waited out within the script's time limit (the wait shows in the
run's `meta.rate_limited_ms`); if the wait would pass the deadline, the call fails at once with a
`rate_limited` error.
""",
    multi_account_function="list_calls",
    multi_account_accounts=("office", "support"),
    functions=(
        FunctionSpec(
            "wildix",
            "list_calls",
            kind="read",
            description="List call records from the Wildix PBX with optional pagination and"
            " date filtering.",
            params=(
                _limit("call records"),
                _PAGE,
                Param(
                    "date_from",
                    "string",
                    "Start date for filtering calls (ISO 8601, e.g. “2026-01-01”)",
                    format="date",
                ),
                Param(
                    "date_to",
                    "string",
                    "End date for filtering calls (ISO 8601, e.g. “2026-01-31”)",
                    format="date",
                ),
            ),
            returns=(
                Field(
                    "calls",
                    "array",
                    "the call records on this page, newest first",
                    items=Field("call", "object", "a call record", fields=_CALL),
                ),
                Field("total", "integer", "number of matching call records across all pages"),
                Field("page", "integer", "number of this page, from 1"),
                Field("limit", "integer", "maximum number of records per page"),
                Field(
                    "scope",
                    "string",
                    '"pbx" when the records are the whole PBX\'s history, "user" when the token'
                    " may read only its owner's calls (see Notes)",
                ),
            ),
            examples=(
                Example(
                    """
local result = app.integrations.wildix.list_calls({
limit = 10,
page = 1
})
for _, call in ipairs(result.calls or {}) do
print(call.id .. ": " .. call.status)
end
""",
                    title="List recent calls",
                ),
                Example(
                    """
local result = app.integrations.wildix.list_calls({
date_from = "2026-01-01",
date_to = "2026-01-31",
limit = 50
})
""",
                    title="Filter calls by date range",
                ),
            ),
            notes="""
- Reads the PBX's call history (`GET /api/v1/PBX/CallHistory/`) with offset paging: `start` =
  (page − 1) × limit, `count` = limit, newest first (`sort=start`, `dir=DESC`). `limit` is at most
  1000: luagate's own cap (the PBX API states none; its default page is 100 records); a larger
  value is a `validation` error before any request.
- `date_from`/`date_to` become `filter[start][from]`/`filter[start][to]` in the PBX's
  `YYYY-MM-DD HH:MM:SS` form, compared with the PBX's local times. A bare date widens to the whole
  day (`date_from` from 00:00:00, `date_to` until 23:59:59), so `date_from = date_to = "2026-01-31"`
  is that one day; a date-time is taken as written, as the PBX's local wall-clock time:
  `"2026-01-31 08:30:00"` or `"2026-01-31T08:30:00"`, without a time zone.
- A time-zone offset (`"2026-01-31T08:30:00Z"`, `"...+05:00"`) is refused with a `validation`
  error naming the parameter: the PBX filters on its own clock, whose UTC offset luagate cannot
  know before the call (each call's `timezone` shows it afterwards, and it changes with daylight
  saving time), so converting would be a guess. Write the time as the PBX's clock reads it.
- The whole PBX's history needs an admin-level token. When the PBX refuses it (403, or 401: a PBX
  answers a token type it does not accept there as it answers a bad token), luagate reads the
  token owner's own history (`GET /api/v1/CallHistory/`) instead and says so in `scope`
  (`"user"`); once that worked, it remembers it for the token for 10 minutes after a 403, 1
  minute after a 401 (which may pass). If the owner's
  history is refused too, that refusal is the `auth` error. An error envelope whose reason is
  `Unauthorized` or `Forbidden` is an `auth` error even in a 200 answer.
- The PBX sends every value as a string: `total`, `duration` and `billsec` become integers, ids
  stay strings. `status` comes from `disposition` (ANSWERED → `"answered"`, NO ANSWER →
  `"no_answer"`, BUSY → `"busy"`, FAILED and CONGESTION → `"failed"`); `duration` is the talk time
  (`billsec`) and the PBX's own total (ringing included) is `total_duration`; `from`/`to` are
  `from_number`/`to_number` (else `src`/`dst`); empty names and times are null. Every other field
  the PBX sends is kept under its own name.
- A PBX call record has no direction. Its parties show it: a colleague is an extension number
  (a few digits, such as `"27973"`), an outside party a full number (`"+33612345678"`); so a
  call from an outside number to an extension is inbound. A missed call is one with `status`
  `"no_answer"` (or `"busy"`, `"failed"`): no talk time (`duration` 0).
""",
            requests="""
One request (`GET /api/v1/PBX/CallHistory/`); two when the PBX refuses the whole history and
luagate reads the token owner's instead (see Notes).
""",
            keywords="missed unanswered no answer inbound outbound direction history today"
            " yesterday cdr",
        ),
        FunctionSpec(
            "wildix",
            "get_call",
            kind="read",
            description="Get detailed information about a specific call record.",
            params=(
                Param(
                    "id",
                    "string",
                    "The unique identifier of the call record",
                    required=True,
                    min_length=1,
                ),
            ),
            returns=_CALL,
            examples=(
                Example(
                    """
local result = app.integrations.wildix.get_call({ id = "call-123" })
print("Duration: " .. result.duration .. "s")
print("From: " .. result.from)
print("To: " .. result.to)
"""
                ),
            ),
            notes="""
- `GET /api/v1/CallHistory/{id}`, the record at the top level (`result.duration`, `result.from`,
  `result.to`), normalised as in `list_calls`.
- When the direct route answers 404 (it does not serve every record, e.g. older or another
  user's), luagate looks the id up in the call history list (`filter[id]`), whole PBX first as in
  `list_calls`. Only when both know nothing is the result a `not_found` error.
- Ids are the PBX's, strings of digits. The reference's examples write ids as `"call-123"`: a
  `call-` prefix is read as the id that follows.
- Only an id of digits goes in the URL path (percent-encoded, as one segment); any other id is
  looked up only in the history list, so it can never reach another route, and unless the PBX has
  it the answer is `not_found`. A blank id is a `validation` error; a bare `"call-"` is
  `not_found`. The result is always one call record, shaped as above.
""",
            requests="""
One request (`GET /api/v1/CallHistory/{id}`); when it answers 404, one or two more for the
history list (whole PBX, then the token owner's).
""",
            keywords="cdr record details",
        ),
        FunctionSpec(
            "wildix",
            "list_extensions",
            kind="read",
            description="List PBX extensions configured in the Wildix system.",
            params=(_limit("extensions"), _PAGE),
            returns=(
                Field(
                    "extensions",
                    "array",
                    "the extensions on this page",
                    items=Field("extension", "object", "an extension", fields=_EXTENSION),
                ),
                _TOTAL,
                _PAGE_NUMBER,
                _LIMIT,
            ),
            examples=(
                Example(
                    """
local result = app.integrations.wildix.list_extensions({
limit = 50,
page = 1
})
for _, ext in ipairs(result.extensions or {}) do
print(ext.id .. ": " .. ext.name)
end
"""
                ),
            ),
            notes="""
- `limit` is at most 1000 (luagate's own cap; the PBX API states none).
- A Wildix PBX has no extension resource of its own: an extension is a colleague's `extension`.
  luagate reads the colleagues (`GET /api/v1/Colleagues/`, offset paging, ordered by extension)
  and gives each as `id` and `number` (both the extension number, so an `id` works in
  `get_extension`), `name`/`user_name` (the owner), `user_id` (the colleague's own id, as in
  `list_users`), `email` and `department`.
""",
            requests="One request (`GET /api/v1/Colleagues/`).",
            keywords="phones lines numbers internal",
        ),
        FunctionSpec(
            "wildix",
            "get_extension",
            kind="read",
            description="Get detailed information about a specific PBX extension.",
            params=(
                Param(
                    "id",
                    "string",
                    "The unique identifier of the extension",
                    required=True,
                    min_length=1,
                ),
            ),
            returns=_EXTENSION,
            examples=(
                Example(
                    """
local result = app.integrations.wildix.get_extension({ id = "ext-456" })
print("Extension: " .. result.number)
print("User: " .. result.user_name)
"""
                ),
            ),
            notes="""
- Looks the extension number up among the colleagues (`filter[extension]`); if no colleague has
  it, tries it as a colleague id (`GET /api/v1/Colleagues/{id}`); else `not_found`.
- The reference's examples write ids as `"ext-456"`: an `ext-` prefix is read as the extension
  number that follows.
- Only an id of digits goes in the URL path (percent-encoded, as one segment); any other id is
  looked up only through the filter, so it can never reach another route. A blank id is a
  `validation` error; a bare `"ext-"`, or a colleague without an extension, is `not_found`. The
  result is always one extension, shaped as above.
""",
            requests="One request (`filter[extension]`); two when the id is tried as a colleague"
            " id.",
            keywords="phone line number internal owner",
        ),
        FunctionSpec(
            "wildix",
            "list_users",
            kind="read",
            description="List users configured in the Wildix PBX system.",
            params=(_limit("users"), _PAGE),
            returns=(
                Field(
                    "users",
                    "array",
                    "the users on this page",
                    items=Field("user", "object", "a user", fields=_USER),
                ),
                _TOTAL,
                _PAGE_NUMBER,
                _LIMIT,
            ),
            examples=(
                Example(
                    """
local result = app.integrations.wildix.list_users({
limit = 50,
page = 1
})
for _, user in ipairs(result.users or {}) do
print(user.id .. ": " .. user.name .. " <" .. user.email .. ">")
end
"""
                ),
            ),
            notes="""
- `limit` is at most 1000 (luagate's own cap; the PBX API states none).
- Users are the PBX's colleagues (`GET /api/v1/Colleagues/`, offset paging, ordered by name).
  `id` is the colleague id (a string, not the extension number); empty optional fields are null;
  every field the PBX sends is kept.
""",
            requests="One request (`GET /api/v1/Colleagues/`).",
            keywords="colleagues people staff team members agents",
        ),
        FunctionSpec(
            "wildix",
            "get_current_user",
            kind="read",
            description="Get the profile of the currently authenticated Wildix user. No"
            " parameters required.",
            returns=_USER,
            examples=(
                Example(
                    """
local result = app.integrations.wildix.get_current_user({})
print("Logged in as: " .. result.name)
print("Email: " .. result.email)
"""
                ),
            ),
            notes="""
- `GET /api/v1/personal/info`: the colleague the token belongs to, shaped as in `list_users`.
""",
            requests="One request (`GET /api/v1/personal/info`).",
            keywords="me whoami who am i logged in authenticated my profile token owner",
        ),
    ),
)
