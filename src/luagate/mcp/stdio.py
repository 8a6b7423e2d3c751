"""The stdio transport of ``luagate serve``: the SDK's ``stdio_server`` over thread-free pipes.

The SDK reads stdin and writes stdout through anyio worker threads (``anyio.wrap_file``): for
each request a thread wakes up to hand the line to the event loop, and each response takes two
more thread round trips (``write``, then ``flush``). On a busy machine every one of those
wake-ups waits for a CPU, on the path of every tool call. When stdin and stdout are pipes or
sockets (what an MCP client gives its server), this module hands ``stdio_server`` streams that
the event loop reads and writes directly instead; anything else (a terminal, a file) gets the
SDK's own streams.

Like the SDK's own claim of the standard streams, fds 0 and 1 point at the null device and at
stderr while serving, so a stray ``print`` or a child process cannot corrupt the wire; the wire
itself is served from private duplicates, restored on exit.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys

import anyio
from mcp.server.stdio import stdio_server

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from typing import Any

READ_SIZE = 64 * 1024


def _is_pipe(fd: int) -> bool:
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class PipeLines:
    """Lines (``str``, newline included) from a non-blocking pipe, read on the event loop."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._scanned = 0  # bytes of the buffer known to hold no newline

    def __aiter__(self) -> PipeLines:
        return self

    async def __anext__(self) -> str:
        buffer = self._buffer
        while True:
            end = buffer.find(b"\n", self._scanned)
            if end >= 0:
                line = bytes(buffer[: end + 1])
                del buffer[: end + 1]
                self._scanned = 0
                return line.decode("utf-8", "replace")
            self._scanned = len(buffer)
            try:
                chunk = os.read(self._fd, READ_SIZE)
            except BlockingIOError:
                await anyio.wait_readable(self._fd)
                continue
            if not chunk:  # end of input: a last line without its newline still counts
                if buffer:
                    line = bytes(buffer)
                    buffer.clear()
                    self._scanned = 0
                    return line.decode("utf-8", "replace")
                raise StopAsyncIteration
            buffer += chunk


class PipeWriter:
    """``write`` collects, ``flush`` writes it all to a non-blocking pipe from the event loop
    (waiting while the pipe is full, without blocking the loop)."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._pending: list[bytes] = []

    async def write(self, text: str) -> int:
        self._pending.append(text.encode("utf-8"))
        return len(text)

    async def flush(self) -> None:
        data = b"".join(self._pending)
        self._pending.clear()
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
            except BlockingIOError:
                await anyio.wait_writable(self._fd)
                continue
            view = view[written:]


def _flush_stdout() -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()


def _point(fd: int, target: int) -> None:
    try:
        os.dup2(target, fd)
    finally:
        os.close(target)


@contextlib.contextmanager
def _claimed_wire() -> Iterator[tuple[int, int]]:
    """Private non-blocking duplicates of fds 0 and 1, which meanwhile point at the null device
    and at stderr; all put back on exit."""
    import fcntl

    _flush_stdout()
    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    flags = {fd: fcntl.fcntl(fd, fcntl.F_GETFL) for fd in (wire_in, wire_out)}
    try:
        _point(0, os.open(os.devnull, os.O_RDONLY))
        try:
            os.dup2(2, 1)
        except OSError:  # no stderr: stray output goes nowhere
            _point(1, os.open(os.devnull, os.O_WRONLY))
        for fd, flag in flags.items():
            fcntl.fcntl(fd, fcntl.F_SETFL, flag | os.O_NONBLOCK)
        yield wire_in, wire_out
    finally:
        _flush_stdout()
        for fd, flag in flags.items():
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, fcntl.F_SETFL, flag)
        with contextlib.suppress(OSError):
            os.dup2(wire_in, 0)
        with contextlib.suppress(OSError):
            os.dup2(wire_out, 1)
        os.close(wire_in)
        os.close(wire_out)


@contextlib.asynccontextmanager
async def stdio_streams() -> AsyncIterator[Any]:
    """``(read_stream, write_stream)`` of MCP messages over this process's stdin and stdout."""
    if sys.platform == "win32" or not (_is_pipe(0) and _is_pipe(1)):
        async with stdio_server() as streams:
            yield streams
        return
    with _claimed_wire() as (wire_in, wire_out):
        lines: Any = PipeLines(wire_in)  # what stdio_server reads: ``async for line in ...``
        writer: Any = PipeWriter(wire_out)  # ... and writes: ``write`` then ``flush``
        async with stdio_server(lines, writer) as streams:
            yield streams
