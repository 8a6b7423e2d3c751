"""REPL sessions (``luagate.lua.session``): one Lua state kept across inputs, in a worker
process or in this process, and the worker protocol that serves them."""

from __future__ import annotations

import os
import signal
import threading
import time
from _socket import AF_UNIX, SOCK_STREAM, socketpair
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from luagate.lua.channel import Channel, ChannelClosed, max_frame, to_wire
from luagate.lua.deadline import Deadline
from luagate.lua.echo_host import EchoHost
from luagate.lua.fork_server import ForkServer
from luagate.lua.host import HostReply
from luagate.lua.isolated import converse
from luagate.lua.limits import MIB, Limits
from luagate.lua.run import Run
from luagate.lua.session import InProcessSession, IsolatedSession

KINDS = ("isolated", "in_process")


@pytest.fixture(scope="module")
def server() -> Iterator[ForkServer]:
    server = ForkServer()
    yield server
    server.close()


def _open(kind: str, server: ForkServer, host: Any = None, **limits: float) -> Any:
    host = host or EchoHost()
    if kind == "isolated":
        return IsolatedSession(host, Limits(**limits), server)
    return InProcessSession(host, Limits(**limits))


@pytest.fixture(params=KINDS)
def open_session(request: pytest.FixtureRequest, server: ForkServer):
    sessions: list[Any] = []

    def open_session(host: Any = None, **limits: float) -> Any:
        session = _open(request.param, server, host, **limits)
        sessions.append(session)
        return session

    yield open_session
    for session in sessions:
        session.close()


def _value(session: Any, code: str) -> Any:
    result = session.run(code)
    execution = result.execution
    assert execution.success, execution.to_dict()
    assert result.values >= 1, f"{code!r} returned nothing"
    return execution.result


# -- what an input does ------------------------------------------------------------------------


def test_globals_persist_across_inputs_and_locals_do_not(open_session):
    session = open_session()
    assert session.run("x = 41").execution.success
    assert _value(session, "x + 1") == 42
    assert session.run("function double(n) return 2 * n end").values == 0
    assert _value(session, "double(x)") == 82
    assert session.run("local y = 5").execution.success
    assert _value(session, "y") is None  # the local ended with its input, as in Lua's REPL
    assert _value(session, "x") == 41


def test_an_input_reports_its_values(open_session):
    session = open_session()
    r = session.run("x = 1")  # a statement: no values
    assert (r.values, r.execution.result, r.display) == (0, None, None)
    r = session.run('print("hi")')  # a call returning nothing: no values either
    assert (r.values, r.execution.output) == (0, "hi\n")
    r = session.run("nil")  # one value, nil
    assert (r.values, r.execution.result) == (1, None)
    r = session.run("1, 'two', nil")
    assert (r.values, r.execution.result) == (3, [1, "two", None])
    r = session.run("return {a = 1}")  # an explicit return is a statement that returns
    assert (r.values, r.execution.result) == (1, {"a": 1})
    r = session.run("print")  # JSON cannot hold a function: its rendering instead
    assert (r.values, r.display, r.execution.success) == (1, "<function>", True)
    r = session.run("t = {} t.self = t")
    r = session.run("t")
    assert r.execution.success and r.display is not None and "<cycle>" in r.display


def test_an_unfinished_input_is_incomplete_and_runs_nothing(open_session):
    session = open_session()
    session.run("x = 1")
    r = session.run("x = 2\nfunction f()")
    assert r.incomplete
    assert r.execution.error.type == "syntax"  # what it is if no more lines come
    assert "<eof>" in r.execution.error.message
    assert _value(session, "x") == 1  # nothing of it ran
    r = session.run("x = 2\nfunction f()\n  return x * 10\nend")
    assert not r.incomplete and r.execution.success
    assert _value(session, "f()") == 20
    for unfinished in ("if x then", "t = {", "s = [[long", "(1 +"):
        assert session.run(unfinished).incomplete, unfinished
    r = session.run("x = = 1")  # a syntax error that more lines cannot fix
    assert not r.incomplete and r.execution.error.type == "syntax"
    assert not r.reset


def test_an_error_leaves_the_state_alone(open_session):
    session = open_session()
    session.run("x = 1")
    r = session.run('x = 2 error("boom")')
    assert r.execution.error.type == "runtime"
    assert r.execution.error.message == "script:1: boom"
    assert not r.reset
    assert _value(session, "x") == 2  # what ran before the error stays, as in Lua


def test_a_host_call_from_a_session(open_session):
    session = open_session()
    r = session.run("echoed = app.echo({n = 1})")
    assert r.execution.success
    assert [c.path for c in r.execution.calls] == ["app.echo"]
    assert _value(session, "echoed.n") == 1
    r = session.run('app.fail({type = "not_found"})')
    assert r.execution.error.type == "not_found" and not r.reset


# -- limits: per input, and for the whole state ------------------------------------------------


def test_output_and_call_caps_apply_per_input(open_session):
    session = open_session(output_bytes=10, max_calls=2)
    for _ in range(3):  # each input may print 8 of its 10 bytes, and make its 2 calls
        r = session.run('print("1234567") app.echo(1) app.echo(2)')
        assert r.execution.success, r.execution.to_dict()
        assert r.execution.output == "1234567\n"
    session.run("kept = true")
    r = session.run("app.echo(1) app.echo(2) app.echo(3)")
    assert r.execution.error.type == "call_limit"
    assert r.reset  # a limit stopped the state
    assert _value(session, "kept") is None
    r = session.run('print("12345678901234")')
    assert r.execution.error.type == "output_limit" and r.reset
    assert r.execution.output.startswith("1234567890\n[luagate: output truncated")


def test_the_memory_limit_covers_the_whole_session(open_session):
    session = open_session(memory_bytes=16 * MIB)
    # each input keeps 2 MiB (building it takes 4): alone, none would reach the limit
    for i in range(1, 12):
        r = session.run(f'keep{i} = string.rep("x", 2 * 1024 * 1024)')
        if not r.execution.success:
            break
    assert r.execution.error.type == "memory_limit"
    assert 4 <= i <= 8, i
    assert r.reset
    assert _value(session, "keep1") is None  # a fresh state
    assert session.run('keep1 = string.rep("x", 2 * 1024 * 1024)').execution.success


def test_a_runaway_input_is_stopped_and_the_next_runs_in_a_fresh_state(open_session):
    session = open_session(timeout_s=0.5)
    session.run("x = 1")
    started = time.monotonic()
    r = session.run("while true do end")
    assert time.monotonic() - started < 10
    assert r.execution.error.type == "time_limit"
    assert r.reset and not r.interrupted
    assert _value(session, "x") is None
    assert session.run("x = 2").execution.success
    assert _value(session, "x + 1") == 3  # each input has its own deadline


def test_interrupt_stops_the_running_input_and_resets(open_session):
    session = open_session(timeout_s=60)
    session.run("x = 1")
    timer = threading.Timer(1.0, session.interrupt)
    timer.start()
    started = time.monotonic()
    r = session.run("while true do end")
    timer.join()
    assert time.monotonic() - started < 30  # long before the 60 s deadline
    assert r.interrupted and r.reset
    assert not r.execution.success
    assert _value(session, "x") is None
    assert _value(session, "1 + 1") == 2


# -- the isolated session's worker ---------------------------------------------------------------


def _pid(pidfd: int) -> int:
    for line in Path(f"/proc/self/fdinfo/{pidfd}").read_text().splitlines():
        if line.startswith("Pid:"):
            return int(line.split()[1])
    raise AssertionError("no Pid in fdinfo")


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_until_ended(pid: int) -> None:
    deadline = time.monotonic() + 10
    while _running(pid):
        assert time.monotonic() < deadline, f"process {pid} still running"
        time.sleep(0.01)


@pytest.fixture
def isolated(server: ForkServer) -> Iterator[IsolatedSession]:
    session = IsolatedSession(EchoHost(), Limits(timeout_s=1), server)
    yield session
    session.close()


def test_one_worker_serves_the_whole_session(isolated):
    isolated.run("x = 1")
    assert isolated.worker_pidfd is not None
    worker = _pid(isolated.worker_pidfd)
    for i in range(3):
        assert isolated.run(f"x = x + {i}").execution.success
        assert _pid(isolated.worker_pidfd) == worker
    assert _running(worker)
    r = isolated.run("while true do end")
    assert r.reset and isolated.worker_pidfd is None
    _wait_until_ended(worker)  # the parent killed it
    assert _value(isolated, "x") is None
    assert _pid(isolated.worker_pidfd) != worker
    isolated.close()
    assert isolated.worker_pidfd is None


def test_a_worker_killed_between_inputs_is_reported_and_replaced(isolated):
    isolated.run("x = 1")
    worker = _pid(isolated.worker_pidfd)
    os.kill(worker, signal.SIGKILL)
    _wait_until_ended(worker)
    r = isolated.run("x")
    assert r.execution.error.type == "worker_lost"
    assert r.reset
    assert _value(isolated, "x") is None
    assert _value(isolated, "1 + 1") == 2


class InspectingHost(EchoHost):
    """``app.inspect{}``: while the session's worker waits for the answer, read it from /proc."""

    def __init__(self) -> None:
        self.session: IsolatedSession | None = None
        self.seen: dict[str, Any] = {}

    def namespace(self) -> dict[str, Any]:
        return {"app": {"inspect": "call"}}

    def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
        assert self.session is not None and self.session.worker_pidfd is not None
        proc = Path(f"/proc/{_pid(self.session.worker_pidfd)}")
        limits = (proc / "limits").read_text().splitlines()
        self.seen = {
            "fds": sorted(int(fd) for fd in os.listdir(proc / "fd")),
            "nofile": next(line for line in limits if "open files" in line),
            "as": next(line for line in limits if "address space" in line),
            "status": (proc / "status").read_text(),
            "environ": (proc / "environ").read_bytes(),
        }
        return HostReply("inspected")


def test_a_session_worker_is_confined_as_a_script_worker_is(monkeypatch, server):
    monkeypatch.setenv("LUAGATE_FAKE_SECRET", "s3cr3t-value")
    host = InspectingHost()
    session = IsolatedSession(host, Limits(memory_bytes=32 * MIB), server)
    host.session = session
    try:
        assert session.run("x = 1").execution.success
        r = session.run("app.inspect({})")  # a later input: the worker has kept waiting
        assert r.execution.result == "inspected", r.execution.to_dict()
    finally:
        session.close()
    seen = host.seen
    assert seen["fds"] == [0, 1, 2, 3]  # stdin, stdout (/dev/null), stderr, its socket
    assert seen["nofile"].split()[3:5] == ["4", "4"]
    assert seen["as"].split()[3] != "unlimited"
    assert "NoNewPrivs:\t1" in seen["status"]
    assert b"s3cr3t-value" not in seen["environ"]


# -- the protocol --------------------------------------------------------------------------------


def _worker(server: ForkServer, limits: Limits) -> tuple[int, Channel]:
    ours, theirs = socketpair(AF_UNIX, SOCK_STREAM)
    try:
        pidfd = server.fork(theirs)
    finally:
        theirs.close()
    return pidfd, Channel(ours, max_frame=max_frame(limits.value_bytes))


def test_a_script_worker_still_ends_after_its_one_done(server):
    limits = Limits(timeout_s=10)
    pidfd, channel = _worker(server, limits)
    try:
        channel.send(
            {
                "op": "run",
                "code": to_wire(b"x = 1 return x"),
                "limits": limits.to_dict(),
                "deadline": time.monotonic() + 10,
                "namespace": {},
            }
        )
        done = channel.recv(time.monotonic() + 10)
        assert (done["op"], done["ok"], done["result"]) == ("done", True, 1)
        assert "values" not in done  # a script's done is what it always was
        with pytest.raises(ChannelClosed):  # and the worker is gone
            channel.recv(time.monotonic() + 10)
    finally:
        os.close(pidfd)
        channel.close()


def test_a_session_worker_waits_for_input_after_input(server):
    limits = Limits(timeout_s=10)
    pidfd, channel = _worker(server, limits)
    try:
        channel.send({"op": "session", "limits": limits.to_dict(), "namespace": {}})

        def send(code: bytes) -> dict[str, Any]:
            deadline = time.monotonic() + 10
            channel.send({"op": "input", "code": to_wire(code), "deadline": deadline})
            return channel.recv(deadline)

        done = send(b"x = 20")
        assert (done["op"], done["ok"], done["values"], done["stopped"]) == ("done", True, 0, False)
        done = send(b"x + 1")
        assert (done["result"], done["values"]) == (21, 1)
        done = send(b"function f()")
        assert done["incomplete"] is True and done["ok"] is False
        channel.send({"op": "run"})  # anything but an input ends a session worker
        with pytest.raises(ChannelClosed):
            channel.recv(time.monotonic() + 10)
    finally:
        os.close(pidfd)
        channel.close()


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        pytest.param({"op": "done", "ok": True, "values": "many"}, "worker_lost", id="bad_values"),
        pytest.param({"op": "done"}, "worker_lost", id="no_ok"),
        pytest.param({"op": "exec", "code": "x"}, "worker_lost", id="unknown_op"),
        pytest.param(
            {"op": "done", "ok": False, "error": {"type": "runtime", "message": "m", "line": {}}},
            None,
            id="odd_line",
        ),
    ],
)
def test_the_parent_reads_what_a_worker_sends_as_data_only(done, expected):
    """A fake worker answers an input with ``done``: whatever is in it, converse returns an
    outcome (never raises, never runs anything)."""
    ours, theirs = socketpair(AF_UNIX, SOCK_STREAM)
    parent, fake = Channel(ours, max_frame=MIB), Channel(theirs, max_frame=MIB)

    def fake_worker() -> None:
        fake.recv(time.monotonic() + 10)
        fake.send(done)

    thread = threading.Thread(target=fake_worker)
    thread.start()
    try:
        run = Run(EchoHost(), Limits(timeout_s=10), None, {"app": {}})
        outcome, answered = converse(parent, {"op": "input", "code": "", "deadline": 0}, run)
    finally:
        thread.join()
        parent.close()
        fake.close()
    if expected is None:  # well-formed enough: an outcome, its odd line dropped
        assert answered
        assert outcome.error.type == "runtime" and outcome.error.line is None
    else:
        assert not answered
        assert outcome.error.type == expected
        assert "broke the protocol" in outcome.error.message
