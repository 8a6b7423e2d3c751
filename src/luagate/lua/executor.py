"""Running a script in-process, and the interface every executor offers.

:class:`InProcessExecutor` runs the sandbox in the calling thread. It is fast and needs no
processes, but it is the weaker isolation: a script stuck inside one C call (a pathological
``string.find`` pattern) cannot be interrupted there, and the script shares the process's memory
with everything else. The default is :class:`~luagate.lua.isolated.IsolatedExecutor`.
"""

from __future__ import annotations

from .run import Run
from .sandbox import run_sandbox

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from .envelope import Execution
    from .host import Host
    from .limits import Limits

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
        run = Run(host, limits, on_output)
        source, refused = run.source(code)
        if refused is not None:
            return run.finish(refused, self.name)
        outcome = run_sandbox(
            source,
            namespace=run.namespace,
            call=run.bridge.call,
            limits=run.limits,
            deadline=run.deadline,
            output=run.output,
        )
        return run.finish(outcome, self.name)

    def close(self) -> None:
        pass
