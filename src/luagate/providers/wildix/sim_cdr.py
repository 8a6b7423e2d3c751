"""The Wildix simulator's call history (CDRs): ``history_days`` days up to the anchor day.

About 45 % inbound (an outside caller to a colleague), 35 % outbound and 20 % internal (colleague
to colleague); a colleague is always on one side, as extension and name. Outside parties are E.164
numbers (``"anonymous"`` for a few withheld callers), named when they are regulars. Weekdays in
office hours mostly; the day before the anchor has calls (its first two: missed inbound calls) and
so does the anchor day, early on. Times are PBX-local ``YYYY-MM-DD HH:MM:SS``; ids grow with start.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

from .sim_people import random_e164

TYPE_CHECKING = False
if TYPE_CHECKING:
    import random

    from .sim_data import Pbx, Record

DAY = 86_400
CDR_FIELDS = (
    "id",
    "start",
    "answer",
    "end",
    "timezone",
    "billsec",
    "duration",
    "disposition",
    "from_name",
    "from_number",
    "to_name",
    "to_number",
    "src",
    "dst",
    "type",
    "lastapp",
    "lastdata",
    "userfield",
    "cost",
    "channel",
    "dstchannel",
)
DISPOSITIONS = ("ANSWERED", "NO ANSWER", "BUSY", "FAILED")
_WEIGHTS = {  # cumulative weights of DISPOSITIONS per kind of call
    "in": tuple(itertools.accumulate((70, 20, 6, 4))),
    "out": tuple(itertools.accumulate((64, 26, 7, 3))),
    "internal": tuple(itertools.accumulate((75, 18, 5, 2))),
}
_RING = {"ANSWERED": (3, 25), "NO ANSWER": (15, 45), "BUSY": (1, 4), "FAILED": (0, 2)}


def between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)``, several times faster."""
    return low + int(rng.random() * (high - low + 1))


class CdrGenerator:
    """Makes one PBX's call records, oldest first."""

    def __init__(
        self,
        rng: random.Random,
        pbx: Pbx,
        anchor: dt.date,
        colleagues: list[Record],
        callers: list[tuple[str, str]],
    ) -> None:
        """``callers``: the regular outside parties as (E.164 number, name)."""
        self.rng, self.pbx, self.anchor = rng, pbx, anchor
        self.colleagues, self.callers = colleagues, callers
        self.midnight = dt.datetime.combine(anchor, dt.time())

    def generate(self) -> list[Record]:
        calls, call_id, forced = [], self.pbx.call_id_base, 0
        for offset in self._offsets():
            missed = forced < 2 and offset >= -DAY  # the day before: missed calls to call back
            forced += missed
            call = self._call(str(call_id), offset, missed)
            if missed and forced == 1:
                self._from_regular(call)
            calls.append(call)
            call_id += between(self.rng, 1, 3)  # other records (faxes, SMS) use ids in between
        return calls

    def _from_regular(self, call: Record) -> None:
        """The PBX's regular caller (if it has one among its callers) rings first, the day
        before the anchor. Set after the call is drawn, so every other call stays the same."""
        names = dict(self.callers)
        regular = self.pbx.regular_caller
        if regular is None or regular not in names:
            return
        call["src"] = call["from_number"] = regular
        call["from_name"] = names[regular]

    def _offsets(self) -> list[int]:
        """Start times in seconds from the anchor day's midnight, sorted."""
        rng, n = self.rng, self.pbx.calls
        recent = min(n, max(6, n // 40))  # on the anchor day and the day before
        weekday = self.anchor.weekday()
        offsets = []
        for _ in range(n - recent):
            while True:
                back = between(rng, 2, self.pbx.history_days - 1)
                if (weekday - back) % 7 < 5 or rng.random() < 0.08:  # weekdays, mostly
                    break
            offsets.append(-back * DAY + between(rng, 7 * 3600 + 1800, 18 * 3600 + 1800))
        for k in range(recent):
            if k < (recent + 1) // 2:
                offsets.append(-DAY + between(rng, 8 * 3600, 17 * 3600 + 1800))
            else:  # early on the anchor day, so "today" is mostly past already
                offsets.append(between(rng, 6 * 3600, 9 * 3600 + 1800))
        return sorted(offsets)

    def _stamp(self, offset: int) -> str:
        return (self.midnight + dt.timedelta(seconds=offset)).isoformat(" ")

    def _outsider(self) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < 0.6:
            return rng.choice(self.callers)
        return self._random_number(), ""

    def _random_number(self) -> str:
        return random_e164(self.rng, self.pbx.country, mobile=self.rng.random() < 0.7)

    def _channel(self, party: str) -> str:
        return f"SIP/{party}-{self.rng.getrandbits(32):08x}"

    def _call(self, call_id: str, offset: int, missed: bool) -> Record:
        rng = self.rng
        roll = rng.random()
        kind = "in" if missed or roll < 0.45 else "out" if roll < 0.8 else "internal"
        team = self.colleagues
        mine = between(rng, 0, len(team) - 1)
        me = team[mine]
        if missed:
            disposition = "NO ANSWER"
        else:
            disposition = rng.choices(DISPOSITIONS, cum_weights=_WEIGHTS[kind])[0]
        ring = between(rng, *_RING[disposition])
        talk = 0
        if disposition == "ANSWERED":
            mu = 3.8 if kind == "internal" else 4.6
            talk = min(int(math.exp(rng.gauss(mu, 0.9))) + 5, 3600)
        trunk = self._channel("trunk1")
        if kind == "in":
            number, name = ("anonymous", "Anonymous") if rng.random() < 0.03 else self._outsider()
            src, src_name, dst, dst_name = number, name, me["extension"], me["name"]
            channel, dstchannel = trunk, self._channel(dst)
            lastdata = f"SIP/{dst},30,tT"
        elif kind == "out":
            number, name = self._outsider()
            src, src_name, dst, dst_name = me["extension"], me["name"], number, name
            channel, dstchannel = self._channel(src), trunk
            lastdata = f"SIP/trunk1/{dst},60"
        else:
            other = team[(mine + between(rng, 1, len(team) - 1)) % len(team)]
            src, src_name = me["extension"], me["name"]
            dst, dst_name = other["extension"], other["name"]
            channel, dstchannel = self._channel(src), self._channel(dst)
            lastdata = f"SIP/{dst},30"
        cost = talk / 60 * 0.03 if kind == "out" else 0.0
        return {
            "id": call_id,
            "start": self._stamp(offset),
            "answer": self._stamp(offset + ring) if talk else "",
            "end": self._stamp(offset + ring + talk),
            "timezone": self.pbx.timezone,
            "billsec": str(talk),
            "duration": str(ring + talk),
            "disposition": disposition,
            "from_name": src_name,
            "from_number": src,
            "to_name": dst_name,
            "to_number": dst,
            "src": src,
            "dst": dst,
            "type": "call",
            "lastapp": "Dial",
            "lastdata": lastdata,
            "userfield": "",
            "cost": f"{cost:.2f}",
            "channel": channel,
            "dstchannel": "" if disposition == "FAILED" else dstchannel,
        }
