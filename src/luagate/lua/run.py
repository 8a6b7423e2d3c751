"""The parent side of one execution, shared by every executor: its limits, deadline, output
buffer and bridge, and the envelope they make at the end.

It also holds the rule for what the caller hands in. A wrong Python type or value for ``code``,
``host``, ``limits`` or ``on_output`` is the caller's programming error: a ``TypeError`` (or the
``UsageError`` that :class:`Limits` raises for a bad limit) before anything runs. Once a run has
started, the caller's own code can still fail, and is never blamed on the worker:

- a host that raises, or answers with anything but a :class:`~luagate.lua.host.HostReply`, is an
  ``internal`` error of that call, which the script can catch (the same in every executor);
- an exception from the ``on_output`` callback stops the script and is re-raised, as it was, from
  the executor's ``run`` once the run is over (its worker killed). A
  :class:`~luagate.errors.LimitError` from the callback (``OutputLimitError``: the CLI's stdout
  reader left) is the exception: it stops the script as that limit, and the run reports it.
"""

from __future__ import annotations

import time

from ..errors import InternalError, LimitError, ValueTooLargeError
from .deadline import Deadline
from .envelope import Execution, Outcome, ScriptError
from .host import Bridge, HostReply
from .limits import Limits
from .output import OutputBuffer

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from .host import Host, Namespace


def given(value: Any) -> str:
    """A value as an error message shows what was given: its repr (cut short), and its type."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return f"{shown} ({type(value).__name__})"


class OutputCallbackFailed(LimitError):
    """The caller's ``on_output`` callback raised: the script is stopped (as by a limit, so that
    no handler in it can go on), and :meth:`Run.finish` re-raises the callback's exception."""

    type = "internal"


class CheckedHost:
    """The caller's host, its answers checked: anything but a :class:`HostReply` is a bug in
    the host, reported as an ``internal`` error of that call (a script can catch it)."""

    __slots__ = ("host",)

    def __init__(self, host: Host) -> None:
        self.host = host

    def namespace(self) -> Namespace:
        return self.host.namespace()

    def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
        reply = self.host.call(path, args, deadline)
        if type(reply) is not HostReply and not isinstance(reply, HostReply):
            raise InternalError(
                f"{path}: the host ({type(self.host).__name__}) answered with a "
                f"{type(reply).__name__}, not a luagate HostReply (a bug in the host)"
            )
        return reply


def check_host(host: Any) -> None:
    """A ``TypeError`` unless ``host`` has the two methods every host offers."""
    if not (callable(getattr(host, "namespace", None)) and callable(getattr(host, "call", None))):
        raise TypeError(
            "host must be an object with namespace() and call(path, args, deadline) "
            f"(see luagate.lua.echo_host.EchoHost), got {given(host)}"
        )


def check_limits(limits: Any) -> Limits:
    """The limits a run asked for: a :class:`Limits`, a dict of them (as ``Limits(**dict)``:
    a bad value is Limits' own ``UsageError``), or None for the defaults."""
    if limits is None:
        return Limits()
    if isinstance(limits, Limits):
        return limits
    if isinstance(limits, dict):
        return Limits(**limits)
    raise TypeError(
        f"limits must be a luagate.Limits, a dict of limits (e.g. {{'timeout_s': 5}}) or None, "
        f"got {given(limits)}"
    )


def check_on_output(on_output: Any) -> None:
    if on_output is not None and not callable(on_output):
        raise TypeError(
            f"on_output must be a callable taking the printed text (a str), or None, "
            f"got {given(on_output)}"
        )


class Run:
    __slots__ = (
        "bridge",
        "callback_error",
        "deadline",
        "limits",
        "namespace",
        "output",
        "started",
    )

    def __init__(
        self,
        host: Host,
        limits: Limits | dict[str, Any] | None,
        on_output: Callable[[str], None] | None,
        namespace: Namespace | None = None,
        measure_answers: bool = True,
    ) -> None:
        check_host(host)
        check_on_output(on_output)
        self.limits = check_limits(limits)
        self.callback_error: Exception | None = None
        self.started = time.perf_counter()
        self.deadline = Deadline.after(self.limits.timeout_s)
        on_text = None if on_output is None else self._guarded(on_output)
        self.output = OutputBuffer(self.limits.output_bytes, on_text=on_text)
        # a REPL session's inputs share the namespace its Lua state was built with
        self.namespace = host.namespace() if namespace is None else namespace
        self.bridge = Bridge(
            CheckedHost(host), self.limits, self.deadline, self.namespace, measure_answers
        )

    def _guarded(self, on_output: Callable[[str], None]) -> Callable[[str], None]:
        """``on_output`` as the output buffer calls it: its first exception is kept (for
        :meth:`finish` to re-raise) and stops the script; it is not called again after."""

        def emit(text: str) -> None:
            if self.callback_error is not None:
                return
            try:
                on_output(text)
            except LimitError:  # e.g. OutputLimitError: the callback stops the script, as a limit
                raise
            except Exception as e:
                self.callback_error = e
                raise OutputCallbackFailed(
                    f"the on_output callback raised {type(e).__name__}"
                ) from None

        return emit

    def source(self, code: str | bytes) -> tuple[bytes, Outcome | None]:
        """The script (or REPL input) as bytes, and the outcome that refuses it when it is
        larger than one value may be — before it is compiled or sent to a worker — else None.
        A ``TypeError`` when ``code`` is no text."""
        if isinstance(code, str):
            source = code.encode("utf-8", "surrogateescape")
        elif isinstance(code, bytes | bytearray):
            source = bytes(code)
        else:
            raise TypeError(f"code must be the script's text (a str or bytes), got {given(code)}")
        if len(source) <= self.limits.value_bytes:
            return source, None
        error = ValueTooLargeError(
            f"the script is {len(source)} bytes; the limit is {self.limits.value_bytes}"
        )
        return source, Outcome(False, error=ScriptError(error.type, error.message))

    def finish(self, outcome: Outcome, executor: str) -> Execution:
        """The envelope; the output buffer is told when output was the limit reached. Re-raises
        the ``on_output`` callback's exception, if it raised one."""
        output = self.output
        if outcome.error is not None and outcome.error.type == "output_limit":
            # the callback may fail on the marker (re-raised below), or refuse it as it refused
            # the output before (the CLI's reader left): the run is over either way
            try:  # noqa: SIM105 (contextlib is not imported at start-up)
                output.mark_truncated()
            except LimitError:
                pass
        if self.callback_error is not None:
            error, self.callback_error = self.callback_error, None
            raise error
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
