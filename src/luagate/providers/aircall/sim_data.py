"""The Aircall simulator's companies and their seeded data: deterministic for a (seed, anchor).

Everything derives from ``random.Random(company.seed)`` and the ``anchor`` date ("today"): the
calls span the ~6 months before it, the newest on the anchor day and the day before. ``direct_link``
values are stored as paths (``/v1/calls/12345``); the simulator prefixes its base URL when it
answers. Recordings and other assets point at ``assets.sim.invalid``, a host that cannot exist.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from . import sim_names as names
from .sim_history import ASSETS, DAY, CallHistory
from .sim_phones import TIME_ZONES, display, random_e164

_AVAILABILITY = (
    ("available", "always_opened"),
    ("custom", "reason"),
    ("unavailable", "always_closed"),
)


@dataclass(frozen=True)
class Company:
    """One simulated Aircall company: its credentials, limits, data sizes and id ranges."""

    name: str
    seed: int
    api_keys: tuple[tuple[str, str], ...] = ()  # (api_id, api_token)
    oauth_tokens: tuple[str, ...] = ()  # token i acts as user i
    rate_limit: int = 120
    rate_window_s: int = 60
    calls: int = 400
    contacts: int = 80
    users: int = 8
    numbers: int = 4
    tags: int = 6
    title: str = ""  # the name /v1/company reports; default: name capitalised
    company_id: int = 1
    country: str = "FR"  # FR or US: which names and phone numbers it mostly has
    call_id_base: int = 12_000
    contact_id_base: int = 5_600
    user_id_base: int = 2_300
    number_id_base: int = 910
    tag_id_base: int = 4_100
    detail_id_base: int = 70_000  # phone_numbers and emails entries share one id sequence
    comment_id_base: int = 610_000
    regular_caller: str | None = None
    """An E.164 number among the contacts' phones: the first missed call of the day before the
    anchor comes from it. acme's is also a regular caller of the Wildix demo PBX, which that day
    misses a call from the same number first, so examples joining both providers find them."""

    @property
    def display_name(self) -> str:
        return self.title or self.name.capitalize()

    @property
    def domain(self) -> str:
        return f"{names.slug(self.name)}.example"


def default_companies() -> tuple[Company, ...]:
    """``acme`` (French, holds call 12345 and contact 5678) and ``globex`` (American)."""
    return (
        Company(
            "acme",
            seed=1,
            api_keys=(("acme-api-id", "acme-api-token"),),
            oauth_tokens=("acme-oauth-token",),
            company_id=41_001,
            regular_caller="+33797999373",  # Emma Michel, contact 5600
        ),
        Company(
            "globex",
            seed=2,
            api_keys=(("globex-api-id", "globex-api-token"),),
            oauth_tokens=("globex-oauth-token",),
            company_id=41_002,
            country="US",
            call_id_base=880_000,
            contact_id_base=330_000,
            user_id_base=5_400,
            number_id_base=1_920,
            tag_id_base=8_100,
            detail_id_base=990_000,
            comment_id_base=720_000,
        ),
    )


@dataclass
class Dataset:
    """A company's live data; the simulator reads and changes it in place."""

    company: Company
    anchor: dt.date
    users: list[dict[str, Any]]
    numbers: list[dict[str, Any]]
    tags: list[dict[str, Any]]
    contacts: dict[int, dict[str, Any]]  # by id, in id order
    calls: list[dict[str, Any]]  # by started_at, then id
    calls_by_id: dict[int, dict[str, Any]] = field(init=False)
    call_starts: list[int] = field(init=False)  # calls' started_at, in order (for "so far")
    next_contact_id: int = field(init=False)
    next_detail_id: int = field(init=False)

    def __post_init__(self) -> None:
        self.calls_by_id = {call["id"]: call for call in self.calls}
        self.call_starts = [call["started_at"] for call in self.calls]
        self.next_contact_id = max(self.contacts, default=self.company.contact_id_base - 1) + 1
        details = [
            d["id"] for c in self.contacts.values() for d in c["phone_numbers"] + c["emails"]
        ]
        self.next_detail_id = max(details, default=self.company.detail_id_base - 1) + 1

    def new_contact_id(self) -> int:
        self.next_contact_id += 1
        return self.next_contact_id - 1

    def new_detail_id(self) -> int:
        self.next_detail_id += 1
        return self.next_detail_id - 1


def generate(company: Company, anchor: dt.date) -> Dataset:
    """The company's data as of ``anchor``; the same (company, anchor) always gives the same."""
    rng = random.Random(company.seed)
    now = calendar.timegm(anchor.timetuple())  # midnight UTC at the start of the anchor day
    users = _users(rng, company, now)
    numbers = _numbers(rng, company, now, users)
    tags = _tags(company)
    contacts = _contacts(rng, company, now)
    calls = CallHistory(
        rng,
        company,
        now,
        users=[abridged_user(u) for u in users],
        numbers=[abridged_number(n) for n in numbers],
        tags=tags,
        known_phones=[p["value"] for c in contacts.values() for p in c["phone_numbers"]],
    ).generate()
    return Dataset(company, anchor, users, numbers, tags, contacts, calls)


def iso(ts: int) -> str:
    """A UNIX time as Aircall writes ``created_at`` on users and numbers."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def abridged_user(user: dict[str, Any]) -> dict[str, Any]:
    """The user as embedded in calls, numbers and integrations."""
    keys = ("id", "direct_link", "name", "email", "available", "availability_status")
    return {key: user[key] for key in keys}


def abridged_number(number: dict[str, Any]) -> dict[str, Any]:
    """The number as embedded in a call (no messages, no users)."""
    return {k: v for k, v in number.items() if k not in ("messages", "users")}


def _pools(country: str) -> tuple[list[str], list[str]]:
    home = "US" if country == "US" else "FR"
    return names.FIRST_NAMES[home], names.LAST_NAMES[home]


def _users(rng: random.Random, company: Company, now: int) -> list[dict[str, Any]]:
    firsts, lasts = _pools(company.country)
    users, emails = [], set()
    for i in range(company.users):
        first, last = rng.choice(firsts), rng.choice(lasts)
        email = f"{names.slug(first)}.{names.slug(last)}@{company.domain}"
        if email in emails:
            email = email.replace("@", f"{i}@")
        emails.add(email)
        status, substatus = rng.choices(_AVAILABILITY, weights=(70, 15, 15))[0]
        uid = company.user_id_base + i
        users.append(
            {
                "id": uid,
                "direct_link": f"/v2/users/{uid}",
                "name": f"{first} {last}",
                "email": email,
                "available": status == "available",
                "availability_status": status,
                "substatus": substatus,
                "created_at": iso(now - rng.randint(200, 1100) * DAY + rng.randint(0, DAY - 1)),
                "time_zone": TIME_ZONES.get(company.country, "Etc/UTC"),
                "language": "en-US" if company.country == "US" else rng.choice(("fr-FR", "en-US")),
                "wrap_up_time": rng.choice((0, 0, 10, 30, 60)),
            }
        )
    users.sort(key=lambda u: u["created_at"])  # ids follow creation, as real ids do
    for i, user in enumerate(users):
        user["id"] = company.user_id_base + i
        user["direct_link"] = f"/v2/users/{user['id']}"
    return users


def _numbers(
    rng: random.Random, company: Company, now: int, users: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    templates = names.NUMBERS["US" if company.country == "US" else "FR"]
    numbers = []
    for i in range(company.numbers):
        name, country = templates[i] if i < len(templates) else (f"Line {i + 1}", company.country)
        nid = company.number_id_base + i
        members = [u for j, u in enumerate(users) if j % company.numbers == i or rng.random() < 0.3]
        numbers.append(
            {
                "id": nid,
                "direct_link": f"/v1/numbers/{nid}",
                "name": name,
                "digits": display(random_e164(rng, country, mobile=False)),
                "created_at": iso(now - (900 - 40 * i) * DAY + rng.randint(0, DAY - 1)),
                "country": country,
                "time_zone": TIME_ZONES[country],
                "open": True,
                "availability_status": rng.choice(("open", "open", "custom")),
                "is_ivr": i == 0,
                "live_recording_activated": rng.random() < 0.5,
                "priority": rng.choice((None, 0, 1)),
                "messages": {
                    key: f"{ASSETS}/numbers/{nid}/{key}.mp3"
                    for key in (
                        "welcome",
                        "waiting",
                        "ivr",
                        "voicemail",
                        "closed",
                        "callback_later",
                        "unanswered_call",
                        "after_hours",
                        "ringing_tone",
                    )
                },
                "users": [abridged_user(u) for u in members],
            }
        )
    return numbers


def _tags(company: Company) -> list[dict[str, Any]]:
    tags = []
    for i in range(company.tags):
        name, color, description = (
            names.TAGS[i] if i < len(names.TAGS) else (f"Tag {i + 1}", "#607D8B", None)
        )
        tid = company.tag_id_base + i
        tags.append({"id": tid, "name": name, "color": color, "description": description})
    return tags


def _contacts(rng: random.Random, company: Company, now: int) -> dict[int, dict[str, Any]]:
    firsts, lasts = _pools(company.country)
    created = sorted(now - rng.randint(DAY, 540 * DAY) for _ in range(company.contacts))
    johns = {min(5, company.contacts - 1), (company.contacts * 2) // 3}  # q = "John" finds some
    detail_id = company.detail_id_base
    contacts = {}
    for i, created_at in enumerate(created):
        local = rng.random() < 0.85
        country = company.country if local else rng.choice(("GB", "DE"))
        first = rng.choice(firsts if local else names.FOREIGN_FIRST_NAMES)
        last = rng.choice(lasts if local else names.FOREIGN_LAST_NAMES)
        if i in johns:
            first = "John"
        employer = rng.choice(names.CLIENT_COMPANIES) if rng.random() < 0.85 else None
        phones = []
        for label in ("Mobile", "Work")[: rng.choice((1, 1, 1, 2))]:
            value = random_e164(rng, country, mobile=label == "Mobile")
            phones.append({"id": detail_id, "label": label, "value": value})
            detail_id += 1
        emails = []
        for label in ("Work", "Home")[: rng.choice((0, 1, 1, 1, 1, 1, 2))]:
            domain = names.slug(employer) + ".example" if employer and label == "Work" else None
            person = f"{names.slug(first)}.{names.slug(last)}"
            emails.append(
                {"id": detail_id, "label": label, "value": f"{person}@{domain or 'mail.example'}"}
            )
            detail_id += 1
        cid = company.contact_id_base + i
        updated_at = created_at if rng.random() < 0.6 else rng.randint(created_at, now - 1)
        contacts[cid] = {
            "id": cid,
            "direct_link": f"/v1/contacts/{cid}",
            "first_name": first,
            "last_name": last,
            "company_name": employer,
            "information": rng.choice(names.CONTACT_NOTES) if rng.random() < 0.4 else None,
            "is_shared": True,
            "created_at": created_at,
            "updated_at": updated_at,
            "phone_numbers": phones,
            "emails": emails,
        }
    return contacts
