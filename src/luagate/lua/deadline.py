"""The wall-clock deadline of one execution, shared by the sandbox's hook and the host."""

from __future__ import annotations

import time


class Deadline:
    """A point on the monotonic clock (system-wide on Linux, so it means the same in a worker)."""

    __slots__ = ("at", "cancelled")

    def __init__(self, at: float) -> None:
        self.at = at
        self.cancelled = False

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def expired(self) -> bool:
        return self.cancelled or time.monotonic() >= self.at

    def remaining(self) -> float:
        return 0.0 if self.cancelled else self.at - time.monotonic()

    def cancel(self) -> None:
        """Stop the execution at its next check (safe to call from another thread)."""
        self.cancelled = True
