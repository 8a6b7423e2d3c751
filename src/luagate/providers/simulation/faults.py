"""Fault injection: make a simulator misbehave on purpose, the way real APIs and their edges do.

A test arms a :class:`FaultPlan` (``plan.inject("error", path="/v1/calls")``) and the simulator
consults it on every request, through :meth:`FaultPlan.around`. A fault applies to the next
``times`` requests whose path starts with ``path`` (and whose method is ``method``, if given).
With ``after_handling=True`` the request is processed first — a write really happens — and the
fault then replaces the answer: the case where a client must not retry a POST that arrived.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from dataclasses import dataclass, replace
from http import HTTPStatus
from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

FAULT_KINDS = ("latency", "error", "html", "malformed", "rate_limit", "timeout")
_DEFAULT_STATUS = {"error": 500, "html": 502, "malformed": 200, "rate_limit": 429, "timeout": 504}
_DEFAULT_DELAY_S = {"latency": 1.0, "timeout": 30.0}
_TROUBLESHOOT = "Injected by the simulator's fault plan"
_TRUNCATED = b'{"data": [{"id": 1, "name": "trunc'


@dataclass(frozen=True)
class Reply:
    """A complete HTTP answer: status, headers and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, (("content-type", "application/json"), *(headers or {}).items()), body)


@dataclass(frozen=True)
class Fault:
    """One armed fault; ``times`` None means it never wears out."""

    kind: str
    times: int | None = 1
    path: str | None = None
    method: str | None = None
    status: int | None = None
    delay_s: float | None = None
    after_handling: bool = False
    retry_after_s: float | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.path is None or path.startswith(self.path)) and (
            self.method is None or self.method.upper() == method.upper()
        )

    @property
    def delay(self) -> float:
        return _DEFAULT_DELAY_S.get(self.kind, 0.0) if self.delay_s is None else self.delay_s

    @property
    def answer_status(self) -> int:
        return self.status or _DEFAULT_STATUS.get(self.kind, 200)


class FaultPlan:
    """The faults armed on one simulator; safe to arm from a test thread while it serves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(
        self,
        kind: str,
        *,
        times: int | None = 1,
        path: str | None = None,
        method: str | None = None,
        status: int | None = None,
        delay_s: float | None = None,
        after_handling: bool = False,
        retry_after_s: float | None = None,
    ) -> Fault:
        """Arm a fault for the next ``times`` matching requests (None: every one, until cleared)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if times is not None and times < 1:
            raise ValueError(f"times must be >= 1 or None, got {times}")
        fault = Fault(kind, times, path, method, status, delay_s, after_handling, retry_after_s)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> tuple[Fault, ...]:
        """The faults still armed, in the order they apply."""
        with self._lock:
            return tuple(self._faults)

    def take(self, method: str, path: str) -> Fault | None:
        """The first armed fault matching this request, using up one of its ``times``."""
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.matches(method, path):
                    if fault.times is None:
                        return fault
                    if fault.times == 1:
                        del self._faults[i]
                    else:
                        self._faults[i] = replace(fault, times=fault.times - 1)
                    return fault
        return None

    async def around(
        self,
        method: str,
        path: str,
        handle: Callable[[], Awaitable[Reply]],
        *,
        disconnected: Callable[[], Awaitable[object]],
        rate_limit_headers: Callable[[float | None], Mapping[str, str]],
    ) -> Reply | None:
        """Answer one request: ``handle()`` it, with the matching fault (if any) applied.

        ``disconnected()`` returns once the client has gone; ``rate_limit_headers`` gives the
        provider's rate-limit headers for a faked 429. None means the client left unanswered.
        """
        fault = self.take(method, path)
        if fault is None:
            return await handle()
        if fault.after_handling:
            return await _strike(fault, await handle(), disconnected, rate_limit_headers)
        if fault.kind == "latency":
            await asyncio.sleep(fault.delay)
            return await handle()
        return await _strike(fault, None, disconnected, rate_limit_headers)


async def _strike(
    fault: Fault,
    handled: Reply | None,
    disconnected: Callable[[], Awaitable[object]],
    rate_limit_headers: Callable[[float | None], Mapping[str, str]],
) -> Reply | None:
    """The answer a fault gives (``handled``: the real answer, when the request was processed)."""
    status = fault.answer_status
    if fault.kind == "latency":
        await asyncio.sleep(fault.delay)
        return handled
    if fault.kind == "timeout":
        # The edge gives up on a slow backend after a while (API Gateway: 29 s) and says so.
        if not await _sleep_unless(fault.delay, disconnected):
            return None
        return Reply.json(status, {"message": "Endpoint request timed out"})
    if fault.kind == "error":
        return Reply.json(status, {"error": _phrase(status), "troubleshoot": _TROUBLESHOOT})
    if fault.kind == "html":
        title = f"{status} {_phrase(status)}"
        page = (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>awselb/2.0</center>\r\n"
            "</body>\r\n</html>\r\n"
        )
        return Reply(status, (("content-type", "text/html"),), page.encode())
    if fault.kind == "malformed":
        body = handled.body[: len(handled.body) // 2] if handled and handled.body else _TRUNCATED
        return Reply(status, (("content-type", "application/json"),), body)
    # rate_limit
    headers = dict(rate_limit_headers(fault.retry_after_s))
    if fault.retry_after_s is not None:
        headers["Retry-After"] = str(math.ceil(fault.retry_after_s))
    body = {"error": "Too Many Requests", "troubleshoot": _TROUBLESHOOT}
    return Reply.json(status, body, headers)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _sleep_unless(seconds: float, disconnected: Callable[[], Awaitable[object]]) -> bool:
    """Sleep, unless the client leaves first; True if the whole delay passed."""
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    watcher = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        watcher.cancel()
    return sleeper.done() and not sleeper.cancelled()
