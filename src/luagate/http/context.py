"""What one provider call carries through the HTTP layer and reports back.

The gateway makes one per call: the deadline (a script's wall clock, or none), who to tell about
long waits (a progress line on stderr in the CLI), and counters the call's envelope reports —
how long the rate limit held it back, how many requests and retries it took. ``server_wait_s``
(how long the server's 429s held the call back) is what the HTTP layer bounds when there is no
deadline.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable


class CallContext:
    __slots__ = (
        "account",
        "deadline",
        "notify",
        "rate_limited_ms",
        "requests",
        "retries",
        "server_wait_s",
    )

    def __init__(
        self,
        *,
        account: str | None = None,
        deadline: object | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.account = account
        self.deadline = deadline  # anything with remaining() -> seconds
        self.notify = notify
        self.rate_limited_ms = 0.0
        self.requests = 0
        self.retries = 0
        self.server_wait_s = 0.0  # of which: waiting out the server's 429s (a bounded total)

    def remaining(self) -> float | None:
        """Seconds left before the deadline, or None when there is none."""
        if self.deadline is None:
            return None
        return self.deadline.remaining()  # type: ignore[attr-defined]

    def tell(self, message: str) -> None:
        if self.notify is not None:
            self.notify(message)

    def meta(self) -> dict[str, float | int]:
        return {
            "rate_limited_ms": round(self.rate_limited_ms, 3),
            "requests": self.requests,
            "retries": self.retries,
        }
