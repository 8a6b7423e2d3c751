"""Length-prefixed JSON messages over a Unix socket, between the parent and one worker.

JSON and nothing richer: the parent never unpickles what a worker sends, so even a compromised
worker can only send data. Frames have a size cap, and reads honour a deadline.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from typing import Any

_HEADER = struct.Struct("!I")


def max_frame(value_bytes: int) -> int:
    """The largest message either side accepts: one value, JSON-escaped, plus room."""
    return 8 * value_bytes + 1024 * 1024


class ChannelClosed(Exception):
    """The other side closed the connection (or died)."""


class ChannelError(Exception):
    """The other side broke the protocol (a frame over the size cap, invalid JSON)."""


class Channel:
    def __init__(self, sock: socket.socket, max_frame: int) -> None:
        self.sock = sock
        self.max_frame = max_frame

    def send(self, message: Any, deadline: float | None = None) -> None:
        """Send one message; :class:`TimeoutError` if the peer stops reading past ``deadline``."""
        data = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            self.sock.settimeout(remaining)
        else:
            self.sock.settimeout(None)
        try:
            self.sock.sendall(_HEADER.pack(len(data)) + data)
        except TimeoutError:
            raise
        except OSError as e:
            raise ChannelClosed(str(e)) from None

    def recv(self, deadline: float | None = None) -> Any:
        """The next message; :class:`TimeoutError` if ``deadline`` (monotonic) passes first."""
        (size,) = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > self.max_frame:
            raise ChannelError(f"a message of {size} bytes exceeds the cap of {self.max_frame}")
        try:
            return json.loads(self._read(size, deadline).decode("utf-8", "surrogatepass"))
        except ValueError as e:
            raise ChannelError(f"invalid message: {e}") from None

    def _read(self, size: int, deadline: float | None) -> bytes:
        buf = bytearray(size)
        view = memoryview(buf)
        got = 0
        while got < size:
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                self.sock.settimeout(remaining)
            else:
                self.sock.settimeout(None)
            try:
                n = self.sock.recv_into(view[got:])
            except TimeoutError:
                raise
            except OSError as e:
                raise ChannelClosed(str(e)) from None
            if n == 0:
                raise ChannelClosed("connection closed")
            got += n
        return bytes(buf)

    def close(self) -> None:
        self.sock.close()


def to_wire(data: bytes) -> str:
    """Bytes as a JSON-safe string (one code point per byte)."""
    return data.decode("latin-1")


def from_wire(text: str) -> bytes:
    return text.encode("latin-1")
