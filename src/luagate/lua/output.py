"""Captured ``print`` output with a hard cap."""

from __future__ import annotations

import codecs

from ..errors import OutputLimitError

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from collections.abc import Callable


def truncation_marker(limit: int) -> str:
    return f"\n[luagate: output truncated at {limit} bytes]\n"


class OutputBuffer:
    """Keeps at most ``limit`` bytes of printed output, then a marker.

    ``on_bytes`` sees every accepted raw chunk (a worker forwards them to its parent);
    ``on_text`` sees the same as decoded text (the CLI streams it to the terminal).
    """

    def __init__(
        self,
        limit: int,
        on_text: Callable[[str], None] | None = None,
        on_bytes: Callable[[bytes], None] | None = None,
    ) -> None:
        self.limit = limit
        self.size = 0
        self.truncated = False
        self._parts: list[str] = []
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._on_text = on_text
        self._on_bytes = on_bytes

    def write(self, data: bytes) -> None:
        """Add printed bytes; raise :class:`OutputLimitError` once the cap is passed."""
        if self.truncated:
            raise OutputLimitError(self.breach_message())
        room = self.limit - self.size
        accepted = data if len(data) <= room else data[:room]
        if accepted:
            self.size += len(accepted)
            if self._on_bytes is not None:
                self._on_bytes(accepted)
            self._emit(self._decoder.decode(accepted))
        if len(data) > room:
            self.mark_truncated()
            raise OutputLimitError(self.breach_message())

    def mark_truncated(self) -> None:
        """Close the output with the truncation marker (once)."""
        if not self.truncated:
            self.truncated = True
            self._emit(self._decoder.decode(b"", final=True))
            self._emit(truncation_marker(self.limit))

    def _emit(self, text: str) -> None:
        if text:
            self._parts.append(text)
            if self._on_text is not None:
                self._on_text(text)

    def breach_message(self) -> str:
        return f"the script printed more than its output limit of {self.limit} bytes"

    def text(self) -> str:
        tail = "" if self.truncated else self._decoder.decode(b"", final=True)
        return "".join(self._parts) + tail
