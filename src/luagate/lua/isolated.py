"""The isolated executor (the default): each script in its own worker process.

The parent keeps the host, the bridge (call limits and records) and the output cap; the worker
runs the Lua state. At the deadline (plus a short grace, so a worker that stops itself can report
the line it stopped at) the parent kills the worker through its pidfd — which also ends a script
stuck inside a single C call, something no in-process hook can do. Killing one worker never
touches another, nor the parent. Linux only (fork server, pidfds).
"""

from __future__ import annotations

import os
from _signal import SIGKILL, pidfd_send_signal  # the C modules: the CLI's start-up is measured
from _socket import AF_UNIX, SOCK_STREAM, socketpair
from _thread import allocate_lock

from ..errors import (
    InternalError,
    InvalidValueError,
    LimitError,
    LuagateError,
    TimeoutLimitError,
    WorkerLostError,
)
from .channel import Channel, ChannelClosed, ChannelError, from_wire, max_frame, to_wire
from .envelope import Execution, Outcome, ScriptError
from .fork_server import ForkServer
from .host import Bridge
from .limits import Limits
from .run import Run

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from typing import Any

    from .deadline import Deadline
    from .executor import OnOutput
    from .host import Host


GRACE_S = 0.25
"""How long past the deadline a worker may take to report before it is killed."""


def converse(channel: Channel, request: dict[str, Any], run: Run) -> tuple[Outcome, bool]:
    """Send a worker ``request`` (a script, or a REPL input), then serve its output and host
    calls until it reports ``done``. Returns the outcome, and whether the worker got as far as
    ``done`` (otherwise it ran out of time, broke the protocol or died, and must be killed).

    What the worker sends is only ever read as JSON data, checked here field by field: only a
    message that fails those checks is the worker breaking the protocol (``worker_lost``). What
    fails on this side is not: a host's bug is an ``internal`` error of that call (see
    :func:`_answer`), a host answer JSON cannot carry is ``invalid_value`` (as in-process), and
    the caller's ``on_output`` callback stops the run (:meth:`Run.finish` re-raises it).
    """
    bridge, output = run.bridge, run.output
    hard_deadline = run.deadline.at + GRACE_S
    try:
        channel.send(request, hard_deadline)
        while True:
            message = channel.recv(hard_deadline)
            op = message.get("op") if isinstance(message, dict) else None
            if op == "out":
                data = message.get("data")
                try:
                    chunk = from_wire(data) if isinstance(data, str) else None
                except UnicodeEncodeError:
                    chunk = None
                if chunk is None:
                    raise ChannelError("an output message without its bytes")
                output.write(chunk)  # may call on_output: this side's code
            elif op == "call":
                answer = _answer(bridge, message)
                try:
                    data = channel.encode(answer)
                except (TypeError, ValueError, RecursionError) as e:
                    # the host's value is no JSON (nothing was sent): as in-process, where it
                    # cannot enter Lua, an invalid_value error of that call
                    channel.send(
                        {
                            "ok": False,
                            "type": InvalidValueError.type,
                            "message": f"{message['path']}: the host's answer cannot be "
                            f"passed into Lua ({type(e).__name__}: {e})",
                            "fatal": False,
                        },
                        hard_deadline,
                    )
                    continue
                size = len(data) - _ANSWER_FRAMING
                if answer["ok"] and size > bridge.limits.value_bytes:
                    # measured here, where it is encoded anyway (the bridge does not measure
                    # for this executor): what comes in over the limit stops the script
                    error = bridge.answer_too_large(message["path"], size)
                    data = channel.encode(
                        {"ok": False, "type": error.type, "message": error.message, "fatal": True}
                    )
                channel.send_encoded(data, hard_deadline)
            elif op == "done":
                try:
                    outcome = _outcome(message)
                except (KeyError, TypeError, ValueError, AttributeError) as e:
                    raise ChannelError(
                        f"a malformed done message ({type(e).__name__}: {e})"
                    ) from None
                return outcome, True
            else:
                raise ChannelError(f"unexpected message {op!r}")
    except TimeoutError:
        error: LuagateError = TimeoutLimitError("the script ran longer than its time limit")
    except LimitError as e:  # output past its cap, or the on_output callback stopped the run
        error = e
    except ChannelClosed:
        error = WorkerLostError(
            "the worker process ended without reporting (it crashed or was killed)"
        )
    except ChannelError as e:
        error = WorkerLostError(f"the worker broke the protocol: {e}")
    return Outcome(False, error=ScriptError(error.type, error.message)), False


_ANSWER_FRAMING = len('{"ok":true,"value":}')
"""The bytes an answer's frame adds to its value's compact JSON."""


def _answer(bridge: Bridge, message: dict[str, Any]) -> dict[str, Any]:
    """The reply to a worker's host call. A malformed call message is the worker's fault
    (:class:`ChannelError`); any failure on this side is an error *reply*, never that."""
    path, args = message.get("path"), message.get("args")
    if not isinstance(path, str) or not isinstance(args, str):
        raise ChannelError("a call message without its path and arguments")
    try:
        value = bridge.call(path, args)
    except LuagateError as e:
        return {
            "ok": False,
            "type": e.type,
            "message": e.message,
            "fatal": isinstance(e, LimitError),
        }
    except Exception as e:  # a bug on this side: as the in-process sandbox reports one
        return {
            "ok": False,
            "type": InternalError.type,
            "message": f"internal error in luagate ({type(e).__name__})",
            "fatal": False,
        }
    return {"ok": True, "value": value}


def _outcome(message: dict[str, Any]) -> Outcome:
    error = message.get("error")
    display = message.get("display")
    return Outcome(
        bool(message["ok"]),
        result=message.get("result"),
        error=None
        if error is None
        else ScriptError(str(error["type"]), str(error["message"]), _line(error.get("line"))),
        memory_bytes=int(message.get("memory_bytes", 0)),
        # a REPL worker's (absent from a script's done)
        values=max(int(message.get("values", 0)), 0),
        display=None if display is None else str(display),
        incomplete=bool(message.get("incomplete", False)),
        stopped=bool(message.get("stopped", False)),
    )


def _line(line: Any) -> int | None:
    return line if isinstance(line, int) and not isinstance(line, bool) else None


def _signal_kill(pidfd: int) -> None:
    try:
        pidfd_send_signal(pidfd, SIGKILL)
    except ProcessLookupError:  # it has ended already
        return


def _kill(pidfd: int) -> None:
    try:
        _signal_kill(pidfd)
    finally:
        os.close(pidfd)


class Cancel:
    """Stops one run from another thread (an MCP client cancelled the call, or went away):
    :meth:`cancel` kills the run's worker at once and passes its deadline, so a host call in
    progress stops too, and the run ends with a ``cancelled`` error. Before the worker starts,
    it is never started; once the run is over, cancelling does nothing."""

    __slots__ = ("_deadline", "_lock", "_pidfd", "cancelled")

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self._pidfd: int | None = None
        self._deadline: Deadline | None = None
        self.cancelled = False

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            if self._pidfd is not None:  # first: the worker must not report after this
                _signal_kill(self._pidfd)
            if self._deadline is not None:
                self._deadline.cancel()

    def _attach(self, pidfd: int, deadline: Deadline) -> None:
        with self._lock:
            self._pidfd, self._deadline = pidfd, deadline
        if self.cancelled:  # cancelled while the worker was being forked
            self.cancel()

    def _detach(self) -> None:
        with self._lock:  # before the pidfd is closed: it must not be signalled after
            self._pidfd = self._deadline = None


CANCELLED = ScriptError("cancelled", "the run was cancelled before it finished")


class IsolatedExecutor:
    """Runs each script in a fresh worker process forked from a warm, credential-free server."""

    name = "isolated"

    def __init__(self, server: ForkServer | None = None) -> None:
        self._server = server or ForkServer()

    def start(self) -> None:
        """Start the fork server now rather than at the first run."""
        self._server.start()

    def run(
        self,
        code: str | bytes,
        host: Host,
        limits: Limits | None = None,
        on_output: OnOutput | None = None,
        cancel: Cancel | None = None,
    ) -> Execution:
        """Run ``code`` in a fresh worker; ``cancel``, when given, can stop it from another
        thread (see :class:`Cancel`)."""
        run = Run(host, limits, on_output, measure_answers=False)  # converse measures
        source, refused = run.source(code)
        if refused is None and cancel is not None and cancel.cancelled:
            refused = Outcome(False, error=CANCELLED)
        if refused is not None:
            return run.finish(refused, self.name)
        ours, theirs = socketpair(AF_UNIX, SOCK_STREAM)
        try:
            pidfd = self._server.fork(theirs)
        finally:
            theirs.close()
        channel = Channel(ours, max_frame=max_frame(run.limits.value_bytes))
        request = {
            "op": "run",
            "code": to_wire(source),
            "limits": run.limits.to_dict(),
            "deadline": run.deadline.at,
            "namespace": run.namespace,
        }
        if cancel is not None:
            cancel._attach(pidfd, run.deadline)
        try:
            outcome, answered = converse(channel, request, run)
        finally:
            if cancel is not None:
                cancel._detach()
            _kill(pidfd)
            channel.close()
        if not answered and cancel is not None and cancel.cancelled:
            outcome = Outcome(False, error=CANCELLED)
        return run.finish(outcome, self.name)

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> IsolatedExecutor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
