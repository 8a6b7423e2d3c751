"""Running a script in-process, and the interface every executor offers.

:class:`InProcessExecutor` runs the sandbox in the calling thread. It is fast and needs no
processes, but it is the weaker isolation: a script stuck inside one C call (a pathological
``string.find`` pattern) cannot be interrupted there, and the script shares the process's memory
with everything else. The default is :class:`~luagate.lua.isolated.IsolatedExecutor`.
"""

from __future__ import annotations

import time

from .deadline import Deadline
from .envelope import Execution, build_execution
from .host import Bridge
from .limits import Limits
from .output import OutputBuffer
from .sandbox import run_sandbox

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from .host import Host

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
        namespace = host.namespace()
        bridge = Bridge(host, limits, deadline, namespace)
        outcome = run_sandbox(
            code,
            namespace=namespace,
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
