"""Listening sockets for luagate's own servers (the simulators, ``luagate serve --http``).

The socket is bound before the server starts, so a busy or invalid address is an ordinary
:class:`OSError` the command can report in one line, and port 0 is resolved before anything is
announced.
"""

from __future__ import annotations

import socket


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 picks a free port); OSError if it cannot."""
    if not 0 <= port <= 65535:
        raise OSError(f"port {port} is out of range (0-65535)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every keep-alive answer waits ~40 ms (Nagle against delayed ACKs).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def url(host: str, port: int, path: str = "") -> str:
    """``http://host:port`` with IPv6 hosts in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{path}"


def describe(error: OSError) -> str:
    """An OSError as one readable phrase: ``address already in use``, not ``[Errno 98] ...``."""
    if error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]
    return str(error)
