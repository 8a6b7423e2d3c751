"""Process-level isolation of the isolated executor: environment, concurrency, recovery."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from luagate.lua.deadline import Deadline
from luagate.lua.echo_host import EchoHost
from luagate.lua.envelope import Execution
from luagate.lua.host import HostReply
from luagate.lua.isolated import IsolatedExecutor
from luagate.lua.limits import Limits

SECRET_NAME = "LUAGATE_TEST_SECRET"
SECRET_VALUE = "hunter2-do-not-leak-7f3a9c"


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children.extend(int(c) for c in (task / "children").read_text().split())
    return children


def _live_children(pid: int) -> set[int]:
    """Children that are running (a worker the server has not reaped yet is a zombie)."""
    live = set()
    for child in _children(pid):
        try:
            stat = Path(f"/proc/{child}/stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if stat.rsplit(")", 1)[1].split()[0] != "Z":
            live.add(child)
    return live


def _confined(pid: int) -> bool:
    """Whether a worker has passed its confinement step (PR_SET_PDEATHSIG comes first in it,
    then PR_SET_NO_NEW_PRIVS): from then on it dies with its fork server."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "NoNewPrivs:\t1" in status


def _wait_for_new_worker(server_pid: int, before: set[int]) -> int:
    deadline = time.monotonic() + 10
    while True:
        new = [pid for pid in _live_children(server_pid) - before if _confined(pid)]
        if new:
            return new[0]
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.01)


def _server_pid(executor: IsolatedExecutor) -> int:
    pid = executor._server.pid
    assert pid is not None
    return pid


def _wait_until_dead(pid: int) -> None:
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and _state(pid) != "Z":
        assert time.monotonic() < deadline, f"process {pid} still alive"
        time.sleep(0.01)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return "gone"


def _ordinary_run_succeeds(executor: IsolatedExecutor) -> None:
    e = executor.run("return 1 + 1", EchoHost(), Limits(timeout_s=10.0))
    assert e.success, e.to_dict()
    assert e.result == 2


class EnvironSpyHost(EchoHost):
    """``app.look{}``: while the worker waits for the answer, read its environment from outside."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.worker_environs: list[bytes] = []

    def namespace(self) -> dict[str, Any]:
        return {"app": {"look": "call"}}

    def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
        # The worker serving this call is alive; an earlier one may still be exiting.
        for worker in _live_children(self.server_pid):
            try:
                self.worker_environs.append(Path(f"/proc/{worker}/environ").read_bytes())
            except (FileNotFoundError, ProcessLookupError):
                continue
        return HostReply("looked", self.account)


@pytest.fixture
def executor():
    executor = IsolatedExecutor()
    yield executor
    executor.close()


def test_fork_server_and_worker_do_not_see_the_parents_environment(monkeypatch):
    monkeypatch.setenv(SECRET_NAME, SECRET_VALUE)
    assert os.environ[SECRET_NAME] == SECRET_VALUE
    executor = IsolatedExecutor()  # created after the secret is in the environment
    try:
        _ordinary_run_succeeds(executor)
        server_pid = _server_pid(executor)
        server_environ = Path(f"/proc/{server_pid}/environ").read_bytes()
        assert SECRET_VALUE.encode() not in server_environ
        assert SECRET_NAME.encode() not in server_environ
        # Only the documented safe variables reach the server.
        names = {entry.split(b"=", 1)[0] for entry in server_environ.split(b"\0") if entry}
        assert names <= {b"PATH", b"LANG", b"LC_ALL", b"LC_CTYPE", b"TZ", b"SYSTEMROOT"}

        host = EnvironSpyHost(server_pid)
        e = executor.run("return app.look{}", host, Limits(timeout_s=10.0))
        assert e.success, e.to_dict()
        assert e.result == "looked"
        assert host.worker_environs
        for environ in host.worker_environs:
            assert SECRET_VALUE.encode() not in environ
            assert SECRET_NAME.encode() not in environ
    finally:
        executor.close()


@pytest.mark.parametrize(
    "runaway",
    [
        pytest.param("while true do end", id="hooked_loop"),
        pytest.param("return ('a'):rep(3000):find('a*a*a*b')", id="stuck_in_one_c_call"),
    ],
)
def test_killing_a_runaway_does_not_disturb_a_concurrent_script(executor, runaway):
    _ordinary_run_succeeds(executor)  # the fork server is warm before the race starts
    results: dict[str, tuple[Execution, float]] = {}

    def run(name: str, code: str, limits: Limits) -> None:
        started = time.monotonic()
        execution = executor.run(code, EchoHost(), limits)
        results[name] = (execution, time.monotonic() - started)

    # The normal script is still waiting on its host call when the runaway is stopped, and
    # works on after that.
    normal = """
        app.sleep{seconds = 1.5}
        local s = 0
        for i = 1, 100000 do s = s + i end
        return {sum = s, echoed = app.echo("still here")}
    """
    threads = [
        threading.Thread(target=run, args=("runaway", runaway, Limits(timeout_s=0.5))),
        threading.Thread(target=run, args=("normal", normal, Limits(timeout_s=10.0))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()

    stopped, stopped_s = results["runaway"]
    assert not stopped.success
    assert stopped.error.type == "time_limit"
    assert stopped_s <= 0.5 + 1.0

    survived, survived_s = results["normal"]
    assert survived.success, survived.to_dict()
    assert survived.result == {"sum": 5000050000, "echoed": "still here"}
    assert [c.path for c in survived.calls] == ["app.sleep", "app.echo"]
    assert survived_s < 10.0

    _ordinary_run_succeeds(executor)


def test_executor_recovers_after_its_fork_server_is_killed(executor):
    _ordinary_run_succeeds(executor)
    old_pid = _server_pid(executor)
    os.kill(old_pid, signal.SIGKILL)
    _wait_until_dead(old_pid)

    _ordinary_run_succeeds(executor)
    assert _server_pid(executor) != old_pid
    _ordinary_run_succeeds(executor)


def _kill_during_a_runaway(executor, victim) -> tuple[Execution, float]:
    """Run an endless loop in a thread, SIGKILL ``victim(server_pid, worker_pid)`` while it runs;
    return the run's envelope and how long it took."""
    server_pid = _server_pid(executor)
    holder: dict[str, Execution] = {}

    def run() -> None:
        holder["e"] = executor.run("while true do end", EchoHost(), Limits(timeout_s=20.0))

    before = _live_children(server_pid)
    thread = threading.Thread(target=run)
    started = time.monotonic()
    thread.start()
    worker = _wait_for_new_worker(server_pid, before)  # the worker is running the loop
    os.kill(victim(server_pid, worker), signal.SIGKILL)
    thread.join(timeout=30)
    assert not thread.is_alive()
    return holder["e"], time.monotonic() - started


def test_killing_the_fork_server_mid_run_loses_only_that_run(executor):
    _ordinary_run_succeeds(executor)
    # its workers die with it (PR_SET_PDEATHSIG)
    e, elapsed = _kill_during_a_runaway(executor, lambda server, worker: server)
    assert not e.success
    assert e.error.type == "worker_lost"
    assert elapsed < 10.0  # reported at once, not at the 20 s deadline
    _ordinary_run_succeeds(executor)


def test_a_worker_killed_from_outside_is_reported_and_the_next_run_works(executor):
    _ordinary_run_succeeds(executor)
    server_pid = _server_pid(executor)
    e, elapsed = _kill_during_a_runaway(executor, lambda server, worker: worker)
    assert not e.success
    assert e.error.type == "worker_lost"
    assert elapsed < 10.0
    assert _server_pid(executor) == server_pid  # the server itself was not touched
    _ordinary_run_succeeds(executor)


def test_the_deadline_holds_after_the_parent_has_waited_and_been_busy(executor):
    # The parent first blocks waiting for the worker (a socket timeout gets set), then is busy
    # in a host call for 1.5 s, then the worker sticks in one C call: the run must end as a
    # time limit at the deadline, not later, and not as a lost worker (a stale socket timeout
    # used to outlast the deadline and end as worker_lost).
    code = (
        "local t = os.clock() while os.clock() - t < 0.2 do end\n"
        "app.sleep({seconds = 1.5})\n"
        'return regex.match("(a+)+$", string.rep("a", 40) .. "b")'
    )
    started = time.monotonic()
    execution = executor.run(code, EchoHost(), Limits(timeout_s=3))
    took = time.monotonic() - started
    assert execution.error is not None and execution.error.type == "time_limit", execution.error
    assert took < 3 + 1.0, took
    _ordinary_run_succeeds(executor)
