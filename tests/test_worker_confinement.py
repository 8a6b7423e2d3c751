"""The worker process's confinement, read from /proc while a script waits on a host call."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from luagate.lua.deadline import Deadline
from luagate.lua.host import HostReply
from luagate.lua.isolated import IsolatedExecutor
from luagate.lua.limits import MIB, Limits


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.extend(int(c) for c in text)
    return children


class InspectingHost:
    """While the worker waits for this call's answer, look at the worker from outside."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.seen: dict[str, Any] = {}

    def namespace(self) -> dict[str, Any]:
        return {"app": {"inspect": "call"}}

    def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
        (worker,) = _children(self.server_pid)
        proc = Path(f"/proc/{worker}")
        limits = (proc / "limits").read_text()
        self.seen = {
            "fds": sorted(int(fd) for fd in os.listdir(proc / "fd")),
            "nofile": next(line for line in limits.splitlines() if "open files" in line),
            "as": next(line for line in limits.splitlines() if "address space" in line),
            "no_new_privs": next(
                line
                for line in (proc / "status").read_text().splitlines()
                if line.startswith("NoNewPrivs")
            ),
            "environ": (proc / "environ").read_bytes(),
        }
        return HostReply("inspected")


def test_worker_is_confined(monkeypatch):
    monkeypatch.setenv("LUAGATE_FAKE_SECRET", "s3cr3t-value")
    executor = IsolatedExecutor()
    try:
        executor.start()
        server_pid = executor._server.pid
        host = InspectingHost(server_pid)
        e = executor.run("return app.inspect({})", host, Limits(memory_bytes=32 * MIB))
        assert e.success, e.error
        assert e.result == "inspected"
        seen = host.seen
        assert seen["fds"] == [0, 1, 2, 3]  # stdin, stdout (/dev/null), stderr, its socket
        assert seen["nofile"].split()[3:5] == ["4", "4"]  # no new file or socket possible
        assert seen["as"].split()[3] != "unlimited"
        assert seen["no_new_privs"].split()[1] == "1"
        assert b"s3cr3t-value" not in seen["environ"]
        assert b"LUAGATE_FAKE_SECRET" not in seen["environ"]
        stdout = os.readlink(f"/proc/{server_pid}/fd/1")
        assert stdout == "/dev/null"  # nothing a worker writes can reach the user's stdout
    finally:
        executor.close()
