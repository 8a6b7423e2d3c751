"""REPL sessions: one Lua state kept across inputs (what ``luagate lua --repl`` runs).

:class:`IsolatedSession` keeps the state in one worker process, forked from the fork server and
confined exactly as a script's worker is; :class:`InProcessSession` keeps it in this process.
Globals persist from one input to the next. Each input is one execution, with its own deadline,
output cap, call count and envelope; the memory limit covers the session's Lua state.

A Lua state that a limit has stopped runs no further instruction, by design. So an input stopped
by a limit (time, memory, output, calls), a worker that dies, and an interrupted input end the
state: the next input runs in a fresh one, and :attr:`InputResult.reset` says so.
"""

from __future__ import annotations

from _signal import SIGKILL, pidfd_send_signal  # the C modules, as in isolated.py
from _socket import AF_UNIX, SOCK_STREAM, socketpair
from contextlib import suppress

from .channel import Channel, ChannelClosed, max_frame, to_wire
from .fork_server import shared_fork_server
from .isolated import _kill, converse
from .limits import Limits
from .run import Run

TYPE_CHECKING = False  # typing is not imported at run time
if TYPE_CHECKING:
    from typing import Any

    from .deadline import Deadline
    from .envelope import Execution, Outcome
    from .executor import OnOutput
    from .fork_server import ForkServer
    from .host import Host, HostReply, Namespace
    from .sandbox import SessionSandbox

STOPPING_ERRORS = frozenset({"time_limit", "memory_limit", "output_limit", "call_limit"})
"""Error types that end an input's Lua state (with any error that stopped the state itself)."""


class InputResult:
    """What one REPL input gave: its execution envelope, and what the session made of it."""

    __slots__ = ("display", "execution", "incomplete", "interrupted", "reset", "values")

    def __init__(
        self, execution: Execution, outcome: Outcome, *, interrupted: bool, reset: bool
    ) -> None:
        self.execution = execution
        self.incomplete = outcome.incomplete
        """The input is unfinished (``function f()`` so far): nothing ran; add lines and run
        the whole again. ``execution.error`` is the syntax error if no more lines come."""
        self.values = outcome.values if outcome.ok else 0
        """How many values the input returned (``x`` returns one, ``x = 1`` none)."""
        self.display = outcome.display if outcome.ok else None
        """Their rendering, as ``dump`` would print it, when JSON cannot hold them (a function,
        a cycle); otherwise ``execution.result`` is the value (an array for several)."""
        self.interrupted = interrupted
        self.reset = reset
        """The session's Lua state ended with this input; the next one starts a fresh state."""


def _untouched(run: Run, refused: Outcome, executor: str) -> InputResult:
    """An input refused before it ran: the state is as it was."""
    return InputResult(run.finish(refused, executor), refused, interrupted=False, reset=False)


def _ends_state(outcome: Outcome) -> bool:
    return outcome.stopped or (outcome.error is not None and outcome.error.type in STOPPING_ERRORS)


class _WatchedHost:
    """The session's host, noting whether one of its calls is under way (a provider's HTTP
    request, say): Ctrl-C cannot wait for the Lua state's next check then."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.busy = False

    def namespace(self) -> Namespace:
        return self.host.namespace()

    def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
        self.busy = True
        try:
            return self.host.call(path, args, deadline)
        finally:
            self.busy = False


class IsolatedSession:
    """A REPL session whose Lua state lives in one worker process.

    The worker serves input after input until an input ends its state (see the module), when
    this kills it; the next input forks a fresh one. What the worker sends is read as JSON data
    only, exactly as for a script (:func:`luagate.lua.isolated.converse`).
    """

    name = "isolated"

    @property
    def in_host_call(self) -> bool:
        """Whether the running input is inside a host call (which only an exception stops)."""
        return self._host.busy

    def __init__(
        self, host: Host, limits: Limits | None = None, server: ForkServer | None = None
    ) -> None:
        self._host = _WatchedHost(host)
        self.limits = limits or Limits()
        self._server = server or shared_fork_server()
        self._namespace = host.namespace()
        self._pidfd: int | None = None
        self._channel: Channel | None = None
        self._interrupted = False

    @property
    def worker_pidfd(self) -> int | None:
        """The running worker's pidfd (None before the first input and after a reset)."""
        return self._pidfd

    def _start_worker(self) -> Channel:
        ours, theirs = socketpair(AF_UNIX, SOCK_STREAM)
        try:
            pidfd = self._server.fork(theirs)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        channel = Channel(ours, max_frame=max_frame(self.limits.value_bytes))
        self._pidfd, self._channel = pidfd, channel
        session = {"op": "session", "limits": self.limits.to_dict(), "namespace": self._namespace}
        # a few hundred bytes into an empty socket: never blocks; if the worker is already
        # gone, the first input finds out and reports it
        with suppress(ChannelClosed):
            channel.send(session)
        return channel

    def run(self, code: str | bytes, on_output: OnOutput | None = None) -> InputResult:
        """Run one input in the session's state (a fresh worker's if the last one ended)."""
        self._interrupted = False
        run = Run(self._host, self.limits, on_output, self._namespace, measure_answers=False)
        source, refused = run.source(code)
        if refused is not None:
            return _untouched(run, refused, self.name)
        channel = self._channel or self._start_worker()
        request = {"op": "input", "code": to_wire(source), "deadline": run.deadline.at}
        outcome, answered = converse(channel, request, run)
        interrupted = self._interrupted
        reset = interrupted or not answered or _ends_state(outcome)
        if reset:
            self.reset()
        execution = run.finish(outcome, self.name)
        return InputResult(execution, outcome, interrupted=interrupted, reset=reset)

    def interrupt(self) -> None:
        """Stop the running input now (safe from a signal handler): its worker is killed, so
        the input reports ``interrupted`` and the state is reset."""
        self._interrupted = True
        pidfd = self._pidfd
        if pidfd is not None:
            with suppress(OSError):  # it has ended, or reset() is closing its pidfd
                pidfd_send_signal(pidfd, SIGKILL)

    def reset(self) -> None:
        """End the state: kill the worker (the next input forks a fresh one)."""
        pidfd, self._pidfd = self._pidfd, None  # cleared first: interrupt() may run meanwhile
        channel, self._channel = self._channel, None
        if pidfd is not None:
            _kill(pidfd)
        if channel is not None:
            channel.close()

    def close(self) -> None:
        self.reset()

    def __enter__(self) -> IsolatedSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class InProcessSession:
    """A REPL session whose Lua state lives in this process (``--in-process``): faster, weaker
    isolation, and an input stuck inside one C call cannot be interrupted."""

    name = "in_process"

    @property
    def in_host_call(self) -> bool:
        """Whether the running input is inside a host call (which only an exception stops)."""
        return self._host.busy

    def __init__(self, host: Host, limits: Limits | None = None) -> None:
        self._host = _WatchedHost(host)
        self.limits = limits or Limits()
        self._namespace = host.namespace()
        self._state: SessionSandbox | None = None
        self._run: Run | None = None
        self._interrupted = False

    def run(self, code: str | bytes, on_output: OnOutput | None = None) -> InputResult:
        self._interrupted = False
        if self._state is None:
            from .sandbox import SessionSandbox  # lupa: only when this session runs

            self._state = SessionSandbox(self._namespace, self.limits)
        state = self._state
        run = Run(self._host, self.limits, on_output, self._namespace)
        source, refused = run.source(code)
        if refused is not None:
            return _untouched(run, refused, self.name)
        self._run = run
        state.arm(run.deadline.at)
        if self._interrupted:  # interrupted before the deadline was armed
            state.deadline.cancel()
        try:
            outcome = state.run(source, output=run.output, call=run.bridge.call)
        finally:
            self._run = None
        interrupted = self._interrupted
        reset = interrupted or _ends_state(outcome)
        if reset:
            self.reset()
        execution = run.finish(outcome, self.name)
        return InputResult(execution, outcome, interrupted=interrupted, reset=reset)

    def interrupt(self) -> None:
        """Stop the running input at its next deadline check (safe from a signal handler); the
        state is reset."""
        self._interrupted = True
        if self._state is not None:
            self._state.deadline.cancel()
        run = self._run
        if run is not None:
            run.deadline.cancel()  # a host call in progress sees it too

    def reset(self) -> None:
        """End the state: the next input starts a fresh one."""
        self._state = None

    def close(self) -> None:
        self.reset()

    def __enter__(self) -> InProcessSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def open_session(
    host: Host, limits: Limits | None = None, *, isolated: bool = True
) -> IsolatedSession | InProcessSession:
    """A REPL session on ``host``: in a worker process (the default) or in this process."""
    return IsolatedSession(host, limits) if isolated else InProcessSession(host, limits)
