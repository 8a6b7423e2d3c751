"""The execution envelope: everything one script run reports, as one JSON-ready value.

Plain classes rather than dataclasses: these modules load on every CLI start, where an import
of ``dataclasses`` (it pulls in ``inspect``) is a measurable share of the budget.
"""

from __future__ import annotations

from .limits import Limits

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from typing import Any


class ScriptError:
    """Why a run failed: ``type`` is one of the error types in :mod:`luagate.errors`."""

    __slots__ = ("line", "message", "type")

    def __init__(self, type: str, message: str, line: int | None = None) -> None:
        self.type = type
        self.message = message
        self.line = line

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "line": self.line}

    def __repr__(self) -> str:
        return f"ScriptError({self.type!r}, {self.message!r}, line={self.line!r})"


class CallRecord:
    """One host call the script made, as the host saw it."""

    __slots__ = ("account", "duration_ms", "error", "meta", "ok", "path")

    def __init__(
        self,
        path: str,
        ok: bool,
        duration_ms: float,
        account: str | None = None,
        error: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.path = path
        self.ok = ok
        self.duration_ms = duration_ms
        self.account = account
        self.error = error  # the error type when ok is false
        self.meta = meta  # what a provider call reports: rate_limited_ms, requests, retries

    def to_dict(self) -> dict[str, Any]:
        record = {
            "path": self.path,
            "account": self.account,
            "ok": self.ok,
            "error": self.error,
            "duration_ms": round(self.duration_ms, 3),
        }
        if self.meta:
            record.update(self.meta)
        return record

    def __repr__(self) -> str:
        failed = "" if self.ok else f", error={self.error!r}"
        return (
            f"CallRecord({self.path!r}, ok={self.ok!r}{failed}, account={self.account!r}, "
            f"duration_ms={self.duration_ms:.3f})"
        )


class Outcome:
    """What one Lua state reports: the result, or why it failed.

    A REPL input reports more (see :meth:`luagate.lua.sandbox.Sandbox.run_input`): ``values``,
    how many values it returned; ``display``, their rendering when JSON cannot hold them;
    ``incomplete``, the input is unfinished (nothing ran); ``stopped``, the state can run no more.
    """

    __slots__ = (
        "display",
        "error",
        "incomplete",
        "memory_bytes",
        "ok",
        "result",
        "stopped",
        "values",
    )

    def __init__(
        self,
        ok: bool,
        result: Any = None,
        error: ScriptError | None = None,
        memory_bytes: int = 0,
        *,
        values: int = 0,
        display: str | None = None,
        incomplete: bool = False,
        stopped: bool = False,
    ) -> None:
        self.ok = ok
        self.result = result
        self.error = error
        self.memory_bytes = memory_bytes
        self.values = values
        self.display = display
        self.incomplete = incomplete
        self.stopped = stopped


class Execution:
    """The result of running one script."""

    __slots__ = (
        "calls",
        "duration_ms",
        "error",
        "executor",
        "limits",
        "memory_bytes",
        "output",
        "output_truncated",
        "result",
        "success",
    )

    def __init__(
        self,
        *,
        success: bool,
        output: str,
        result: Any,
        error: ScriptError | None,
        limits: Limits,
        calls: list[CallRecord],
        duration_ms: float,
        memory_bytes: int,
        output_truncated: bool,
        executor: str,
    ) -> None:
        self.success = success
        self.output = output
        self.result = result
        self.error = error
        self.limits = limits
        self.calls = calls
        self.duration_ms = duration_ms
        self.memory_bytes = memory_bytes
        self.output_truncated = output_truncated
        self.executor = executor

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
            "meta": {"rate_limited_ms": self.rate_limited_ms()},
        }

    def rate_limited_ms(self) -> float:
        """How long the providers' rate limits held this script's calls back, in total."""
        return round(sum(float((c.meta or {}).get("rate_limited_ms", 0)) for c in self.calls), 3)

    def __repr__(self) -> str:
        return f"Execution(success={self.success!r}, result={self.result!r}, error={self.error!r})"
