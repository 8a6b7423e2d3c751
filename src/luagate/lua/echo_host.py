"""A small host namespace for trying and testing the bridge before real integrations exist.

- ``app.echo(v)`` returns ``v`` as it crossed the bridge (through JSON and back);
- ``app.fail{type=..., message=...}`` raises that error type, as a provider error would;
- ``app.sleep{seconds=s}`` waits (bounded by the execution's deadline), like a slow provider.
"""

from __future__ import annotations

import time

from ..errors import InvalidValueError, LuagateError
from .deadline import Deadline
from .host import HostReply

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from typing import Any

    from .host import Namespace


class EchoHost:
    account = "test"

    def namespace(self) -> Namespace:
        return {"app": {"echo": "call", "fail": "call", "sleep": "call"}}

    def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
        if path == "app.echo":
            return HostReply(args, self.account)
        if path == "app.fail":
            args = args if isinstance(args, dict) else {}
            error = LuagateError(str(args.get("message", "failed on purpose")))
            error.type = str(args.get("type", "upstream"))
            raise error
        if path == "app.sleep":
            seconds = args.get("seconds") if isinstance(args, dict) else None
            if not isinstance(seconds, int | float) or isinstance(seconds, bool) or seconds < 0:
                raise InvalidValueError(
                    f"app.sleep: seconds must be a number >= 0, got {seconds!r}"
                )
            time.sleep(max(0.0, min(seconds, deadline.remaining())))
            return HostReply(seconds, self.account)
        raise InvalidValueError(f"{path} is not part of the echo host")
