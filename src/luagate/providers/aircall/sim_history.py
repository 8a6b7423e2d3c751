"""The Aircall simulator's call history: ~6 months of calls before the anchor day.

About 60 % inbound; a quarter of those missed (with a ``missed_call_reason``, some with a
voicemail), a few anonymous; answered calls often recorded, some tagged or commented; most callers
are seeded contacts. The newest calls are on the anchor day and the day before, which always has
missed inbound calls. Call ids grow with time, and call 12345 (the reference's example) is an
answered call from a known number wherever the id range holds it.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from . import sim_names as names
from .sim_phones import country_of, display, random_e164

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random

    from .sim_data import Company

ASSETS = "https://assets.sim.invalid"  # recordings, voicemails, messages: a host that cannot exist
DAY = 86_400
HISTORY_DAYS = 182
MISSED_REASONS = (
    "no_available_agent",
    "agents_did_not_answer",
    "out_of_opening_hours",
    "short_abandoned",
    "abandoned_in_ivr",
    "abandoned_in_classic",
)
_MISSED_CUM_WEIGHTS = tuple(itertools.accumulate((30, 30, 15, 10, 8, 7)))


def between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)``, several times faster (it matters for 10,000 calls)."""
    return low + int(rng.random() * (high - low + 1))


class CallHistory:
    """The call history: ~60 % inbound, some missed (with voicemail), some anonymous."""

    def __init__(
        self,
        rng: random.Random,
        company: Company,
        now: int,
        *,
        users: list[dict[str, Any]],
        numbers: list[dict[str, Any]],
        tags: list[dict[str, Any]],
        known_phones: list[str],
    ) -> None:
        """``users`` and ``numbers`` abridged as calls embed them; ``known_phones`` in E.164."""
        self.rng, self.company, self.now = rng, company, now
        self.users, self.numbers, self.tags = users, numbers, tags
        self.known = [display(phone) for phone in known_phones]
        self.comment_id = company.comment_id_base

    def _stamps(self) -> list[int]:
        rng, n = self.rng, self.company.calls
        recent = min(n, max(6, n // 50))  # the anchor day and the day before
        stamps = []
        for _ in range(n - recent):
            while True:
                day = self.now - between(rng, 2, HISTORY_DAYS) * DAY
                if (day // DAY + 3) % 7 < 5 or rng.random() < 0.08:  # weekdays, mostly
                    break
            stamps.append(day + between(rng, 7 * 3600 + 1800, 18 * 3600))
        for k in range(recent):
            if k < (recent + 1) // 2:
                stamps.append(self.now - DAY + rng.randint(8 * 3600, 17 * 3600))
            else:  # early on the anchor day, so "today" is mostly past already
                stamps.append(self.now + rng.randint(6 * 3600, 9 * 3600))
        return sorted(stamps)

    def generate(self) -> list[dict[str, Any]]:
        calls, forced_missed = [], 0
        for i, started_at in enumerate(self._stamps()):
            cid = self.company.call_id_base + i
            force = None
            if cid == 12_345:  # the reference's get_call example: answered, a real number
                force = "answered"
            elif forced_missed < 2 and started_at >= self.now - DAY:  # "yesterday's missed calls"
                force, forced_missed = "missed", forced_missed + 1
            call = self._call(cid, started_at, force)
            if force == "missed" and forced_missed == 1:
                self._from_regular(call)
            calls.append(call)
        return calls

    def _from_regular(self, call: dict[str, Any]) -> None:
        """The company's regular caller (if it has one among its contacts) rings first, the day
        before the anchor. Set after the call is drawn, so every other call stays the same."""
        regular = self.company.regular_caller
        if regular is None or display(regular) not in self.known:
            return
        call["raw_digits"] = display(regular)
        call["country_code_a2"] = country_of(call["raw_digits"])

    def _caller(self, inbound: bool, force: str | None) -> str:
        rng = self.rng
        if inbound and force is None and rng.random() < 0.05:
            return "anonymous"
        if self.known and (force == "answered" or rng.random() < 0.6):
            return rng.choice(self.known)
        return display(random_e164(rng, self.company.country, mobile=rng.random() < 0.7))

    def _call(self, cid: int, started_at: int, force: str | None) -> dict[str, Any]:
        rng = self.rng
        inbound = force is not None or rng.random() < 0.6
        raw_digits = self._caller(inbound, force)
        number = self.numbers[0] if rng.random() < 0.4 else rng.choice(self.numbers)
        user: dict[str, Any] | None = rng.choice(self.users)
        ring = between(rng, 3, 28)
        if force == "missed" or (force is None and inbound and rng.random() < 0.25):
            answered = False
        else:
            answered = force == "answered" or inbound or rng.random() < 0.8
        talk = min(int(math.exp(rng.gauss(4.7, 0.9))) + 8, 3600) if answered else 0
        missed_reason = voicemail = recording = asset = None
        assigned_to = transferred_by = transferred_to = None
        duration = ring + talk
        if inbound and not answered:
            missed_reason = rng.choices(MISSED_REASONS, cum_weights=_MISSED_CUM_WEIGHTS)[0]
            if missed_reason != "short_abandoned" and rng.random() < 0.4:
                voicemail = f"{ASSETS}/calls/{cid}/voicemail.mp3"
                asset = f"{ASSETS}/calls/{cid}/voicemail"
                duration += between(rng, 8, 90)
            assigned_to = user if rng.random() < 0.3 else None
            user = None
        elif answered:
            if rng.random() < 0.7:
                recording = f"{ASSETS}/calls/{cid}/recording.mp3"
                asset = f"{ASSETS}/calls/{cid}/recording"
            if inbound and len(self.users) > 1 and rng.random() < 0.05:
                transferred_by, user = user, rng.choice(self.users)
                transferred_to = user
        answered_at = started_at + ring if answered else None
        ended_at = started_at + duration
        anonymous = raw_digits == "anonymous"
        return {
            "id": cid,
            "sid": f"CA{rng.getrandbits(128):032x}",
            "direct_link": f"/v1/calls/{cid}",
            "direction": "inbound" if inbound else "outbound",
            "status": "done",
            "missed_call_reason": missed_reason,
            "started_at": started_at,
            "answered_at": answered_at,
            "ended_at": ended_at,
            "duration": duration,
            "raw_digits": raw_digits,
            "voicemail": voicemail,
            "recording": recording,
            "asset": asset,
            "archived": rng.random() < 0.03,
            "cost": "0.0" if inbound else f"{talk / 60 * 0.02:.2f}",
            "country_code_a2": None if anonymous else country_of(raw_digits),
            "pricing_type": "regular",
            "user": user,
            "assigned_to": assigned_to,
            "transferred_by": transferred_by,
            "transferred_to": transferred_to,
            "contact": None,
            "number": number,
            "teams": [],
            "comments": self._comments(ended_at, user) if rng.random() < 0.06 else [],
            "tags": self._tags(ended_at, user) if answered and rng.random() < 0.25 else [],
            "participants": [],
        }

    def _comments(self, ended_at: int, user: dict[str, Any] | None) -> list[dict[str, Any]]:
        self.comment_id += 1
        return [
            {
                "id": self.comment_id,
                "content": self.rng.choice(names.CALL_COMMENTS),
                "posted_at": ended_at + between(self.rng, 30, 3600),
                "posted_by": user,
            }
        ]

    def _tags(self, ended_at: int, user: dict[str, Any] | None) -> list[dict[str, Any]]:
        if not self.tags:
            return []
        chosen = self.rng.sample(self.tags, k=min(len(self.tags), self.rng.choice((1, 1, 2))))
        return [
            {
                "id": tag["id"],
                "name": tag["name"],
                "created_at": ended_at + between(self.rng, 5, 600),
                "tagged_by": user,
            }
            for tag in chosen
        ]
