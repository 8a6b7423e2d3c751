"""Rate budgets: at most N requests in any window of W seconds, per provider account, shared by
every script, surface and thread in the process.

A budget is checked *before* a request is sent. It is a sliding log of send times rather than a
token bucket: a token bucket lets up to 2N requests through across one boundary of the server's
own fixed window, and then the server answers 429. Over any interval of W seconds the log never
sends more than N, whatever the server's window alignment. When the server still answers 429
(another client of the same company spent the budget), :meth:`RateBudget.hold_until` pauses
every user of the budget until the server's reset time.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque

from ..errors import UsageError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

# Sends are spaced as if the window were this much longer, so that requests which leave together
# but reach the server in another order never put N + 1 into one server window.
_MARGIN = 0.02
_MIN_MARGIN_S = 0.01


class RateBudget:
    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a rate budget needs limit >= 1 and window > 0")
        self.limit = limit
        self.window_s = window_s
        self._span = window_s + max(window_s * _MARGIN, _MIN_MARGIN_S)
        self._clock = clock
        self._sent: deque[float] = deque()
        self._held_until = 0.0
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a slot now and return 0, or return how long to wait before asking again."""
        with self._lock:
            now = self._clock()
            sent = self._sent
            while sent and sent[0] <= now - self._span:
                sent.popleft()
            if now < self._held_until:
                return self._held_until - now
            if len(sent) < self.limit:
                sent.append(now)
                return 0.0
            return sent[0] + self._span - now

    def resize(self, limit: int, window_s: float) -> None:
        """Another limit from now on (the sends already logged still count)."""
        if limit < 1 or window_s <= 0:
            raise ValueError("a rate budget needs limit >= 1 and window > 0")
        with self._lock:
            self.limit = limit
            self.window_s = window_s
            self._span = window_s + max(window_s * _MARGIN, _MIN_MARGIN_S)

    def hold_until(self, at: float) -> None:
        """The server said no until ``at`` (this budget's clock): nobody sends before then."""
        with self._lock:
            self._held_until = max(self._held_until, at)

    def held_for(self) -> float:
        """Seconds left of a hold the server asked for (0 when none)."""
        with self._lock:
            return max(0.0, self._held_until - self._clock())

    def describe(self) -> str:
        return f"{self.limit} request{'' if self.limit == 1 else 's'} per {_seconds(self.window_s)}"


def _seconds(s: float) -> str:
    if s == 60:
        return "minute"
    return f"{s:g} s"


_RATE = re.compile(r"^\s*(\d+)\s*(?:/\s*(\d+(?:\.\d+)?)?\s*(s|sec|second|m|min|minute)?)?\s*$")


def parse_rate(text: str, *, default_window_s: float = 60.0) -> tuple[int, float]:
    """``"120"`` (per minute), ``"120/min"``, ``"120/60s"``, ``"120/s"``, ``"20/10"`` →
    (limit, window in seconds)."""
    match = _RATE.match(text or "")
    if match is None:
        raise UsageError(f'a rate limit looks like "120/min", "120/60s" or "2/s"; got {text!r}')
    limit = int(match.group(1))
    count, unit = match.group(2), match.group(3)
    if count is None and unit is None:
        window = default_window_s if "/" not in text else 1.0
    else:
        window = float(count) if count is not None else 1.0
        if unit in ("m", "min", "minute"):
            window *= 60
    if limit < 1 or window <= 0:
        raise UsageError(f"a rate limit needs at least 1 request per window; got {text!r}")
    return limit, window


_budgets: dict[str, RateBudget] = {}
_budgets_lock = threading.Lock()


def shared_budget(key: str, limit: int, window_s: float) -> RateBudget:
    """The process-wide budget for ``key`` (one per provider account, keyed so that two accounts
    with the same credentials share one). Asked again with another limit (the account was
    reconfigured, or two accounts with the same credentials set different ones), the same budget
    takes the limit asked for last: its log of sends still counts, so nothing starts afresh."""
    with _budgets_lock:
        budget = _budgets.get(key)
        if budget is None:
            budget = _budgets[key] = RateBudget(limit, window_s)
        elif (budget.limit, budget.window_s) != (limit, window_s):
            budget.resize(limit, window_s)
        return budget
