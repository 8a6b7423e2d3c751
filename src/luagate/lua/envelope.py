"""The execution envelope: everything one script run reports, as one JSON-ready value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .limits import Limits


@dataclass(slots=True)
class ScriptError:
    """Why a run failed: ``type`` is one of the error types in :mod:`luagate.errors`."""

    type: str
    message: str
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "line": self.line}


@dataclass(slots=True)
class CallRecord:
    """One host call the script made, as the host saw it."""

    path: str
    ok: bool
    duration_ms: float
    account: str | None = None
    error: str | None = None  # the error type when ok is false

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "account": self.account,
            "ok": self.ok,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
        }


@dataclass(slots=True)
class Execution:
    """The result of running one script."""

    success: bool
    output: str
    result: Any
    error: ScriptError | None
    limits: Limits
    calls: list[CallRecord] = field(default_factory=list)
    duration_ms: float = 0.0
    memory_bytes: int = 0
    output_truncated: bool = False
    executor: str = "isolated"

    def to_dict(self) -> dict[str, Any]:
        return {
            "success": self.success,
            "output": self.output,
            "output_truncated": self.output_truncated,
            "result": self.result,
            "error": None if self.error is None else self.error.to_dict(),
            "calls": [c.to_dict() for c in self.calls],
            "duration_ms": round(self.duration_ms, 3),
            "memory_bytes": self.memory_bytes,
            "limits": self.limits.to_dict(),
            "executor": self.executor,
        }
