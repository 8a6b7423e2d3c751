"""The parent side of one execution, shared by every executor: its limits, deadline, output
buffer and bridge, and the envelope they make at the end."""

from __future__ import annotations

import time

from ..errors import ValueTooLargeError
from .deadline import Deadline
from .envelope import Execution, Outcome, ScriptError
from .host import Bridge
from .limits import Limits
from .output import OutputBuffer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .host import Host, Namespace


class Run:
    __slots__ = ("bridge", "deadline", "limits", "namespace", "output", "started")

    def __init__(
        self,
        host: Host,
        limits: Limits | None,
        on_output: Callable[[str], None] | None,
        namespace: Namespace | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.started = time.perf_counter()
        self.deadline = Deadline.after(self.limits.timeout_s)
        self.output = OutputBuffer(self.limits.output_bytes, on_text=on_output)
        # a REPL session's inputs share the namespace its Lua state was built with
        self.namespace = host.namespace() if namespace is None else namespace
        self.bridge = Bridge(host, self.limits, self.deadline, self.namespace)

    def source(self, code: str | bytes) -> tuple[bytes, Outcome | None]:
        """The script (or REPL input) as bytes, and the outcome that refuses it when it is
        larger than one value may be — before it is compiled or sent to a worker — else None."""
        source = code.encode("utf-8", "surrogateescape") if isinstance(code, str) else code
        if len(source) <= self.limits.value_bytes:
            return source, None
        error = ValueTooLargeError(
            f"the script is {len(source)} bytes; the limit is {self.limits.value_bytes}"
        )
        return source, Outcome(False, error=ScriptError(error.type, error.message))

    def finish(self, outcome: Outcome, executor: str) -> Execution:
        """The envelope; the output buffer is told when output was the limit reached."""
        output = self.output
        if outcome.error is not None and outcome.error.type == "output_limit":
            output.mark_truncated()
        return Execution(
            success=outcome.ok,
            output=output.text(),
            output_truncated=output.truncated,
            result=outcome.result,
            error=outcome.error,
            calls=self.bridge.calls,
            duration_ms=(time.perf_counter() - self.started) * 1000,
            memory_bytes=outcome.memory_bytes,
            limits=self.limits,
            executor=executor,
        )
