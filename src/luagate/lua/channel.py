"""Length-prefixed JSON messages over a Unix socket, between the parent and one worker.

JSON and nothing richer: the parent never unpickles what a worker sends, so even a compromised
worker can only send data. Frames have a size cap, and reads honour a deadline.
"""

from __future__ import annotations

import json
import os
import struct
import time

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    import socket
    from typing import Any


_HEADER = struct.Struct("!I")


def max_frame(value_bytes: int) -> int:
    """The largest message either side accepts: one value, JSON-escaped, plus room."""
    return 8 * value_bytes + 1024 * 1024


class ChannelClosed(Exception):
    """The other side closed the connection (or died)."""


class ChannelError(Exception):
    """The other side broke the protocol (a frame over the size cap, invalid JSON)."""


SPIN_S = 0.0003
"""How long a reader polls before it sleeps. Waking a sleeping process on another CPU costs
~200 us on virtual machines; a host call's answer usually comes sooner than that."""

_CHUNK = 65536


class Channel:
    def __init__(self, sock: socket.socket, max_frame: int) -> None:
        self.sock = sock
        self.max_frame = max_frame
        self._buffer = bytearray()
        self._timeout: float | None = sock.gettimeout()
        self._encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
        self._decoder = json.JSONDecoder()

    def encode(self, message: Any) -> bytes:
        """One message as the bytes :meth:`send_encoded` sends (``TypeError``/``ValueError``/
        ``RecursionError`` for a message JSON cannot carry)."""
        return self._encoder.encode(message).encode("utf-8", "surrogatepass")

    def send(self, message: Any, deadline: float | None = None) -> None:
        """Send one message; :class:`TimeoutError` if the peer stops reading past ``deadline``."""
        self.send_encoded(self.encode(message), deadline)

    def send_encoded(self, data: bytes, deadline: float | None = None) -> None:
        """Send a message :meth:`encode` made (so its size can be checked first)."""
        frame = _HEADER.pack(len(data)) + data
        self._nonblocking()
        try:
            sent = self.sock.send(frame)  # the usual case: all at once
        except BlockingIOError:
            sent = 0
        except OSError as e:
            raise ChannelClosed(str(e)) from None
        if sent == len(frame):
            return
        self._set_timeout(deadline)
        try:
            self.sock.sendall(frame[sent:])
        except TimeoutError:
            raise
        except OSError as e:
            raise ChannelClosed(str(e)) from None

    def recv(self, deadline: float | None = None) -> Any:
        """The next message; :class:`TimeoutError` if ``deadline`` (monotonic) passes first."""
        while len(self._buffer) < _HEADER.size:
            self._fill(deadline)
        (size,) = _HEADER.unpack_from(self._buffer)
        if size > self.max_frame:
            raise ChannelError(f"a message of {size} bytes exceeds the cap of {self.max_frame}")
        end = _HEADER.size + size
        while len(self._buffer) < end:
            self._fill(deadline)
        body = bytes(self._buffer[_HEADER.size : end])
        del self._buffer[:end]
        try:
            return self._decoder.decode(body.decode("utf-8", "surrogatepass"))
        except ValueError as e:
            raise ChannelError(f"invalid message: {e}") from None

    def _fill(self, deadline: float | None) -> None:
        spin_until = time.perf_counter() + SPIN_S
        self._nonblocking()
        while True:
            try:
                data = self.sock.recv(_CHUNK)
                break
            except BlockingIOError:
                if time.perf_counter() < spin_until:
                    os.sched_yield()  # if the peer shares this CPU, let it run
                    continue
            except OSError as e:
                raise ChannelClosed(str(e)) from None
            self._set_timeout(deadline)
            try:
                data = self.sock.recv(_CHUNK)
                break
            except TimeoutError:
                raise
            except OSError as e:
                raise ChannelClosed(str(e)) from None
        if not data:
            raise ChannelClosed("connection closed")
        self._buffer += data

    def _nonblocking(self) -> None:
        # A socket with a timeout waits up to that timeout before every send or recv, even one
        # flagged MSG_DONTWAIT (CPython polls first): a timeout left from an earlier wait would
        # outlast a later, nearer deadline. The quick attempts run with the socket non-blocking.
        if self._timeout != 0.0:
            self.sock.settimeout(0.0)
            self._timeout = 0.0

    def _set_timeout(self, deadline: float | None) -> None:
        if deadline is None:
            self.sock.settimeout(None)
            self._timeout = None
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.sock.settimeout(remaining)
        self._timeout = remaining

    def close(self) -> None:
        self.sock.close()


def to_wire(data: bytes) -> str:
    """Bytes as a JSON-safe string (one code point per byte)."""
    return data.decode("latin-1")


def from_wire(text: str) -> bytes:
    return text.encode("latin-1")
