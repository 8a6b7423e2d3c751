"""The worker side of the isolated executor: a fork server, and the worker it forks per script.

The fork server ("zygote") is started clean — a fresh interpreter with a minimal environment, so
it holds no credentials — imports and warms everything a sandbox needs, then waits. For each
script the parent passes it one end of a new socket pair; it forks a worker that owns that end and
answers with a pidfd, so the parent can kill exactly that worker at its deadline.

A worker, right after the fork: dies with its parent, keeps only its socket (fd 3) and the three
standard streams (stdin and stdout on /dev/null), may open no new file or socket
(RLIMIT_NOFILE), cannot gain privileges, has an address-space ceiling, then runs one script and
exits. Its only door is the socket: host calls travel to the parent, which holds the host.

The parent's first message says which: ``run`` (one script; its ``done`` ends the worker) or
``session`` (a REPL's: one Lua state, then ``input`` messages, each answered like a script —
``out``/``call`` messages, then ``done`` — until the parent closes the socket or an input stops
the state). Either way the same confinement comes first, and only JSON crosses the socket.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import time
from _signal import SIGKILL
from _socket import socket

from ..errors import LIMIT_ERRORS, LuagateError, MemoryLimitError
from .channel import Channel, ChannelClosed, max_frame, to_wire
from .deadline import Deadline
from .envelope import Outcome, ScriptError
from .fd_passing import receive_fd, send_fd
from .limits import MAXIMA, MIB, Limits
from .output import OutputBuffer
from .sandbox import SessionSandbox, run_sandbox

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


CHANNEL_FD = 3
_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38


def mapped_bytes() -> int:
    """This process's virtual memory size."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def address_space_ceiling(limits: Limits, mapped: int) -> int:
    """The worker's RLIMIT_AS: what it already maps, plus Lua's limit, plus room for values."""
    return mapped + limits.memory_bytes + 8 * limits.value_bytes + 256 * MIB


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(option, value, 0, 0, 0)


def _remote_error(reply: dict[str, Any]) -> LuagateError:
    kind = str(reply.get("type", "internal"))
    # Only the parent's own limits stop the script; a provider's "timeout" is an ordinary error.
    error_class = LIMIT_ERRORS.get(kind, LuagateError) if reply.get("fatal") else LuagateError
    error = error_class(str(reply.get("message", "")))
    if error_class is LuagateError:
        error.type = kind
    return error


def _confine(server_pid: int) -> None:
    _prctl(_PR_SET_PDEATHSIG, SIGKILL)
    if os.getppid() != server_pid:  # the server died before the line above took effect
        os._exit(1)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.closerange(CHANNEL_FD + 1, 65536)
    resource.setrlimit(resource.RLIMIT_NOFILE, (CHANNEL_FD + 1, CHANNEL_FD + 1))


def run_worker(mapped: int, server_pid: int) -> None:
    """Serve the parent on fd 3, then return (the caller exits): one script (``run``), or a
    REPL session's inputs (``session``) until the parent closes the socket.

    ``mapped`` is the fork server's virtual size, measured before the fork: after it, the worker
    can no longer open ``/proc``.
    """
    _confine(server_pid)
    # the first message (from the trusted parent) may carry a script as large as any limit allows
    channel = Channel(socket(fileno=CHANNEL_FD), max_frame=max_frame(MAXIMA["value_bytes"]))
    request = channel.recv()
    limits = Limits.from_dict(request["limits"])
    channel.max_frame = max_frame(limits.value_bytes)
    ceiling = address_space_ceiling(limits, mapped)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))

    def forward_output(data: bytes) -> None:
        channel.send({"op": "out", "data": to_wire(data)})

    def call(path: str, args_json: bytes) -> Any:
        channel.send({"op": "call", "path": path, "args": args_json.decode("utf-8")})
        reply = channel.recv()
        if reply.get("ok"):
            return reply.get("value")
        raise _remote_error(reply)

    if request.get("op") == "session":
        _serve_session(channel, SessionSandbox(request["namespace"], limits), call, forward_output)
        return

    deadline = Deadline(request["deadline"])
    output = OutputBuffer(limits.output_bytes, on_bytes=forward_output)
    try:
        outcome = run_sandbox(
            request["code"].encode("latin-1"),
            namespace=request["namespace"],
            call=call,
            limits=limits,
            deadline=deadline,
            output=output,
        )
    except ChannelClosed:
        return
    except MemoryError:
        error = MemoryLimitError("the worker ran out of memory")
        outcome = Outcome(False, error=ScriptError(error.type, error.message))
    channel.send(_done(outcome))


def _serve_session(
    channel: Channel,
    state: SessionSandbox,
    call: Callable[[str, bytes], Any],
    forward_output: Callable[[bytes], None],
) -> None:
    """A REPL worker: after each input's ``done`` it waits for the next input, in the same Lua
    state, until the parent closes the socket or the state is stopped (the parent then starts
    a fresh worker). Each input brings its own deadline; output is capped per input."""
    while True:
        try:
            message = channel.recv()
        except ChannelClosed:
            return
        if message.get("op") != "input":
            return
        state.arm(float(message["deadline"]))
        output = OutputBuffer(state.limits.output_bytes, on_bytes=forward_output)
        try:
            outcome = state.run(message["code"].encode("latin-1"), output=output, call=call)
        except ChannelClosed:
            return
        except MemoryError:
            error = MemoryLimitError("the worker ran out of memory")
            outcome = Outcome(False, error=ScriptError(error.type, error.message), stopped=True)
        done = _done(outcome)
        done.update(
            values=outcome.values,
            display=outcome.display,
            incomplete=outcome.incomplete,
            stopped=outcome.stopped,
        )
        channel.send(done)
        if outcome.stopped:
            return


def _done(outcome: Outcome) -> dict[str, Any]:
    return {
        "op": "done",
        "ok": outcome.ok,
        "result": outcome.result,
        "error": None if outcome.error is None else outcome.error.to_dict(),
        "memory_bytes": outcome.memory_bytes,
    }


def _warm_up() -> None:
    """Import and exercise everything a worker uses, so no worker needs a file after the fork.

    Modules the standard library imports on first use, reachable from a script: difflib
    (unknown-name suggestions) and unicodedata (``\\N{...}`` in a ``regex`` pattern);
    ``warnings`` (``re``'s pattern warnings) comes with regex_ops. tests/test_limits_review.py
    runs the library features a script can reach and checks that nothing else loads late.
    """
    import difflib  # noqa: F401
    import unicodedata  # noqa: F401

    from .echo_host import EchoHost
    from .executor import InProcessExecutor

    time.localtime()  # loads the time zone now: a worker may not open /etc/localtime
    InProcessExecutor().run(
        'print(json.encode({1, "x", json.null})) return regex.match("a(b)", "ab")[1]',
        EchoHost(),
        Limits(timeout_s=5),
    )


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def zygote_main(control_fd: int) -> None:
    """Serve fork requests on ``control_fd`` until the parent closes it."""
    _warm_up()
    mapped = mapped_bytes()
    server_pid = os.getpid()
    control = socket(fileno=control_fd)
    try:
        control.sendall(b"R")
    except OSError:  # the parent closed before the server was ready: nothing to serve
        return
    while True:
        try:
            message, fd = receive_fd(control)
        except OSError:
            break
        if not message:
            break
        _reap()
        if fd is None:
            continue
        pid = os.fork()
        if pid == 0:
            status = 0
            try:
                control.close()
                os.dup2(fd, CHANNEL_FD)
                if fd != CHANNEL_FD:
                    os.close(fd)
                run_worker(mapped, server_pid)
            except BaseException:
                status = 1
                sys.__excepthook__(*sys.exc_info())  # C-level printing: no import needed
            finally:
                os._exit(status)
        os.close(fd)
        pidfd = os.pidfd_open(pid)
        try:
            send_fd(control, b"P", pidfd)
        finally:
            os.close(pidfd)
    sys.exit(0)


if __name__ == "__main__":
    zygote_main(int(sys.argv[1]))
