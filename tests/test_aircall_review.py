"""The review's findings on Aircall, over real loopback HTTP against the simulator: junk phone
numbers and emails refused before any request (and by the simulator, as Aircall does); checks
that a dry run shares; writes whose outcome is unknown say they were not re-sent; 429 waits
bounded by the deadline or, without one, by a count and a total; messages that say what happened
once; base URLs checked into a ``not_configured`` error that never shows a password."""

from __future__ import annotations

import re
import time

import httpx
import pytest
from aircall_helpers import make_gateway, requests_to, served, simulator  # noqa: F401 (fixtures)

from luagate.errors import RateLimitedError, UpstreamError, UpstreamTimeoutError, ValidationError
from luagate.http.context import CallContext
from luagate.http.endpoint import MAX_429_WAIT_S, MAX_429_WAITS, Endpoint, RetryPolicy
from luagate.lua.limits import Limits
from luagate.providers.aircall import checks

NOT_RESENT = "(not re-sent: the request may have been carried out)"


@pytest.fixture
def gateway(tmp_path, served, simulator):
    return make_gateway(tmp_path, served[1], extra={"request_timeout": "2"})


@pytest.fixture
def acme(served):
    auth = ("acme-api-id", "acme-api-token")
    with httpx.Client(base_url=served[1], auth=auth, timeout=10) as client:
        yield client


def ok(envelope):
    assert envelope["success"], envelope["error"]
    return envelope["data"]


def failed(envelope, type_):
    assert not envelope["success"], envelope["data"]
    assert envelope["error"]["type"] == type_, envelope["error"]
    return envelope["error"]["message"]


# -- 1. phone numbers and emails ---------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["+33612345678", "+33 6 12 34 56 78", "+1 (212) 555-0123", "+44.20.7946.0958", "+2901234"],
)
def test_international_numbers_pass(value):
    assert checks.is_phone(value)


@pytest.mark.parametrize(
    "value",
    ["abc", "not-a-phone", "0612345678", "0033612345678", "+0612345678", "+33", "+123456",
     "+1234567890123456", "++33612345678", "+33 6 12 34 56 7x", "33+612345678", "", None, 33612],
)  # fmt: skip
def test_other_phone_values_fail(value):
    assert not checks.is_phone(value)


@pytest.mark.parametrize(
    "value", ["jane@example.com", "a.b+tag@sub.example.co.uk", "x@d-e.io", "[email protected]"]
)
def test_addresses_pass(value):
    assert checks.is_email(value)


@pytest.mark.parametrize(
    "value",
    ["nope", "bad@@", "bad@@example.com", "a@b", "@example.com", "a@.example.com", "a b@x.io",
     "a@x..io", ".a@x.io", "a@-x.io", "a@x.123", "[email hidden]", "x[email protected]", "", None],
)  # fmt: skip
def test_other_email_values_fail(value):
    assert not checks.is_email(value)


def test_update_with_a_junk_number_is_refused_before_any_request(gateway, simulator):
    before = [dict(p) for p in simulator.company("acme").contacts[5678]["phone_numbers"]]
    message = failed(
        gateway.call(
            "aircall.update_contact",
            {"contact_id": 5678, "phone_numbers": [{"label": "W", "value": "abc"}]},
        ),
        "validation",
    )
    assert "aircall.update_contact: phone_numbers[1].value must be" in message
    assert "international (E.164)" in message and '"+33612345678"' in message
    assert message.endswith('got "abc"')
    assert len(simulator.log) == 0
    assert simulator.company("acme").contacts[5678]["phone_numbers"] == before  # untouched


@pytest.mark.parametrize(
    ("function", "args", "where", "given"),
    [
        (
            "create_contact",
            {"phone_numbers": [{"label": "Work", "value": "not-a-phone"}]},
            "phone_numbers[1].value",
            "not-a-phone",
        ),
        (
            "create_contact",
            {
                "phone_numbers": [{"label": "Work", "value": "+33611111111"}],
                "emails": [
                    {"label": "Work", "value": "a@b.io"},
                    {"label": "Home", "value": "nope"},
                ],
            },
            "emails[2].value",
            "nope",
        ),
        (
            "update_contact",
            {"contact_id": 5678, "emails": [{"label": "Work", "value": "bad@@"}]},
            "emails[1].value",
            "bad@@",
        ),
        (
            "update_contact",
            {
                "contact_id": 5678,
                "phone_numbers": [
                    {"label": "Work", "value": "+33611111111"},
                    {"label": "Home", "value": "0611111111"},
                ],
            },
            "phone_numbers[2].value",
            "0611111111",
        ),
    ],
)
def test_junk_values_are_refused_naming_the_entry_the_form_and_the_value(
    gateway, simulator, function, args, where, given
):
    before = len(simulator.company("acme").contacts)
    message = failed(gateway.call(f"aircall.{function}", args), "validation")
    assert f"aircall.{function}: {where} must be " in message and f'got "{given}"' in message
    form = checks.EMAIL_FORM if where.startswith("emails") else checks.PHONE_FORM
    assert form in message
    assert len(simulator.log) == 0
    assert len(simulator.company("acme").contacts) == before


def test_blank_labels_are_refused_before_any_request(gateway, simulator):
    message = failed(
        gateway.call(
            "aircall.create_contact",
            {"phone_numbers": [{"label": " ", "value": "+33611111111"}]},
        ),
        "validation",
    )
    assert "phone_numbers[1].label must not be blank" in message
    assert len(simulator.log) == 0


def test_numbers_in_international_form_with_separators_are_sent_as_given(gateway, simulator):
    data = ok(
        gateway.call(
            "aircall.create_contact",
            {
                "first_name": "Grace",
                "phone_numbers": [{"label": "Work", "value": "+1 (212) 555-0123"}],
                "emails": [{"label": "Work", "value": "grace@navy.example"}],
            },
        )
    )
    assert data["contact"]["phone_numbers"][0]["value"] == "+1 (212) 555-0123"
    [post] = requests_to(simulator, "/v1/contacts", "POST")
    assert post.json["phone_numbers"] == [{"label": "Work", "value": "+1 (212) 555-0123"}]


def test_the_simulator_answers_junk_with_aircalls_400(acme, simulator):
    before = len(simulator.company("acme").contacts)
    r = acme.post("/v1/contacts", json={"phone_numbers": [{"label": "W", "value": "abc"}]})
    assert r.status_code == 400 and r.json()["error"] == "Invalid payload"
    assert "'abc' is not a valid phone number" in r.json()["troubleshoot"]
    good = [{"label": "W", "value": "+33611111111"}]
    bad_email = [{"label": "W", "value": "nope"}]
    r = acme.post("/v1/contacts", json={"phone_numbers": good, "emails": bad_email})
    assert r.status_code == 400 and "'nope' is not a valid email" in r.json()["troubleshoot"]
    assert len(simulator.company("acme").contacts) == before  # nothing was created
    r = acme.post("/v1/contacts/5678/email_details", json={"label": "W", "value": "bad@@"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid payload"
    detail = simulator.company("acme").contacts[5678]["phone_numbers"][0]
    r = acme.put(f"/v1/contacts/5678/phone_details/{detail['id']}", json={"value": "12"})
    assert r.status_code == 400 and "not a valid phone number" in r.json()["troubleshoot"]
    assert simulator.company("acme").contacts[5678]["phone_numbers"][0] == detail
    r = acme.put(f"/v1/contacts/5678/phone_details/{detail['id']}", json={"value": "+33 6 00"})
    assert r.status_code == 400
    r = acme.post("/v1/contacts/5678/phone_details", json={"label": "M", "value": "+447700900123"})
    assert r.status_code == 201


def test_the_docs_state_the_rules(gateway):
    for name in ("create_contact", "update_contact"):
        text = gateway.docs.read(f"aircall.{name}")
        assert "international (E.164)" in text and "+33612345678" in text
        assert "before any" in text and "request" in text


# -- 2. checks a dry run shares --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "args", "words"),
    [
        ("create_contact", {"first_name": "", "phone_numbers": [{"label": "W", "value": "+33611111111"}]}, "first_name must not be blank"),  # noqa: E501
        ("update_contact", {"contact_id": 5678, "company_name": "  "}, "company_name must not be blank"),  # noqa: E501
    ],
)  # fmt: skip
def test_blank_text_fails_the_same_in_a_dry_run_and_a_real_call(
    gateway, simulator, function, args, words
):
    dry = failed(gateway.call(f"aircall.{function}", args, dry_run=True), "validation")
    real = failed(gateway.call(f"aircall.{function}", args), "validation")
    assert words in dry and words in real
    assert len(simulator.log) == 0


@pytest.mark.parametrize(
    ("function", "args", "words"),
    [
        ("create_contact", {"first_name": "Nobody"}, "at least one phone number"),
        ("update_contact", {"contact_id": 5678, "phone_numbers": []}, "cannot be empty"),
        ("update_contact", {"contact_id": 5678, "phone_numbers": {}}, "cannot be empty"),
    ],
)
def test_contact_rules_are_checked_before_any_request(gateway, simulator, function, args, words):
    message = failed(gateway.call(f"aircall.{function}", args), "validation")
    assert words in message
    assert len(simulator.log) == 0
    with pytest.raises(ValidationError) as e:  # a dry run's check runs the same rules
        gateway.check(f"aircall.{function}", args)
    assert words in e.value.message


def test_a_dry_run_without_a_phone_number_fails_as_the_real_call_does(gateway):
    args = {"first_name": "Nobody"}
    failed(gateway.call("aircall.create_contact", args, dry_run=True), "validation")


# -- 3. writes whose outcome is unknown ----------------------------------------------------------


CONTACT = {"first_name": "Ada", "phone_numbers": [{"label": "Work", "value": "+33611111111"}]}


@pytest.mark.parametrize(
    ("kind", "status"), [("error", 500), ("error", 503), ("html", 502), ("timeout", 504)]
)
def test_a_post_carried_out_then_answered_5xx_says_it_was_not_resent(
    gateway, simulator, kind, status
):
    before = len(simulator.company("acme").contacts)
    simulator.faults.inject(
        kind,
        times=1,
        path="/v1/contacts",
        method="POST",
        status=status,
        delay_s=0 if kind == "timeout" else None,
        after_handling=True,
        retry_after_s=None,
    )
    message = failed(gateway.call("aircall.create_contact", CONTACT), "upstream")
    assert f"({status}" in message and message.endswith(NOT_RESENT)
    assert len(requests_to(simulator, "/v1/contacts", "POST")) == 1
    assert len(simulator.company("acme").contacts) == before + 1  # it exists, exactly once


def test_a_post_answered_with_a_broken_body_says_it_was_carried_out(gateway, simulator):
    simulator.faults.inject("malformed", path="/v1/contacts", method="POST", after_handling=True)
    message = failed(gateway.call("aircall.create_contact", CONTACT), "upstream")
    assert message.endswith(
        "(not re-sent: the request was carried out, but its answer could not be read)"
    )
    assert len(requests_to(simulator, "/v1/contacts", "POST")) == 1


def test_a_post_step_of_an_update_that_failed_5xx_says_so_and_what_was_done(gateway, simulator):
    # one new number more than 5678 has: all of its own are rewritten in place (PUT), then
    # the last new one is added (POST), which fails
    have = len(simulator.company("acme").contacts[5678]["phone_numbers"])
    simulator.faults.inject(
        "error", path="/v1/contacts/5678/phone_details", method="POST", status=500
    )
    numbers = [{"label": "Home", "value": f"+336222222{i:02d}"} for i in range(have + 1)]
    message = failed(
        gateway.call(
            "aircall.update_contact",
            {"contact_id": 5678, "information": "VIP", "phone_numbers": numbers},
        ),
        "upstream",
    )
    done = ". Already done before this failure: updated information; changed"
    assert NOT_RESENT + done in message
    assert message.count("; changed ") == have
    assert len(requests_to(simulator, "/v1/contacts/5678/phone_details", "POST")) == 1


def test_a_read_that_fails_5xx_is_retried_and_never_says_not_resent(gateway, simulator):
    simulator.faults.inject("error", times=None, path="/v1/calls/12345", status=500)
    message = failed(gateway.call("aircall.get_call", {"call_id": 12345}), "upstream")
    assert "not re-sent" not in message
    assert re.search(r"\(4 attempts, \d+\.\d s in all\)$", message), message
    assert len(requests_to(simulator, "/v1/calls/12345")) == 4


# -- 4. 429 waits are bounded ----------------------------------------------------------------------


def test_without_a_deadline_a_wait_beyond_the_total_fails_at_once(gateway, simulator):
    # (globex: this 429 holds its company's budget for 300 s, so that no other test may use it)
    simulator.faults.inject("rate_limit", times=None, path="/v1/numbers", retry_after_s=300)
    started = time.monotonic()
    message = failed(gateway.call("aircall.list_numbers", account="globex"), "rate_limited")
    assert time.monotonic() - started < 10  # not 300 s, nor 9 x 300 s
    assert "the wait still required is 300.0 s" in message
    assert f"at most {MAX_429_WAIT_S:g} s in all" in message
    assert len(requests_to(simulator, "/v1/numbers")) == 1
    # the next call on that budget respects the server's reset: it fails at once as well
    simulator.faults.clear()
    message = failed(gateway.call("aircall.list_numbers", account="globex"), "rate_limited")
    assert message.startswith("Aircall (account 'globex'): requests are on hold after the server")
    still = float(re.search(r"the wait still required is (\d+\.\d) s", message).group(1))
    assert 280 < still <= 300
    assert len(requests_to(simulator, "/v1/numbers")) == 1


def test_without_a_deadline_at_most_a_few_429s_in_a_row_are_waited_out(gateway, simulator):
    simulator.faults.inject("rate_limit", times=None, path="/v1/calls/12345", retry_after_s=0.5)
    envelope = gateway.call("aircall.get_call", {"call_id": 12345})
    message = failed(envelope, "rate_limited")
    assert f"{MAX_429_WAITS + 1} times in a row" in message
    assert "the wait still required is 1.0 s" in message  # the server's Retry-After: 1
    assert len(requests_to(simulator, "/v1/calls/12345")) == MAX_429_WAITS + 1
    assert MAX_429_WAITS == 3 and MAX_429_WAIT_S == 120  # as the README documents


def test_the_total_wait_without_a_deadline_is_counted_across_waits(served, simulator):
    endpoint = Endpoint(
        served[1],
        provider="Aircall",
        headers={"Authorization": "Bearer acme-oauth-token"},
        max_rate_wait_s=1.5,
    )
    simulator.faults.inject("rate_limit", times=None, path="/v1/numbers", retry_after_s=1)
    context = CallContext(account="sales")
    started = time.monotonic()
    with pytest.raises(RateLimitedError) as e:
        endpoint.request("GET", "/v1/numbers", context)
    assert 1.0 <= time.monotonic() - started < 4  # one wait of 1 s; the second would pass 1.5 s
    assert "the wait still required is 1.0 s, after 1.0 s already spent" in e.value.message
    assert len(requests_to(simulator, "/v1/numbers")) == 2
    assert context.rate_limited_ms >= 1000


def test_with_a_deadline_a_wait_past_it_fails_at_once(gateway, simulator):
    simulator.faults.inject("rate_limit", times=None, path="/v1/numbers", retry_after_s=60)
    started = time.monotonic()
    execution = gateway.run_lua(  # (oauth: this 429 holds its budget for 60 s)
        "return app.integrations.aircall.oauth.list_numbers({})", limits=Limits(timeout_s=8)
    )
    assert time.monotonic() - started < 6
    assert not execution.success and execution.error.type == "rate_limited"
    message = execution.error.message
    assert "the wait still required is 60.0 s, but the call has only" in message
    left = float(re.search(r"only (\d+\.\d) s left before its deadline", message).group(1))
    assert 0 < left <= 8


def test_single_429s_are_still_waited_out(gateway, simulator):
    simulator.faults.inject("rate_limit", times=2, path="/v1/numbers", retry_after_s=0.2)
    envelope = gateway.call("aircall.list_numbers")
    assert ok(envelope)["numbers"]
    assert envelope["meta"]["rate_limited_ms"] >= 2000  # Retry-After: 1, twice


# -- 5. messages -----------------------------------------------------------------------------------


def test_a_timeout_after_retries_says_how_many_attempts_and_how_long(served, simulator):
    simulator.faults.inject("timeout", times=None, path="/v1/calls", delay_s=5)
    endpoint = Endpoint(
        served[1],
        provider="Aircall",
        headers={"Authorization": "Bearer acme-oauth-token"},
        timeout_s=0.3,
        retry=RetryPolicy(retries=2, base_s=0.01, cap_s=0.02),
    )
    started = time.monotonic()
    with pytest.raises(UpstreamTimeoutError) as e:
        endpoint.request("GET", "/v1/calls/12345", CallContext())
    elapsed = time.monotonic() - started
    found = re.search(r"within 0\.3 s \(3 attempts, (\d+\.\d) s in all\)$", e.value.message)
    assert found, e.value.message
    # three attempts of at least 0.3 s each, all inside what the caller saw
    assert 3 * 0.3 <= float(found.group(1)) <= elapsed + 0.05


def test_malformed_json_is_described_once(served, simulator):
    simulator.faults.inject("malformed", times=None, path="/v1/calls")
    endpoint = Endpoint(
        served[1],
        provider="Aircall",
        headers={"Authorization": "Bearer acme-oauth-token"},
        retry=RetryPolicy(retries=0),
    )
    with pytest.raises(UpstreamError) as e:
        endpoint.request("GET", "/v1/calls/12345", CallContext())
    message = e.value.message
    assert message.count("JSON") == 1 and "(a response" not in message
    assert re.search(r"with a body that is not valid JSON: \{\"data\": \[\{\"id\": 1", message)


# -- 6. base URLs ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown", "why"),
    [
        ("http://user:pw-9f3k2@127.0.0.1:1", "'http://user:***@127.0.0.1:1'", "credentials"),
        ("not-a-url", "'not-a-url'", "no scheme"),
        ("http://127.0.0.1:99999", "'http://127.0.0.1:99999'", "invalid port"),
    ],
)
def test_a_bad_base_url_is_not_configured_naming_the_field_and_never_the_password(
    tmp_path, url, shown, why
):
    gateway = make_gateway(tmp_path, url)
    message = failed(gateway.call("aircall.list_numbers"), "not_configured")
    assert message.startswith("aircall account 'default': field base_url ")
    assert why in message and "http(s)://host[:port]" in message and f"got {shown}" in message
    assert "pw-9f3k2" not in message
