"""The parent's side of the fork server: a clean interpreter that forks one worker per script.

Light on purpose (``os``, ``sys`` and C modules only, not even ``socket``): the
CLI launches the server before it imports anything else, so the server's own start-up (an
interpreter, lupa, a warm sandbox) overlaps the CLI's instead of following it. The server's side
is :func:`luagate.lua.worker.zygote_main`.

The server starts clean: a fresh interpreter (``-S``: no site hooks), a minimal environment (the
parent's secrets stay in the parent), stdin and stdout on ``/dev/null``, and it closes every
descriptor it inherited but its control socket and stderr first thing.
"""

from __future__ import annotations

import os
import sys
from _socket import AF_UNIX, SOCK_STREAM, socketpair
from _thread import allocate_lock

from ..errors import InternalError
from .fd_passing import receive_fd, send_fd

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    import socket

_SAFE_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT")
"""The only environment variables the server (and so every worker) gets."""

# Ctrl-C is the parent's to handle: the server (and so every worker) ignores SIGINT, and stops
# when the parent closes the control socket, however the parent ended.
_SERVER_CODE = (
    "import os, sys, _signal; _signal.signal(_signal.SIGINT, _signal.SIG_IGN); "
    "fd = int(sys.argv[1]); "
    "os.closerange(3, fd); os.closerange(fd + 1, 65536); "
    "sys.path[:0] = sys.argv[2:]; "
    "from luagate.lua.worker import zygote_main; zygote_main(fd)"
)


class ForkServer:
    """Launches the server (lazily, again if it died) and asks it for workers.

    :meth:`start` only launches it; the first :meth:`fork` waits for it to be ready, so a caller
    can start it early and do its own work meanwhile.
    """

    READY_TIMEOUT_S = 60.0

    def __init__(self) -> None:
        self._lock = allocate_lock()
        self._control: socket.socket | None = None
        self._pid: int | None = None
        self._ready = False
        self._unreaped: list[int] = []

    @property
    def pid(self) -> int | None:
        """The running server's process id (None before the first start or after close)."""
        return self._pid

    def start(self) -> None:
        with self._lock:
            self._launch()

    def _launch(self) -> None:
        if self._pid is not None and not _reaped(self._pid):  # still running
            return
        self._stop_locked()
        ours, theirs = socketpair(AF_UNIX, SOCK_STREAM)
        try:
            fd = theirs.fileno()
            os.set_inheritable(fd, True)
            paths = [p for p in sys.path if isinstance(p, str) and p]
            env = {k: os.environ[k] for k in _SAFE_ENV if k in os.environ}
            self._pid = os.posix_spawn(
                sys.executable,
                [sys.executable, "-S", "-c", _SERVER_CODE, str(fd), *paths],
                env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                ],
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._control = ours
        self._ready = False

    def _wait_ready(self) -> None:
        assert self._control is not None
        if self._ready:
            return
        self._control.settimeout(self.READY_TIMEOUT_S)
        try:
            ready = self._control.recv(1) == b"R"
        except OSError:
            ready = False
        finally:
            self._control.settimeout(None)
        if not ready:
            self._stop_locked()
            raise InternalError("the luagate fork server failed to start")
        self._ready = True

    def fork(self, worker_end: socket.socket) -> int:
        """Start a worker owning ``worker_end``; returns a pidfd for it."""
        with self._lock:
            for _attempt in (1, 2):
                self._launch()
                self._wait_ready()
                assert self._control is not None
                try:
                    send_fd(self._control, b"F", worker_end.fileno())
                    _, pidfd = receive_fd(self._control)
                except OSError:
                    pidfd = None
                if pidfd is not None:
                    return pidfd
                self._stop_locked()
            raise InternalError("the luagate fork server stopped answering")

    def close(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        # Closing the control socket is the stop signal: the server exits on EOF, and its
        # workers die with it. No wait here, so a CLI run does not pay for the server's exit;
        # an exited server is reaped at the next launch or stop.
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._pid is not None:
            self._unreaped.append(self._pid)
            self._pid = None
        self._ready = False
        self._unreaped = [pid for pid in self._unreaped if not _reaped(pid)]


def _reaped(pid: int) -> bool:
    """Whether child ``pid`` has ended (reaping it if it just did)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done != 0


_shared: ForkServer | None = None


def shared_fork_server() -> ForkServer:
    """The process's own fork server, used by the default isolated executor."""
    global _shared
    if _shared is None:
        _shared = ForkServer()
    return _shared
