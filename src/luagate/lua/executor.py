"""Running a script: the in-process executor, and what every executor shares.

:class:`InProcessExecutor` runs the sandbox in the calling thread. It is fast and needs no
processes, but it is the weaker isolation: a script stuck inside one C call (a pathological
``string.find`` pattern) cannot be interrupted there, and the script shares the process's memory
with everything else. The default is :class:`~luagate.lua.isolated.IsolatedExecutor`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from ..errors import LuagateError, MemoryLimitError
from .deadline import Deadline
from .envelope import CallRecord, Execution, ScriptError
from .host import Bridge, Host
from .limits import Limits
from .output import OutputBuffer
from .sandbox import Outcome, Sandbox

OnOutput = Callable[[str], None]


class Executor(Protocol):
    name: str

    def run(
        self,
        code: str | bytes,
        host: Host,
        limits: Limits | None = None,
        on_output: OnOutput | None = None,
    ) -> Execution: ...

    def close(self) -> None: ...


def build_execution(
    outcome: Outcome,
    *,
    output: OutputBuffer,
    calls: list[CallRecord],
    limits: Limits,
    started: float,
    executor: str,
) -> Execution:
    """Assemble the envelope; the output buffer is told when output was the limit reached."""
    if outcome.error is not None and outcome.error.type == "output_limit":
        output.mark_truncated()
    return Execution(
        success=outcome.ok,
        output=output.text(),
        output_truncated=output.truncated,
        result=outcome.result,
        error=outcome.error,
        calls=calls,
        duration_ms=(time.perf_counter() - started) * 1000,
        memory_bytes=outcome.memory_bytes,
        limits=limits,
        executor=executor,
    )


def run_sandbox(
    code: str | bytes,
    *,
    namespace: dict,
    call: Callable[[str, bytes], object],
    limits: Limits,
    deadline: Deadline,
    output: OutputBuffer,
) -> Outcome:
    """Build a sandbox and run one script in it; failures to build are outcomes too."""
    try:
        sandbox = Sandbox(
            namespace=namespace, call=call, limits=limits, deadline=deadline, output=output
        )
    except MemoryError:
        error = MemoryLimitError("the memory limit is too small to start a sandbox")
        return Outcome(False, error=ScriptError(error.type, error.message))
    except LuagateError as e:
        return Outcome(False, error=ScriptError(e.type, e.message))
    return sandbox.run(code)


class InProcessExecutor:
    """Runs each script in a fresh Lua state in the calling thread."""

    name = "in_process"

    def run(
        self,
        code: str | bytes,
        host: Host,
        limits: Limits | None = None,
        on_output: OnOutput | None = None,
    ) -> Execution:
        limits = limits or Limits()
        started = time.perf_counter()
        deadline = Deadline.after(limits.timeout_s)
        output = OutputBuffer(limits.output_bytes, on_text=on_output)
        bridge = Bridge(host, limits, deadline)
        outcome = run_sandbox(
            code,
            namespace=host.namespace(),
            call=bridge.call,
            limits=limits,
            deadline=deadline,
            output=output,
        )
        return build_execution(
            outcome,
            output=output,
            calls=bridge.calls,
            limits=limits,
            started=started,
            executor=self.name,
        )

    def close(self) -> None:
        pass
