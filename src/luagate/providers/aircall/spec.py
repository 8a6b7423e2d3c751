"""Aircall's functions, as data: the contract agents read (`aircall-lua-api` reference).

Descriptions, parameter texts and examples are the reference's, character for character. The
``returns`` fields describe the table each function hands back to Lua; shared object shapes come
first, then the provider.
"""

from __future__ import annotations

from luagate.catalog.spec import (
    CredentialField,
    Example,
    Field,
    FunctionSpec,
    Param,
    ProviderSpec,
    Section,
)

# --- Shapes of returned objects -------------------------------------------------------------

_USER_REF = (
    Field("id", "integer", "user id"),
    Field("name", "string", "user's full name"),
    Field("email", "string", "user's email address"),
)

_NUMBER_REF = (
    Field("id", "integer", "Aircall phone number id"),
    Field("name", "string", "name given to the number in Aircall"),
    Field("digits", "string", 'the number as displayed, e.g. "+33 1 76 11 11 11"'),
)

_CALL = (
    Field("id", "integer", "call id (a 64-bit integer)"),
    Field("direct_link", "string", "API URL of this call"),
    Field("direction", "string", '"inbound" or "outbound"'),
    Field("status", "string", '"initial" (ringing), "answered" (in progress) or "done" (ended)'),
    Field(
        "missed_call_reason",
        "string",
        'why the call was missed, e.g. "no_available_agent" or "abandoned_in_ivr"; null if not',
        nullable=True,
    ),
    Field(
        "from",
        "string",
        "number that placed the call: the caller's if inbound, the Aircall number's if outbound;"
        " absent (nil) when the caller is anonymous",
        nullable=True,
    ),
    Field(
        "to",
        "string",
        "number that received the call: the Aircall number's if inbound, the callee's if outbound",
    ),
    Field(
        "raw_digits",
        "string",
        'the external party\'s number as Aircall shows it ("+1 800-123-4567"), or "anonymous"',
    ),
    Field("duration", "integer", "length of the call in seconds, ringing included"),
    Field("started_at", "integer", "when the call started, in UNIX seconds"),
    Field(
        "answered_at",
        "integer",
        "when the call was answered, in UNIX seconds; null if it never was",
        nullable=True,
    ),
    Field(
        "ended_at",
        "integer",
        "when the call ended, in UNIX seconds; null while it is in progress",
        nullable=True,
    ),
    Field(
        "voicemail",
        "string",
        "URL of the voicemail MP3, valid for one hour; null if none",
        nullable=True,
    ),
    Field(
        "recording",
        "string",
        "URL of the call recording MP3, valid for one hour; null if none",
        nullable=True,
    ),
    Field("archived", "boolean", "whether the call is archived"),
    Field(
        "country_code_a2",
        "string",
        "ISO 3166 alpha-2 country code of the external number; null when it is unknown"
        " (an anonymous caller)",
        nullable=True,
    ),
    Field(
        "user",
        "object",
        "Aircall user who answered or placed the call; null if none",
        fields=_USER_REF,
        nullable=True,
    ),
    Field(
        "assigned_to",
        "object",
        "Aircall user the call is assigned to; null if none",
        fields=_USER_REF,
        nullable=True,
    ),
    Field("number", "object", "Aircall phone number the call went through", fields=_NUMBER_REF),
    Field(
        "tags",
        "array",
        "tags put on the call",
        items=Field(
            "tag",
            "object",
            "a tag",
            fields=(
                Field("id", "integer", "tag id"),
                Field("name", "string", "tag name"),
            ),
        ),
    ),
    Field(
        "comments",
        "array",
        "notes written on the call (at most 5)",
        items=Field(
            "comment",
            "object",
            "a note",
            fields=(
                Field("id", "integer", "note id"),
                Field("content", "string", "text of the note"),
                Field("posted_at", "integer", "when the note was written, in UNIX seconds"),
            ),
        ),
    ),
)


def _labelled(what: str) -> tuple[Field, ...]:
    return (
        Field("id", "integer", "id of this entry"),
        Field("label", "string", 'free label, e.g. "Work" or "Mobile"'),
        Field("value", "string", what),
    )


_CONTACT = (
    Field("id", "integer", "contact id"),
    Field("direct_link", "string", "API URL of this contact"),
    Field("first_name", "string", "first name; null if not set", nullable=True),
    Field("last_name", "string", "last name; null if not set", nullable=True),
    Field("company_name", "string", "company name; null if not set", nullable=True),
    Field("information", "string", "free notes; null if not set", nullable=True),
    Field("is_shared", "boolean", "whether the contact is shared with the whole company"),
    Field(
        "phone_numbers",
        "array",
        "the contact's phone numbers",
        items=Field(
            "phone_number", "object", "a labelled phone number", fields=_labelled("the number")
        ),
    ),
    Field(
        "emails",
        "array",
        "the contact's email addresses",
        items=Field("email", "object", "a labelled email address", fields=_labelled("the address")),
    ),
    Field("created_at", "integer", "when the contact was created, in UNIX seconds"),
    Field("updated_at", "integer", "when the contact was last changed, in UNIX seconds"),
)

_USER = (
    Field("id", "integer", "user id"),
    Field("direct_link", "string", "API URL of this user"),
    Field("name", "string", "full name"),
    Field("first_name", "string", "first name"),
    Field("last_name", "string", "last name"),
    Field("email", "string", "email address (also the user's login)"),
    Field("available", "boolean", "whether the user is currently set to take calls"),
    Field("availability_status", "string", '"available", "custom" or "unavailable"'),
    Field("time_zone", "string", 'IANA time zone, e.g. "Europe/Paris" (default "Etc/UTC")'),
    Field("language", "string", 'language tag, e.g. "en-US" (the default)'),
    Field("wrap_up_time", "integer", "after-call work time in seconds"),
    Field(
        "created_at",
        "string",
        'when the user was created, an ISO 8601 string like "2019-12-29T10:03:18.000Z"',
    ),
)

_NUMBER = (
    Field("id", "integer", "Aircall phone number id"),
    Field("direct_link", "string", "API URL of this number"),
    Field("name", "string", "name given to the number in Aircall"),
    Field("number", "string", "the phone number (the same value as digits)"),
    Field("digits", "string", 'the number as displayed, e.g. "+33 1 76 11 11 11"'),
    Field("country", "string", "ISO 3166 alpha-2 country code"),
    Field("time_zone", "string", 'IANA time zone of the number, e.g. "Europe/Paris"'),
    Field("availability_status", "string", '"open", "custom" or "closed"'),
    Field("live_recording_activated", "boolean", "whether calls on this number are recorded"),
    Field("priority", "integer", "routing priority: 0 or 1; null if unset", nullable=True),
    Field(
        "created_at",
        "string",
        'when the number was added, an ISO 8601 string like "2019-12-29T10:03:18.000Z"',
    ),
)

_PAGE_META = (
    Field("count", "integer", "number of items on this page"),
    Field(
        "total",
        "integer",
        "number of items on all pages (null when luagate filtered the list and stopped"
        " reading before its end; see Notes)",
        nullable=True,
    ),
    Field("current_page", "integer", "number of this page, from 1"),
    Field("per_page", "integer", "items per page"),
    Field(
        "next_page_link",
        "string",
        "API URL of the next page; null on the last page",
        nullable=True,
    ),
    Field(
        "previous_page_link",
        "string",
        "API URL of the previous page; null on the first page",
        nullable=True,
    ),
)


def _meta(filter_param: str) -> Field:
    """A list's ``meta``, with the fields luagate adds when it filters on ``filter_param``."""
    return Field(
        "meta",
        "object",
        "pagination of this list",
        fields=(
            *_PAGE_META,
            Field(
                "has_more",
                "boolean",
                f"only when luagate filtered the list on `{filter_param}` (see Notes): whether"
                " another page exists",
                nullable=True,
            ),
            Field(
                "scanned",
                "integer",
                f"only when luagate filtered the list on `{filter_param}`: how many records it"
                " read to build this page",
                nullable=True,
            ),
            Field(
                "filtered_by",
                "string",
                f'only when luagate filtered the list: `"{filter_param}"`',
                nullable=True,
            ),
        ),
    )


_WHOLE_LIST_META = Field(
    "meta",
    "object",
    "pagination, describing the whole list (every page is read)",
    fields=_PAGE_META,
)

# --- Parameters shared by several functions ---------------------------------------------------

_PER_PAGE = Param(
    "per_page",
    "integer",
    "Number of results per page (default: 20, max: 50)",
    default=20,
    minimum=1,
    maximum=50,
)
_PAGE = Param(
    "page",
    "integer",
    "Page number for pagination (default: 1)",
    default=1,
    minimum=1,
)
_ORDER = Param(
    "order",
    "string",
    'Sort order: `"asc"` or `"desc"` (default: `"desc"`)',
    default="desc",
    enum=("asc", "desc"),
)


def _labelled_items(what: str) -> Field:
    return Field(
        "item",
        "object",
        f"a labelled {what}",
        fields=(
            Field("label", "string", 'free label, e.g. "Work" or "Mobile"'),
            Field("value", "string", f"the {what}"),
        ),
    )


_PHONE_ITEM = _labelled_items("phone number")
_EMAIL_ITEM = _labelled_items("email address")

# --- The provider -----------------------------------------------------------------------------

SPEC = ProviderSpec(
    "aircall",
    title="Aircall",
    description="Aircall cloud telephony: calls, contacts, users and phone numbers of a company"
    " account.",
    credentials=(
        CredentialField(
            "api_id",
            "API ID of an Aircall API key (Dashboard > Integrations & API > API Keys)",
        ),
        CredentialField(
            "api_token",
            "API token of the same Aircall API key (shown once, when the key is created)",
            secret=True,
        ),
        CredentialField(
            "access_token",
            "OAuth Bearer token of an Aircall app (used instead of an API key)",
            secret=True,
        ),
        CredentialField(
            "user_email",
            "email of the Aircall user that get_current_user should return when the account"
            " uses an API key, which belongs to the company and not to a user",
        ),
        CredentialField(
            "base_url",
            "API origin; defaults to https://api.aircall.io; point it at a simulator for tests",
        ),
        CredentialField(
            "rate_limit",
            'requests the company may make, e.g. "120/min" (the default, Aircall\'s documented'
            ' budget, shared by every key of the company) or "60/min"',
        ),
        CredentialField(
            "request_timeout",
            "seconds to wait for Aircall's answer to one request (default 30)",
        ),
    ),
    credential_sets=(("api_id", "api_token"), ("access_token",)),
    multi_account_function="function_name",
    multi_account_accounts=("sales", "support"),
    rate_limit="""
Aircall allows a company **120 requests a minute** (its documented budget, shared by every API key
of the company; an account's `rate_limit` field sets another, e.g. `"60/min"`). luagate counts
every request it sends for the account, across every script it is running, and when the budget
is spent it waits before sending, within the script's time limit: the wait shows in the run's
`meta.rate_limited_ms` and in each call's record. If the next request could go only after the
script's deadline, the call fails at once with a `rate_limited` error saying when it could go. A
429 answer from Aircall is waited out the same way. So 130 `get_call`s in a row take more than a
minute: one `list_calls` page brings up to 50 calls with the same fields.
""",
    functions=(
        FunctionSpec(
            "aircall",
            "list_calls",
            kind="read",
            description="List calls from Aircall with optional filters and pagination.",
            params=(
                _PER_PAGE,
                _PAGE,
                _ORDER,
                Param(
                    "from",
                    "string",
                    'Start date in ISO 8601 format (e.g., `"2026-01-01T00:00:00Z"`)',
                    format="instant",
                ),
                Param(
                    "to",
                    "string",
                    'End date in ISO 8601 format (e.g., `"2026-01-31T23:59:59Z"`)',
                    format="instant",
                ),
                Param(
                    "direction",
                    "string",
                    'Filter by direction: `"inbound"` or `"outbound"`',
                    enum=("inbound", "outbound"),
                ),
                Param("user_id", "integer", "Filter by user ID who handled the call"),
                Param("number_id", "integer", "Filter by Aircall phone number ID"),
                Param("tags", "array", "Filter by tags assigned to the call"),
            ),
            returns=(
                Field(
                    "calls",
                    "array",
                    "the calls on this page",
                    items=Field("call", "object", "a call", fields=_CALL),
                ),
                _meta("number_id"),
            ),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.list_calls({
per_page = 10,
order = "desc",
direction = "inbound"
})
for _, call in ipairs(result.calls) do
print(call.id .. ": " .. call.direction .. " from " .. (call.from or "unknown") .. " - " .. call.duration .. "s")
end
"""  # noqa: E501
                ),
            ),
            notes="""
- `from`/`to` also accept UNIX seconds (an integer or digits) and a bare date (`"2026-01-31"`,
  the whole day in UTC: `from` from 00:00:00, `to` until 23:59:59, so `from = to = "2026-01-31"`
  is that one day); luagate sends them to Aircall as UNIX seconds, as its API requires (an ISO
  string there would silently match nothing). Both ends are inclusive and filter on the call's
  start.
- A date-time without a UTC offset (`"2026-01-31T08:30:00"`) is read as UTC, not as the
  machine's local time. To build one from the clock, write it in UTC, with the `!`:
  `os.date("!%Y-%m-%dT%H:%M:%SZ", t)`, or pass UNIX seconds (`os.time()` arithmetic) directly.
- `order` is always sent (default `"desc"`, newest first; Aircall's own default is oldest first).
- Aircall's plain call list has no filters, so with `direction`, `user_id` or `tags` luagate calls
  Aircall's call search (`/v1/calls/search`). `tags` takes tag ids or tag names (names are looked
  up in the account's tags, ignoring case; an unknown name is an error listing the tags); a call
  must carry every tag given.
- The call search may cover less history than the plain list: sources say 3 months for search,
  6 months for call history (not settled). So a filter by `direction`, `user_id` or `tags` may
  not reach older calls that the plain list (no filter) still pages through.
- Aircall has no filter by number. With `number_id`, luagate reads Aircall's pages of 50 calls in
  the requested order (and within `from`/`to`), keeps the calls whose `number.id` matches, and
  returns page `page` of those. It reads at most 1,000 calls per request: if that is not enough
  to fill the page, the call fails with a message asking to narrow `from`/`to`. In this mode
  `meta.next_page_link`/`previous_page_link` are null, `meta.has_more` says whether another page
  exists, `meta.total` is exact when the whole list was read (else null), and `meta.scanned`
  counts the calls read.
- Aircall serves at most 10,000 calls through paging; narrow with `from`/`to` to reach older ones.
- `from`/`to` on a call are derived by luagate: for an inbound call `from` is the caller
  (`raw_digits`; absent, so nil in Lua, when the caller is anonymous) and `to` the Aircall
  number's `digits`; outbound is the reverse. Every field Aircall sends is kept.
- A missed call is an inbound call with a `missed_call_reason` (`answered_at` is null); test it
  with `call.missed_call_reason ~= json.null`.
""",
            requests="""
One request: `GET /v1/calls`, or `GET /v1/calls/search` with `direction`, `user_id` or `tags`.
Tag names add the account's tag list (one request per 50 tags, remembered for a minute). With
`number_id`, one request per page of 50 calls read, at most 20.
""",
            keywords="missed unanswered abandoned inbound outbound today yesterday history",
        ),
        FunctionSpec(
            "aircall",
            "get_call",
            kind="read",
            description="Retrieve detailed information about a specific call.",
            params=(
                Param(
                    "call_id",
                    "integer",
                    "The unique identifier of the call",
                    required=True,
                ),
            ),
            returns=(Field("call", "object", "the call", fields=_CALL),),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.get_call({
call_id = 12345
})
local call = result.call
print("Call from " .. call.from .. " to " .. call.to)
print("Duration: " .. call.duration .. "s, Status: " .. call.status)
"""
                ),
            ),
            notes="""
- `call.from`/`call.to` are derived from `raw_digits` and the Aircall number by direction, as in
  `list_calls`; every field Aircall sends is kept.
- An unknown `call_id` is a `not_found` error.
""",
            requests="One request: `GET /v1/calls/:id`.",
        ),
        FunctionSpec(
            "aircall",
            "list_contacts",
            kind="read",
            description="List contacts from Aircall with optional search and pagination.",
            params=(
                _PER_PAGE,
                _PAGE,
                _ORDER,
                Param(
                    "q",
                    "string",
                    "Search query — search by name, phone number, or email",
                ),
            ),
            returns=(
                Field(
                    "contacts",
                    "array",
                    "the contacts on this page",
                    items=Field("contact", "object", "a contact", fields=_CONTACT),
                ),
                _meta("q"),
            ),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.list_contacts({
q = "John",
per_page = 10
})
for _, contact in ipairs(result.contacts) do
print(contact.first_name .. " " .. contact.last_name)
for _, phone in ipairs(contact.phone_numbers or {}) do
print(" " .. phone.label .. ": " .. phone.value)
end
end
"""
                ),
            ),
            notes="""
- Aircall's contact list has no free-text search. luagate maps `q` this way: an email address
  (`"ana@acme.com"`) → Aircall's contact search by email; a phone number (at least 5 digits,
  spaces, dots, dashes and parentheses ignored, `00` read as `+`) → search by phone number;
  anything else is a name: luagate reads Aircall's contact pages of 50 and keeps the contacts
  whose first name, last name and company name together contain every word of `q` (ignoring
  case). It reads at most 1,000 contacts; if that does not fill the page, the call fails with a
  clear message. Name matches carry `meta.has_more`, `meta.scanned`, and a `meta.total` that is
  null unless every contact was read.
- A phone number is matched whole, in international form, as Aircall stores it:
  `"+33 7 92 17 68 93"`, `"+33792176893"` and `"0033792176893"` find the same contact, but a
  national form (`"07 92 17 68 93"`) or part of a number finds nothing (an empty list, not an
  error). A call's `raw_digits` is already in international form.
- Contacts come newest first by default (`order = "desc"`, by creation date; Aircall's own
  default is oldest first, so `order` is always sent).
- Only contacts shared with the company are visible through Aircall's API.
""",
            requests="""
One request: `GET /v1/contacts`, or `GET /v1/contacts/search` for a phone number or an email.
A name in `q`: one request per page of 50 contacts read, at most 20.
""",
            keywords="find search lookup phone number email name caller",
        ),
        FunctionSpec(
            "aircall",
            "create_contact",
            kind="write",
            description="Create a new contact in Aircall.",
            params=(
                Param("first_name", "string", "First name of the contact", min_length=1),
                Param("last_name", "string", "Last name of the contact", min_length=1),
                Param("company_name", "string", "Company name", min_length=1),
                Param("information", "string", "Additional notes or information", min_length=1),
                Param(
                    "phone_numbers",
                    "array",
                    "Array of phone number objects with `label` and `value`",
                    items=_PHONE_ITEM,
                ),
                Param(
                    "emails",
                    "array",
                    "Array of email objects with `label` and `value`",
                    items=_EMAIL_ITEM,
                ),
            ),
            returns=(Field("contact", "object", "the contact as created", fields=_CONTACT),),
            sections=(
                Section(
                    "Phone Number Object",
                    """
```json
{"label": "Work", "value": "+33612345678"}
```
""",
                ),
                Section(
                    "Email Object",
                    """
```json
{"label": "Work", "value": "[email protected]"}
```
""",
                ),
            ),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.create_contact({
first_name = "Jane",
last_name = "Smith",
company_name = "Acme Corp",
phone_numbers = {
{ label = "Work", value = "+33612345678" },
{ label = "Mobile", value = "+33698765432" }
},
emails = {
{ label = "Work", value = "[email protected]" }
}
})
print("Created contact ID: " .. result.contact.id)
"""
                ),
            ),
            notes="""
- Aircall requires at least one phone number: without `phone_numbers` the call fails before any
  request. Each entry needs a non-blank `label` and `value`; at most 20 phone numbers and 20
  emails. A given text field must not be blank.
- A phone number must be in international (E.164) form: `+`, the country code, then the number,
  7 to 15 digits (`"+33612345678"`; spaces, dots, dashes and parentheses are allowed, as in
  `"+1 212-555-0123"`). A national form (`"0612345678"`) or `00` instead of `+` is refused. An
  email must be an address (`"jane@example.com"`: one `@`, a domain with a dot). Anything else
  is refused before any request, with a `validation` error naming the entry
  (`phone_numbers[2].value`), the form expected and the value given.
- One exception, for the example above: it writes `"[email protected]"` where its source had
  an address (a web page's stand-in for a hidden email). luagate lets that exact text through so
  the example runs unchanged (the demo account stores it), but a real Aircall account will most
  likely refuse it (a `validation` error from Aircall): write a real address.
- Aircall does not merge duplicates: creating the same contact twice makes two contacts.
  luagate never re-sends a creation whose request may have reached Aircall: such a failure ends
  with `(not re-sent: the request may have been carried out)`; look the contact up with
  `list_contacts` before trying again.
""",
            requests="One request: `POST /v1/contacts` (never re-sent once it may have reached"
            " Aircall).",
            keywords="add new save",
        ),
        FunctionSpec(
            "aircall",
            "update_contact",
            kind="write",
            description="Update an existing contact in Aircall.",
            params=(
                Param(
                    "contact_id",
                    "integer",
                    "The unique identifier of the contact to update",
                    required=True,
                ),
                Param("first_name", "string", "Updated first name", min_length=1),
                Param("last_name", "string", "Updated last name", min_length=1),
                Param("company_name", "string", "Updated company name", min_length=1),
                Param("information", "string", "Updated notes", min_length=1),
                Param(
                    "phone_numbers",
                    "array",
                    "Updated phone numbers (replaces all existing)",
                    items=_PHONE_ITEM,
                ),
                Param(
                    "emails",
                    "array",
                    "Updated emails (replaces all existing)",
                    items=_EMAIL_ITEM,
                ),
            ),
            returns=(Field("contact", "object", "the contact as updated", fields=_CONTACT),),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.update_contact({
contact_id = 5678,
company_name = "New Corp",
information = "VIP client - priority support"
})
print("Updated contact: " .. result.contact.first_name .. " " .. result.contact.last_name)
"""
                ),
            ),
            notes="""
- Aircall updates a contact with `POST /v1/contacts/:id` (not PUT), and only its text fields
  (`first_name`, `last_name`, `company_name`, `information`); a given text field must not be
  blank.
- `phone_numbers` and `emails` replace all existing entries, through Aircall's `phone_details` /
  `email_details`: luagate keeps the entries that are already equal (same label and value),
  rewrites the other existing ones in place (`PUT`) with the new values, adds the new values left
  over (`POST`), then removes the existing entries left over (`DELETE`). So the contact never
  holds more entries than the larger of before and after (Aircall allows 20 a list: 20 numbers
  can become 20 others), and a failure half-way never leaves it with fewer entries than it is
  to have. If a step fails, the error says which steps were already done.
  `phone_numbers` cannot be empty (a contact keeps a number; leave it out to keep the current
  ones); `emails = {}` removes every email.
- Phone numbers and emails follow the rules of `create_contact`: each phone number in
  international (E.164) form (`"+33612345678"`; spaces, dots, dashes and parentheses allowed),
  each email an address. Invalid entries, an empty `phone_numbers` and blank text are refused
  before any request, so nothing is half-changed.
- The result is the contact as Aircall holds it after every step.
""",
            requests="""
Text fields only: one request (`POST /v1/contacts/:id`). With `phone_numbers` or `emails`: that
`POST` if text fields are given (else a `GET` of the contact), one request per entry rewritten,
added or removed, and a final `GET` of the contact. A step that may have reached Aircall is never
re-sent.
""",
            keywords="edit change modify rename",
        ),
        FunctionSpec(
            "aircall",
            "list_users",
            kind="read",
            description="List all users in the Aircall account.",
            returns=(
                Field(
                    "users",
                    "array",
                    "the users on this page",
                    items=Field("user", "object", "a user", fields=_USER),
                ),
                _WHOLE_LIST_META,
            ),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.list_users({})
for _, user in ipairs(result.users) do
print(user.id .. ": " .. user.first_name .. " " .. user.last_name .. " (" .. user.email .. ")")
end
"""
                ),
            ),
            notes="""
- Reads Aircall's v2 users (`/v2/users`; the v1 user routes were removed on 2026-09-30) and
  returns every user, following Aircall's pages of 50; `meta` then describes the whole list.
- Aircall's users carry a full `name`; when Aircall sends no `first_name`/`last_name`, luagate
  splits `name` at its first space (`"Ana Maria Lopez"` → `"Ana"`, `"Maria Lopez"`).
""",
            requests="One request per 50 users: every page is read (`GET /v2/users`).",
            keywords="agents people team members colleagues staff",
        ),
        FunctionSpec(
            "aircall",
            "list_numbers",
            kind="read",
            description="List all phone numbers in the Aircall account.",
            returns=(
                Field(
                    "numbers",
                    "array",
                    "the phone numbers on this page",
                    items=Field("number", "object", "a phone number", fields=_NUMBER),
                ),
                _WHOLE_LIST_META,
            ),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.list_numbers({})
for _, number in ipairs(result.numbers) do
print(number.id .. ": " .. number.name .. " - " .. number.number)
end
"""
                ),
            ),
            notes="""
- Returns every number, following Aircall's pages of 50; `meta` describes the whole list.
- `number` is added by luagate and equals Aircall's `digits` (the display form).
""",
            requests="One request per 50 numbers: every page is read (`GET /v1/numbers`).",
            keywords="lines phone numbers",
        ),
        FunctionSpec(
            "aircall",
            "get_current_user",
            kind="read",
            description="Retrieve the currently authenticated Aircall user.",
            returns=(
                Field(
                    "user",
                    "object",
                    "the user the credentials act as (with an API key: the one named by"
                    " the account's user_email)",
                    fields=_USER,
                ),
            ),
            examples=(
                Example(
                    """
local result = app.integrations.aircall.get_current_user({})
local user = result.user
print("Logged in as: " .. user.first_name .. " " .. user.last_name .. " (" .. user.email .. ")")
"""
                ),
            ),
            notes="""
- Aircall has no "current user" endpoint. With an OAuth `access_token`, luagate asks Aircall
  which user installed the app (`/v1/integrations/me`) and returns that user (`/v2/users/:id`).
  An API key (`api_id` + `api_token`) belongs to the company, not to a person: luagate returns
  the user named by the account's `user_email` field (`luagate configure aircall --set
  user_email=...`), and without it fails with a `not_configured` error saying so.
- `first_name`/`last_name` are derived as in `list_users`.
""",
            requests="""
With an API key, one request (`GET /v2/users/:email`); with an OAuth token, two
(`GET /v1/integrations/me`, then the user).
""",
            keywords="me whoami who am i logged in authenticated my profile account owner",
        ),
    ),
)
