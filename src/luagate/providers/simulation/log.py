"""The simulator's request log: what each client really sent, and what it got back."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

# Logged when the client went away before the simulator answered (nginx's convention).
CLIENT_CLOSED = 499


@dataclass
class RequestRecord:
    """One request as the simulator received it, with the status it answered.

    A request is logged as soon as it has arrived (``status`` None while it is being answered),
    so a test sees a request a client gave up on; ``status`` is set before the answer is sent.
    """

    company: str | None
    method: str
    path: str
    query: list[tuple[str, str]]  # in order, repeats kept (``tags[]``)
    json: Any  # the parsed body, or None (no body, or not JSON)
    status: int | None = None

    def param(self, name: str) -> str | None:
        """The first value of a query parameter, or None."""
        return next((v for k, v in self.query if k == name), None)


class RequestLog:
    """Every request, appended as it arrives; safe to read from another thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    @property
    def records(self) -> list[RequestRecord]:
        """A snapshot, oldest first."""
        with self._lock:
            return list(self._records)

    def matching(
        self, method: str | None = None, path: str | None = None, company: str | None = None
    ) -> list[RequestRecord]:
        """The records with this method, exact path and company (each filter optional)."""
        return [
            r
            for r in self.records
            if (method is None or r.method == method.upper())
            and (path is None or r.path == path)
            and (company is None or r.company == company)
        ]

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
