"""The Python API's contract (README, "Python API").

A mistake in the Python call itself (a wrong type or value for a parameter) raises TypeError or
ValueError naming the parameter, what it takes and what was given, before anything runs. What
goes wrong once a run has started is never blamed on the worker, and is the same in both
executors: a host's bug is an ``internal`` error of that call, and an exception from the
caller's ``on_output`` stops the script and is re-raised as it was.
"""

from __future__ import annotations

import json
import os
import threading
import time
from _socket import AF_UNIX, SOCK_STREAM, socketpair
from pathlib import Path
from typing import Any

import pytest

import luagate
from luagate.accounts.store import AccountStore
from luagate.errors import OutputLimitError, UsageError
from luagate.gateway.gateway import Gateway
from luagate.lua.channel import Channel
from luagate.lua.echo_host import EchoHost
from luagate.lua.envelope import CallRecord
from luagate.lua.host import HostReply
from luagate.lua.isolated import Cancel, converse
from luagate.lua.limits import MIB, Limits
from luagate.lua.run import Run


class StubClient:
    """Stands in for a provider client: records what reached it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, function, args, credentials, context):
        self.calls.append((function.full_name, args))
        return {"ok": True}


@pytest.fixture
def stub() -> StubClient:
    return StubClient()


@pytest.fixture
def gateway(tmp_path: Path, stub: StubClient) -> Gateway:
    home = tmp_path / "home"
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    aircall = Gateway(store).provider("aircall")
    store.configure(aircall, "default", set_values={"api_id": "1", "api_token": "tok-123456"})
    return Gateway(store, clients={"aircall": stub}, notify=None)


# -- Gateway.call: the Python call's own parameters -------------------------------------------


@pytest.mark.parametrize(
    ("given", "error", "words"),
    [
        ({"function": 123}, TypeError, "function must be a str"),
        ({"function": None}, TypeError, "function must be a str"),
        ({"account": 123}, TypeError, "account must be a str"),
        ({"timeout": "5"}, TypeError, "timeout must be a number of seconds above 0"),
        ({"timeout": True}, TypeError, "timeout must be a number of seconds above 0"),
        ({"timeout": 0}, ValueError, "timeout must be a number of seconds above 0"),
        ({"timeout": -1.5}, ValueError, "timeout must be a number of seconds above 0"),
        ({"timeout": float("nan")}, ValueError, "timeout must be a number of seconds above 0"),
        ({"timeout": float("inf")}, ValueError, "timeout must be a number of seconds above 0"),
        ({"dry_run": "yes"}, TypeError, "dry_run must be True or False"),
        ({"force": 1}, TypeError, "force must be True or False"),
    ],
)
def test_a_wrong_python_argument_to_call_raises_before_anything_runs(
    gateway: Gateway, stub: StubClient, given: dict[str, Any], error: type, words: str
) -> None:
    call: dict[str, Any] = {"function": "aircall.list_calls", "args": {}, **given}
    with pytest.raises(error) as raised:
        gateway.call(**call)
    message = str(raised.value)
    assert message.startswith("Gateway.call: ") and words in message
    (value,) = given.values()
    assert f"got {value!r} ({type(value).__name__})" in message  # the value given, and its type
    assert stub.calls == []  # nothing was called ...
    assert not os.path.exists(gateway.audit.path)  # ... nor recorded


def test_a_timeout_above_0_is_taken(gateway: Gateway, stub: StubClient) -> None:
    envelope = gateway.call("aircall.list_calls", {}, timeout=5)
    assert envelope["success"], envelope
    assert [name for name, _ in stub.calls] == ["aircall.list_calls"]


def test_args_none_means_no_arguments(gateway: Gateway) -> None:
    envelope = gateway.call("aircall.list_calls", None, dry_run=True)
    assert envelope["success"], envelope
    assert envelope["data"] == gateway.call("aircall.list_calls", {}, dry_run=True)["data"]


@pytest.mark.parametrize("args", [[1], "per_page=5", 5, {"per_page": 51}, {"per_pag": 5}])
def test_the_functions_arguments_stay_a_validation_envelope(gateway: Gateway, args: Any) -> None:
    envelope = gateway.call("aircall.list_calls", args, dry_run=True)
    assert envelope["success"] is False
    assert envelope["error"]["type"] == "validation"


def test_an_unknown_function_name_stays_an_envelope(gateway: Gateway) -> None:
    envelope = gateway.call("aircall.lst_calls")
    assert envelope["error"]["type"] == "unknown_function"


# -- Gateway(): its parameters -----------------------------------------------------------------


def test_a_store_that_is_no_account_store_is_a_type_error() -> None:
    with pytest.raises(TypeError) as raised:
        Gateway(store="/path")  # type: ignore[arg-type]
    message = str(raised.value)
    assert "store must be a luagate.AccountStore" in message
    assert "got '/path' (str)" in message


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"clients": ["aircall"]}, "clients must be a dict"),
        ({"ask": "yes"}, "ask must be a callable or None"),
        ({"notify": 5}, "notify must be a callable or None"),
    ],
)
def test_gateways_other_parameters_are_checked(
    gateway: Gateway, given: dict[str, Any], words: str
) -> None:
    with pytest.raises(TypeError, match=words):
        Gateway(gateway.store, **given)


# -- run_lua: code, limits, flags, on_output, cancel ------------------------------------------


@pytest.mark.parametrize("isolated", [True, False])
def test_code_that_is_no_text_is_a_type_error(gateway: Gateway, isolated: bool) -> None:
    with pytest.raises(TypeError) as raised:
        gateway.run_lua(123, isolated=isolated)  # type: ignore[arg-type]
    assert "code must be the script's text (a str or bytes), got 123 (int)" in str(raised.value)


@pytest.mark.parametrize("isolated", [True, False])
def test_limits_may_be_a_dict(gateway: Gateway, isolated: bool) -> None:
    execution = gateway.run_lua("return 1", limits={"timeout_s": 1}, isolated=isolated)
    assert execution.success and execution.result == 1, execution
    assert execution.limits == Limits(timeout_s=1)
    assert gateway.run_lua(b"return 2", isolated=isolated).result == 2  # bytes are text too


def test_limits_of_another_type_are_a_type_error(gateway: Gateway) -> None:
    with pytest.raises(TypeError) as raised:
        gateway.run_lua("return 1", limits="fast")  # type: ignore[arg-type]
    assert "limits must be a luagate.Limits, a dict of limits" in str(raised.value)
    assert "got 'fast' (str)" in str(raised.value)


@pytest.mark.parametrize("limits", [{"timeout_s": 0}, {"nope": 1}])
def test_a_limit_limits_refuses_is_its_own_usage_error(gateway: Gateway, limits) -> None:
    with pytest.raises(UsageError):
        gateway.run_lua("return 1", limits=limits)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"isolated": "no"}, "isolated must be True or False, got 'no' (str)"),
        ({"force": None}, "force must be True or False, got None (NoneType)"),
        ({"cancel": object()}, "cancel must be a luagate.Cancel or None"),
    ],
)
def test_run_luas_flags_are_checked(gateway: Gateway, given: dict[str, Any], words: str) -> None:
    with pytest.raises(TypeError) as raised:
        gateway.run_lua("return 1", **given)
    assert words in str(raised.value)


def test_module_run_lua_checks_its_host_and_flag() -> None:
    with pytest.raises(TypeError, match=r"host must be an object with namespace\(\) and call"):
        luagate.run_lua("return 1", host=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="isolated must be True or False, got 1"):
        luagate.run_lua("return 1", host=EchoHost(), isolated=1)  # type: ignore[arg-type]


class CountingHost(EchoHost):
    def __init__(self) -> None:
        self.asked: list[str] = []

    def namespace(self):
        self.asked.append("namespace")
        return super().namespace()

    def call(self, path, args, deadline):
        self.asked.append(path)
        return super().call(path, args, deadline)


def test_an_on_output_that_is_not_callable_is_refused_before_anything_runs(any_executor) -> None:
    host = CountingHost()
    with pytest.raises(TypeError) as raised:
        any_executor.run("print(1) app.echo(1)", host, None, 5)
    assert "on_output must be a callable taking the printed text (a str), or None" in str(
        raised.value
    )
    assert "got 5 (int)" in str(raised.value)
    assert host.asked == []


def test_gateway_run_lua_refuses_a_non_callable_on_output(gateway: Gateway) -> None:
    for isolated in (True, False):
        with pytest.raises(TypeError, match="on_output must be a callable"):
            gateway.run_lua("print(1) return 1", on_output=5, isolated=isolated)  # type: ignore


def test_an_exception_from_on_output_stops_the_script_and_is_raised_as_it_was(
    any_executor,
) -> None:
    seen: list[str] = []

    def on_output(text: str) -> None:
        seen.append(text)
        raise ZeroDivisionError("the caller's bug")

    # neither pcall nor a loop keeps the script going once the callback has failed
    code = 'local ok = pcall(print, "a") print("b") while true do end'
    started = time.monotonic()
    with pytest.raises(ZeroDivisionError, match="the caller's bug"):
        any_executor.run(code, EchoHost(), Limits(timeout_s=20), on_output)
    assert time.monotonic() - started < 10
    assert seen == ["a\n"]  # called once, never again after it failed
    # the executor is fine for the next run
    assert any_executor.run('print("x") return 1', EchoHost(), None, seen.append).result == 1


def test_an_output_limit_from_on_output_stops_the_script_as_that_limit(any_executor) -> None:
    def on_output(text: str) -> None:
        raise OutputLimitError("the reader left")

    execution = any_executor.run('print("a") print("b") return 1', EchoHost(), None, on_output)
    assert not execution.success
    assert execution.error.type == "output_limit", execution.error


# -- a host's bug is an internal error of that call, in both executors ------------------------


class DictHost(EchoHost):
    def call(self, path, args, deadline):
        return {"value": args}  # not a HostReply


class SetHost(EchoHost):
    def call(self, path, args, deadline):
        return HostReply({1, 2}, "test")  # no JSON value


def test_a_host_answering_without_a_host_reply_is_an_internal_error(any_executor) -> None:
    execution = any_executor.run(
        "local ok, err = pcall(app.echo, 1) return {ok, error_type(err), err}", DictHost()
    )
    assert execution.success, execution.error
    ok, kind, message = execution.result
    assert (ok, kind) == (False, "internal")
    assert "answered with a dict, not a luagate HostReply" in message
    assert [(c.path, c.ok, c.error) for c in execution.calls] == [("app.echo", False, "internal")]


def test_a_host_answer_no_json_can_carry_is_invalid_value_in_both(any_executor) -> None:
    execution = any_executor.run(
        "local ok, err = pcall(app.echo, 1) return {ok, error_type(err)}", SetHost()
    )
    assert execution.success, execution.error
    assert execution.result == [False, "invalid_value"]


@pytest.mark.parametrize("isolated", [True, False])
def test_a_gateway_script_sees_a_host_bug_as_internal_not_worker_lost(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, isolated: bool
) -> None:
    from luagate.gateway.lua_host import GatewayHost

    monkeypatch.setattr(GatewayHost, "call", lambda self, path, args, deadline: {"x": 1})
    execution = gateway.run_lua(
        "local r = app.integrations.aircall.list_calls({}) return r", isolated=isolated
    )
    assert execution.error is not None and execution.error.type == "internal", execution.error


# -- converse: only what the worker sent is blamed on the worker ------------------------------


def fake_worker_converse(
    messages: list[dict[str, Any] | Any], run: Run
) -> tuple[Any, bool, list[Any]]:
    """Converse with a fake worker that sends ``messages`` in turn (reading the reply after
    each ``call``) and then ends its run; returns the outcome, ``answered`` and the replies."""
    ours, theirs = socketpair(AF_UNIX, SOCK_STREAM)
    parent, fake = Channel(ours, max_frame=MIB), Channel(theirs, max_frame=MIB)
    replies: list[Any] = []

    def worker() -> None:
        try:
            fake.recv(time.monotonic() + 10)
            for message in messages:
                fake.send(message)
                if isinstance(message, dict) and message.get("op") == "call":
                    replies.append(fake.recv(time.monotonic() + 10))
            fake.send({"op": "done", "ok": True, "result": None})
        except Exception:  # the parent stopped listening: that is the test's to check
            pass

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        outcome, answered = converse(parent, {"op": "run", "code": ""}, run)
    finally:
        parent.close()
        thread.join()
        fake.close()
    return outcome, answered, replies


def test_a_failure_on_the_parents_side_is_an_internal_reply_not_the_workers_fault() -> None:
    run = Run(EchoHost(), Limits(timeout_s=10), None)

    def broken(path: str, args: str) -> Any:
        raise AttributeError("a bug on this side")

    run.bridge.call = broken  # type: ignore[method-assign]
    call = {"op": "call", "path": "app.echo", "args": "1"}
    outcome, answered, replies = fake_worker_converse([call], run)
    assert answered and outcome.ok, outcome.error
    assert replies == [
        {
            "ok": False,
            "type": "internal",
            "message": "internal error in luagate (AttributeError)",
            "fatal": False,
        }
    ]


@pytest.mark.parametrize(
    "message",
    [
        pytest.param({"op": "call", "args": "1"}, id="call_without_path"),
        pytest.param({"op": "call", "path": "app.echo", "args": 1}, id="call_args_not_text"),
        pytest.param({"op": "out", "data": 5}, id="out_data_not_text"),
        pytest.param({"op": "out", "data": "\u20ac"}, id="out_data_not_bytes"),
        pytest.param(["op", "out"], id="not_an_object"),
    ],
)
def test_a_malformed_message_from_the_worker_is_still_the_worker_breaking_the_protocol(
    message: Any,
) -> None:
    run = Run(EchoHost(), Limits(timeout_s=10), None)
    outcome, answered, _ = fake_worker_converse([message], run)
    assert not answered
    assert outcome.error.type == "worker_lost"
    assert "broke the protocol" in outcome.error.message


def test_an_on_output_failure_in_converse_is_the_callers_not_the_workers() -> None:
    def on_output(text: str) -> None:
        raise KeyError("the caller's bug")

    run = Run(EchoHost(), Limits(timeout_s=10), on_output)
    outcome, answered, _ = fake_worker_converse([{"op": "out", "data": "hi\n"}], run)
    assert not answered  # the run stops: its worker is killed
    assert outcome.error.type != "worker_lost"
    with pytest.raises(KeyError, match="the caller's bug"):
        run.finish(outcome, "isolated")


# -- what luagate exports, and how its values read --------------------------------------------


def test_the_readmes_python_names_are_importable_from_luagate() -> None:
    from luagate import AccountStore as ExportedStore
    from luagate import Cancel as ExportedCancel
    from luagate import HostReply as ExportedReply

    assert (ExportedStore, ExportedCancel, ExportedReply) == (AccountStore, Cancel, HostReply)
    assert {"AccountStore", "Cancel", "HostReply"} <= set(luagate.__all__)


def test_a_call_record_reads_well() -> None:
    ok = CallRecord("app.echo", True, 1.23456, account="test")
    assert repr(ok) == "CallRecord('app.echo', ok=True, account='test', duration_ms=1.235)"
    failed = CallRecord("app.fail", False, 2.0, error="auth")
    assert repr(failed) == (
        "CallRecord('app.fail', ok=False, error='auth', account=None, duration_ms=2.000)"
    )


def test_the_execution_lists_its_calls_readably(any_executor) -> None:
    execution = any_executor.run("app.echo(1) return 1", EchoHost())
    assert "CallRecord('app.echo', ok=True, account='test'" in repr(execution.calls)
    json.dumps(execution.to_dict())  # still the same JSON-ready envelope
