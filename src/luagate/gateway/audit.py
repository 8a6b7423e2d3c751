"""The audit log: one JSON line per call at ``$LUAGATE_HOME/audit.log``.

It records what was called, by which account, how long it took and how it ended; never the
arguments, never credentials. Turn it off with ``LUAGATE_AUDIT=off`` or ``"audit": false`` in
config.json.
"""

from __future__ import annotations

import json
import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

AUDIT_FILE = "audit.log"


class AuditLog:
    def __init__(self, path: str, enabled: bool = True) -> None:
        self.path = path
        self.enabled = enabled

    def record(self, **entry: Any) -> None:
        if not self.enabled:
            return
        line = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **entry}
        data = (json.dumps(line, sort_keys=True) + "\n").encode()
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)  # as the home
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(fd, data)  # one write per line: lines never interleave
            finally:
                os.close(fd)
        except OSError:
            pass  # an unwritable audit log must not fail the call it records
