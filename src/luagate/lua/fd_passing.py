"""One file descriptor passed with a one-byte message over a Unix socket (``SCM_RIGHTS``).

Between the parent and its fork server: a worker's end of its socket pair one way, the worker's
pidfd back. C modules only (``_socket``, ``array``): both sides use it while they start.
"""

from __future__ import annotations

import os
from _socket import CMSG_SPACE, SCM_RIGHTS, SOL_SOCKET
from array import array

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    import socket


def send_fd(sock: socket.socket, message: bytes, fd: int) -> None:
    sock.sendmsg([message], [(SOL_SOCKET, SCM_RIGHTS, array("i", [fd]))])


def receive_fd(sock: socket.socket) -> tuple[bytes, int | None]:
    """One byte and the descriptor sent with it (``None`` if none came); ``b""`` once the peer
    has closed."""
    fds = array("i")
    message, ancillary, _, _ = sock.recvmsg(1, CMSG_SPACE(fds.itemsize))
    for level, kind, data in ancillary:
        if level == SOL_SOCKET and kind == SCM_RIGHTS:
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
    for extra in fds[1:]:  # only ever one is sent; never leak more
        os.close(extra)
    return message, (fds[0] if fds else None)
