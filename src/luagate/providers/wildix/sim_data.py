"""The Wildix simulator's PBXes and their seeded data: deterministic for a (seed, anchor).

Everything derives from ``random.Random(pbx.seed)`` and the ``anchor`` date ("today", PBX-local).
Every value of every record is a string, as the real PBX sends them. Colleague ``i`` has the id
``colleague_id_base + i`` and the extension ``extension_base + i``; admin token ``i`` acts as
colleague ``i``, user token ``i`` as colleague ``len(admin_tokens) + i``. The call history (see
:mod:`.sim_cdr`) covers ``history_days`` days up to the anchor day; ``GET CallHistory/{id}`` only
serves the last ``direct_days`` days of it (older records are archived: the lists still have them).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from . import sim_people as people
from .sim_cdr import CdrGenerator

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

    Record = dict[str, str]

COLLEAGUE_FIELDS = (
    "dn",
    "id",
    "name",
    "extension",
    "officePhone",
    "mobilePhone",
    "faxNumber",
    "email",
    "pbxDn",
    "role",
    "groupDn",
    "language",
    "dialplan",
    "faxDialplan",
    "department",
    "login",
    "licenseType",
    "jid",
)
_LICENSES = ("basic", "essential", "business", "premium")


@dataclass(frozen=True)
class Pbx:
    """One simulated PBX: its tokens, data sizes, id ranges, country and time zone."""

    name: str
    seed: int
    admin_tokens: tuple[str, ...] = ()  # admin token i acts as colleague i
    user_tokens: tuple[str, ...] = ()  # user token i acts as colleague len(admin_tokens) + i
    calls: int = 600
    colleagues: int = 36
    departments: int = 5
    colleague_id_base: int = 2_951_800
    extension_base: int = 1001
    call_id_base: int = 8_000
    timezone: str = "+0100"  # the UTC offset of the PBX-local times, as CDRs carry it
    country: str = "FR"  # FR, IT or US: names, phone numbers and languages
    history_days: int = 91  # the history covers the anchor day and the days before it
    direct_days: int = 60  # CallHistory/{id} serves records started since anchor - direct_days
    regular_caller: str | None = None
    """An E.164 number among the regular callers: the first missed call of the day before the
    anchor comes from it. acme's is also a contact of the Aircall demo company, which that day
    misses a call from the same number first, so examples joining both providers find them."""

    admin_refusal: int = 403
    """How the PBX refuses a user token on an admin route: 403 ``Forbidden``, or 401
    ``Unauthorized`` as for a bad token (how a PBX may answer a key type it does not accept)."""

    def __post_init__(self) -> None:
        if self.admin_refusal not in (401, 403):
            raise ValueError(f"{self.name}: admin_refusal is 401 or 403")
        if len(self.admin_tokens) + len(self.user_tokens) > self.colleagues:
            raise ValueError(f"{self.name}: more tokens than colleagues to act as")
        if self.colleagues < 2 or self.calls < 1 or self.departments < 1:
            raise ValueError(f"{self.name}: need 2+ colleagues, 1+ call and 1+ department")

    @property
    def domain(self) -> str:
        return f"{people.slug(self.name)}.example"


def default_pbxes() -> tuple[Pbx, ...]:
    """``acme`` (France), ``office`` (Italy) and ``support`` (USA): other tokens, ids, data."""
    return (
        # call 123 and extension 456 exist: the agent-facing reference's examples use them
        Pbx(
            "acme",
            seed=11,
            admin_tokens=("acme-admin-token",),
            user_tokens=("acme-user-token",),
            call_id_base=123,
            extension_base=456,
            regular_caller=people.AIRCALL_ACME_CALLERS[0][0],  # Emma Michel
        ),
        Pbx(
            "office",
            seed=12,
            admin_tokens=("office-admin-token",),
            user_tokens=("office-user-token",),
            calls=450,
            colleagues=24,
            departments=4,
            colleague_id_base=3_100_000,
            extension_base=2001,
            call_id_base=52_000,
            country="IT",
        ),
        Pbx(
            "support",
            seed=13,
            admin_tokens=("support-admin-token",),
            user_tokens=("support-user-token",),
            calls=800,
            colleagues=18,
            departments=3,
            colleague_id_base=3_300_000,
            extension_base=3001,
            call_id_base=710_000,
            timezone="-0500",
            country="US",
        ),
    )


@dataclass
class PbxData:
    """A PBX's data as the simulator serves it; records are shared, so do not change them."""

    pbx: Pbx
    anchor: dt.date
    colleagues: list[Record]  # by dn
    calls: list[Record]  # by start, then id (ids grow with start)
    colleagues_by_id: dict[str, Record] = field(init=False)
    calls_by_id: dict[str, Record] = field(init=False)
    history: dict[str, list[Record]] = field(init=False)  # extension -> its calls, by start
    direct_cutoff: str = field(init=False)  # "YYYY-MM-DD 00:00:00": older starts are archived
    hidden_ids: frozenset[str] = field(init=False)  # in the lists, 404 on CallHistory/{id}
    grants: dict[str, tuple[Record, bool]] = field(init=False)  # token -> (colleague, admin)

    def __post_init__(self) -> None:
        self.colleagues_by_id = {c["id"]: c for c in self.colleagues}
        self.calls_by_id = {c["id"]: c for c in self.calls}
        self.history = {c["extension"]: [] for c in self.colleagues}
        for call in self.calls:
            for party in {call["src"], call["dst"]}:
                if party in self.history:
                    self.history[party].append(call)
        cutoff = self.anchor - dt.timedelta(days=self.pbx.direct_days)
        self.direct_cutoff = f"{cutoff.isoformat()} 00:00:00"
        self.hidden_ids = frozenset(c["id"] for c in self.calls if not self.served_directly(c))
        by_index = [self.colleague_at(i) for i in range(self.pbx.colleagues)]
        admins, users = self.pbx.admin_tokens, self.pbx.user_tokens
        self.grants = {token: (by_index[i], True) for i, token in enumerate(admins)}
        self.grants |= {t: (by_index[len(admins) + i], False) for i, t in enumerate(users)}

    def colleague_at(self, index: int) -> Record:
        """Colleague ``index``: the one whose id is ``colleague_id_base + index``."""
        return self.colleagues_by_id[str(self.pbx.colleague_id_base + index)]

    def owner(self, token: str) -> Record | None:
        """The colleague a token acts as, or None if the token is not this PBX's."""
        grant = self.grants.get(token)
        return grant[0] if grant else None

    def served_directly(self, call: Record) -> bool:
        """Whether ``GET CallHistory/{id}`` has the record (it is recent enough)."""
        return call["start"] >= self.direct_cutoff

    def history_of(self, extension: str) -> Sequence[Record]:
        """The calls an extension placed or received (it is src or dst), by start."""
        return self.history.get(extension, ())


def generate(pbx: Pbx, anchor: dt.date) -> PbxData:
    """The PBX's data as of ``anchor``; the same (pbx, anchor) always gives the same."""
    rng = random.Random(pbx.seed)
    colleagues = _colleagues(rng, pbx)
    callers = _callers(rng, pbx)
    calls = CdrGenerator(rng, pbx, anchor, colleagues, callers).generate()
    return PbxData(pbx, anchor, sorted(colleagues, key=lambda c: c["dn"]), calls)


def _departments(pbx: Pbx) -> list[str]:
    named = list(people.DEPARTMENTS[: pbx.departments])
    return named + [f"Team {k + 1}" for k in range(pbx.departments - len(named))]


def _colleagues(rng: random.Random, pbx: Pbx) -> list[Record]:
    firsts, lasts = people.FIRST_NAMES[pbx.country], people.LAST_NAMES[pbx.country]
    pbx_dn = f"pbxid={rng.getrandbits(48):012x},dc=wildix"
    departments = _departments(pbx)
    acting = len(pbx.admin_tokens) + len(pbx.user_tokens)
    taken: set[str] = set()
    colleagues = []
    for i in range(pbx.colleagues):
        for _ in range(50):  # a name nobody has yet, if the pools allow
            first, last = rng.choice(firsts), rng.choice(lasts)
            if f"{first} {last}" not in taken:
                break
        suffix = "" if f"{first} {last}" not in taken else str(i)
        name = f"{first} {last}{' ' + suffix if suffix else ''}"
        taken.add(name)
        login = f"{people.slug(first)}.{people.slug(last)}{suffix}"
        uid, extension = str(pbx.colleague_id_base + i), str(pbx.extension_base + i)
        admin = i < len(pbx.admin_tokens) or (i >= acting and rng.random() < 0.06)
        department = departments[i] if i < len(departments) else rng.choice(departments)
        colleagues.append(
            {
                "dn": f"uid={uid},o=com0,dc=wildix",
                "id": uid,
                "name": name,
                "extension": extension,
                "officePhone": people.direct_line(pbx.country, extension)
                if rng.random() < 0.7
                else "",
                "mobilePhone": people.random_e164(rng, pbx.country) if rng.random() < 0.6 else "",
                "faxNumber": people.direct_line(pbx.country, "9" + extension[1:])
                if rng.random() < 0.1
                else "",
                "email": f"{login}@{pbx.domain}",
                "pbxDn": pbx_dn,
                "role": "admin" if admin else "user",
                "groupDn": f"cn={'Admins' if admin else 'Users'},ou=aclgroups,o=com0,dc=wildix",
                "language": rng.choice(people.LANGUAGES[pbx.country]),
                "dialplan": "users",
                "faxDialplan": "users",
                "department": department,
                "login": login,
                "licenseType": rng.choices(_LICENSES, weights=(10, 30, 45, 15))[0],
                "jid": f"{login}@{pbx.domain}",
            }
        )
    return colleagues


def _callers(rng: random.Random, pbx: Pbx) -> list[tuple[str, str]]:
    """The PBX's regular outside callers, (E.164, name); acme's include Aircall's acme contacts."""
    firsts, lasts = people.FIRST_NAMES[pbx.country], people.LAST_NAMES[pbx.country]
    callers = list(people.AIRCALL_ACME_CALLERS) if pbx.name == "acme" else []
    for _ in range(24):
        number = people.random_e164(rng, pbx.country, mobile=rng.random() < 0.6)
        callers.append((number, f"{rng.choice(firsts)} {rng.choice(lasts)}"))
    return callers
