"""Fixed-window request counting, windows aligned to the wall clock (as rate-limit resets are)."""

from __future__ import annotations

import math
import threading
import time
from typing import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Hashable


class WindowHit(NamedTuple):
    """The verdict on one request, and the figures a rate-limit header reports."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # UNIX seconds: the end of the current window


class FixedWindowCounter:
    """At most ``limit`` requests per key in each window ``[k*W, (k+1)*W)`` of UNIX time.

    Rejected requests do not count, so a client that keeps knocking is served again as soon as
    the window turns.
    """

    def __init__(
        self, limit: int, window_s: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError(f"need limit >= 1 and window_s > 0, got {limit} and {window_s}")
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: dict[Hashable, tuple[int, int]] = {}  # key -> (window index, count)

    def _window(self) -> tuple[int, int]:
        index = math.floor(self._clock() / self.window_s)
        return index, math.ceil((index + 1) * self.window_s)

    def hit(self, key: Hashable) -> WindowHit:
        """Count one request for ``key`` if the window has room for it."""
        with self._lock:
            index, reset = self._window()
            start, count = self._counts.get(key, (index, 0))
            if start != index:
                count = 0
            if count >= self.limit:
                return WindowHit(False, self.limit, 0, reset)
            self._counts[key] = (index, count + 1)
            return WindowHit(True, self.limit, self.limit - count - 1, reset)

    def peek(self, key: Hashable) -> WindowHit:
        """The state of ``key``'s window without counting a request."""
        with self._lock:
            index, reset = self._window()
            start, count = self._counts.get(key, (index, 0))
            used = count if start == index else 0
            return WindowHit(used < self.limit, self.limit, self.limit - used, reset)
