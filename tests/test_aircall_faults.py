"""Aircall under stress, over real loopback HTTP: every injected fault ends in a success after a
safe retry or in a typed, readable error; writes are never duplicated; the rate limit is kept
before sending and honoured after a 429; no secret appears anywhere."""

from __future__ import annotations

import json
import time

import pytest
from aircall_helpers import (  # noqa: F401 (served, simulator: fixtures)
    make_gateway,
    requests_to,
    served,
    simulator,
    start_simulator,
)

from luagate.cli import main


@pytest.fixture
def notices():
    return []


@pytest.fixture
def gateway(tmp_path, served, simulator, notices):
    return make_gateway(tmp_path, served[1], notices=notices, extra={"request_timeout": "2"})


def ok(envelope):
    assert envelope["success"], envelope["error"]
    return envelope["data"]


# -- reads: retried safely -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "extra"),
    [("error", {"status": 500}), ("error", {"status": 503}), ("html", {}), ("malformed", {})],
)
def test_a_read_survives_passing_failures(gateway, simulator, kind, extra):
    simulator.faults.inject(kind, times=2, path="/v1/calls", **extra)
    envelope = gateway.call("aircall.get_call", {"call_id": 12345})
    assert ok(envelope)["call"]["id"] == 12345
    assert envelope["meta"]["retries"] == 2 and envelope["meta"]["requests"] == 3
    statuses = [r.status for r in requests_to(simulator, "/v1/calls/12345")]
    assert len(statuses) == 3 and statuses[-1] == 200
    if kind != "malformed":  # a malformed answer is a 200 with a broken body
        assert statuses[:2] == [extra.get("status", 502)] * 2


def test_a_read_that_keeps_failing_is_a_typed_readable_error(gateway, simulator):
    simulator.faults.inject("html", times=None, path="/v1/calls")
    e = gateway.call("aircall.get_call", {"call_id": 12345})
    assert e["error"]["type"] == "upstream"
    message = e["error"]["message"]
    assert "502" in message and "HTML error page titled" in message and "<" not in message
    assert len(requests_to(simulator, "/v1/calls/12345")) == 4  # 1 + 3 retries
    simulator.faults.clear()
    assert ok(gateway.call("aircall.get_call", {"call_id": 12345}))  # and the server is fine


def test_malformed_json_that_persists_is_an_upstream_error(gateway, simulator):
    simulator.faults.inject("malformed", times=None, path="/v2/users")
    e = gateway.call("aircall.list_users")
    assert e["error"]["type"] == "upstream" and "not valid JSON" in e["error"]["message"]


def test_a_slow_answer_past_the_request_timeout_is_a_timeout(gateway, simulator):
    simulator.faults.inject("timeout", times=None, path="/v1/numbers", delay_s=5)
    started = time.monotonic()
    e = gateway.call("aircall.list_numbers")
    assert e["error"]["type"] == "timeout" and "within 2.0 s" in e["error"]["message"]
    assert time.monotonic() - started < 2 * 4 + 6  # 4 attempts of 2 s, plus backoff


def test_latency_only_slows_things_down(gateway, simulator):
    simulator.faults.inject("latency", times=1, path="/v1/numbers", delay_s=0.3)
    started = time.monotonic()
    assert ok(gateway.call("aircall.list_numbers"))["numbers"]
    assert time.monotonic() - started >= 0.3


def test_a_script_deadline_bounds_a_slow_call(gateway, simulator):
    from luagate.lua.limits import Limits

    simulator.faults.inject("timeout", times=None, path="/v1/calls", delay_s=10)
    started = time.monotonic()
    execution = gateway.run_lua(
        "return app.integrations.aircall.get_call({call_id = 12345})", limits=Limits(timeout_s=1)
    )
    assert not execution.success and execution.error.type in ("timeout",)
    assert time.monotonic() - started < 2.5


# -- writes: never duplicated ----------------------------------------------------------------------

CONTACT = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "phone_numbers": [{"label": "Work", "value": "+33611111111"}],
}


@pytest.mark.parametrize("kind", ["error", "html", "malformed"])
def test_a_create_that_reached_the_server_is_never_sent_again(gateway, simulator, kind):
    before = len(simulator.company("acme").contacts)
    simulator.faults.inject(kind, times=1, path="/v1/contacts", method="POST", after_handling=True)
    e = gateway.call("aircall.create_contact", CONTACT)
    assert not e["success"] and e["error"]["type"] == "upstream"
    assert "(not re-sent: the request " in e["error"]["message"]  # so nobody blindly retries
    assert len(requests_to(simulator, "/v1/contacts", "POST")) == 1
    assert len(simulator.company("acme").contacts) == before + 1  # it exists, exactly once


def test_a_create_whose_answer_timed_out_is_not_resent(gateway, simulator):
    simulator.faults.inject("timeout", times=1, path="/v1/contacts", method="POST", delay_s=4)
    e = gateway.call("aircall.create_contact", CONTACT)
    assert e["error"]["type"] == "timeout" and "not re-sent" in e["error"]["message"]
    assert len(requests_to(simulator, "/v1/contacts", "POST")) == 1


def test_a_create_refused_with_429_is_sent_again(gateway, simulator):
    before = len(simulator.company("acme").contacts)
    simulator.faults.inject("rate_limit", times=1, path="/v1/contacts", retry_after_s=0.2)
    data = ok(gateway.call("aircall.create_contact", CONTACT))
    assert data["contact"]["first_name"] == "Ada"
    assert [r.status for r in requests_to(simulator, "/v1/contacts", "POST")] == [429, 201]
    assert len(simulator.company("acme").contacts) == before + 1


def test_a_failed_update_step_says_what_was_already_done(gateway, simulator):
    simulator.faults.inject("error", times=None, path="/v1/contacts/5678/phone_details", status=500)
    e = gateway.call(
        "aircall.update_contact",
        {
            "contact_id": 5678,
            "information": "VIP",
            "phone_numbers": [{"label": "Home", "value": "+33622222222"}],
        },
    )
    assert e["error"]["type"] == "upstream"
    assert "Already done before this failure: updated information" in e["error"]["message"]
    # the first step on the numbers (rewriting one in place: a PUT, so retried) failed, and
    # nothing came after it
    steps = [r for r in simulator.log.records if "/phone_details" in r.path]
    assert steps and {(r.method, r.path, r.status) for r in steps} == {("PUT", steps[0].path, 500)}


def test_a_failure_after_some_steps_lists_them(gateway, simulator):
    simulator.faults.inject(
        "error", times=None, path="/v1/contacts/5678/phone_details", method="DELETE", status=500
    )
    e = gateway.call(
        "aircall.update_contact",
        {"contact_id": 5678, "phone_numbers": [{"label": "Home", "value": "+33622222222"}]},
    )
    assert e["error"]["type"] == "upstream"
    assert "Already done before this failure: changed +" in e["error"]["message"]
    assert " to +33622222222" in e["error"]["message"]


# -- rate limits -----------------------------------------------------------------------------------


def test_a_429_storm_is_waited_out(gateway, simulator):
    simulator.faults.inject("rate_limit", times=3, path="/v1/calls", retry_after_s=0.2)
    envelope = gateway.call("aircall.get_call", {"call_id": 12345})
    assert ok(envelope)["call"]["id"] == 12345
    assert envelope["meta"]["rate_limited_ms"] >= 600
    assert envelope["meta"]["retries"] == 0  # waiting for a reset is not a retry


def test_an_endless_429_storm_ends_in_a_rate_limited_error(gateway, simulator):
    simulator.faults.inject("rate_limit", times=None, path="/v1/calls", retry_after_s=0.05)
    e = gateway.call("aircall.get_call", {"call_id": 12345})
    assert e["error"]["type"] == "rate_limited" and "429" in e["error"]["message"]


@pytest.fixture(scope="module")
def limited():
    # 6 requests per 2 s, so that a dozen calls must wait for the next window
    simulator, server = start_simulator(rate_limit=6, rate_window_s=2)
    yield simulator, server.url
    server.stop()


def test_the_budget_is_kept_before_sending(tmp_path, limited, notices):
    simulator, url = limited
    gateway = make_gateway(tmp_path, url, rate_limit="6/2s", notices=notices)
    started = time.monotonic()
    execution = gateway.run_lua(
        """
        for i = 1, 14 do app.integrations.aircall.get_call({ call_id = 12345 }) end
        """
    )
    elapsed = time.monotonic() - started
    assert execution.success, execution.error
    statuses = [r.status for r in simulator.log.records]
    assert statuses == [200] * 14  # never a 429: the client waited for its budget
    assert elapsed >= 4.0  # 14 requests at 6 per 2 s need two more windows
    waited = execution.to_dict()["meta"]["rate_limited_ms"]
    assert 1000 <= waited <= elapsed * 1000  # held back before sending, and said so
    assert any("rate limit reached" in n and "waiting" in n for n in notices)


def test_the_servers_429_is_honoured_when_the_budget_is_set_too_high(tmp_path, limited):
    simulator, url = limited
    time.sleep(2 - time.time() % 2 + 0.05)  # the start of a server window (aligned to the clock)
    simulator.log.clear()
    gateway = make_gateway(tmp_path, url, rate_limit="1000/2s")
    execution = gateway.run_lua(
        "for i = 1, 10 do app.integrations.aircall.get_call({ call_id = 12345 }) end"
    )
    assert execution.success, execution.error  # zero failed calls
    statuses = [r.status for r in simulator.log.records]
    assert statuses.count(200) == 10 and 429 in statuses
    limited_ = next(r for r in simulator.log.records if r.status == 429)
    assert limited_.company == "acme"


# -- no secret anywhere ----------------------------------------------------------------------------


def test_no_secret_in_cli_output_or_the_audit_log(tmp_path, served, simulator, monkeypatch, capsys):
    import io

    url = served[1]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    home = tmp_path / "home"
    monkeypatch.setenv("LUAGATE_HOME", str(home))
    monkeypatch.setenv("AIRCALL_TOKEN_UNDER_TEST", "acme-api-token")
    configure = ["configure", "aircall", "--set", "api_id=acme-api-id"]
    configure += ["--set", "api_token=env:AIRCALL_TOKEN_UNDER_TEST", "--set", f"base_url={url}"]
    assert main(configure) == 0
    simulator.faults.inject("error", times=None, path="/v1/calls", status=500)
    outputs = []
    for argv in (
        ["call", "aircall.get_call", "--call-id", "12345", "--json"],
        ["call", "aircall.get_call", "--call-id", "12345"],
        ["lua", "--in-process", "-e", "return app.integrations.aircall.get_call({call_id=1})"],
        ["lua", "--json", "-e", "return app.integrations.aircall.list_users({})"],
    ):
        main(argv)
        captured = capsys.readouterr()
        outputs.append(captured.out + captured.err)
    audit = (home / "audit.log").read_text()
    everything = "\n".join(outputs) + audit
    assert "upstream" in everything and "auth" not in json.dumps(outputs[0])
    for secret in ("acme-api-token", "YWNtZS1hcGktaWQ6YWNtZS1hcGktdG9rZW4"):  # and its Basic form
        assert secret not in everything


def test_the_cli_shows_a_long_wait_on_stderr_and_in_the_envelope(
    tmp_path, served, simulator, monkeypatch, capsys
):
    import io

    url = served[1]
    monkeypatch.setenv("LUAGATE_HOME", str(tmp_path / "home"))
    configure = ["configure", "aircall", "--set", "api_id=acme-api-id", "--set", f"base_url={url}"]
    monkeypatch.setattr("sys.stdin", io.StringIO('{"api_token": "acme-api-token"}'))
    assert main([*configure, "--stdin-json"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    simulator.faults.inject("rate_limit", times=1, path="/v1/calls/12345", retry_after_s=1.2)
    assert main(["call", "aircall.get_call", "--call-id", "12345", "--json"]) == 0
    captured = capsys.readouterr()
    envelope = json.loads(captured.out)
    assert envelope["success"] and envelope["meta"]["rate_limited_ms"] >= 1000
    assert "rate limit reached" in captured.err and "waiting" in captured.err
