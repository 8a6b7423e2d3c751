"""The shared HTTP layer on its own: rate budgets, rate parsing, error mapping, dates, and an
endpoint against a port where nothing listens (real loopback: the connection is refused)."""

from __future__ import annotations

import re
import socket
import threading
import time

import httpx
import pytest

from luagate.catalog.dates import parse_instant
from luagate.errors import (
    AuthError,
    NetworkError,
    NotConfiguredError,
    NotFoundError,
    RejectedError,
    UpstreamError,
    UsageError,
    ValidationError,
)
from luagate.http.account_settings import check_base_url, masked_url
from luagate.http.context import CallContext
from luagate.http.endpoint import Endpoint, RetryPolicy
from luagate.http.error_mapping import error_for_status, provider_words
from luagate.http.ratelimit import RateBudget, parse_rate


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- rate budgets ----------------------------------------------------------------------------------


def test_budget_allows_the_limit_then_says_how_long_to_wait():
    clock = FakeClock()
    budget = RateBudget(3, 1.0, clock=clock)
    assert [budget.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = budget.try_acquire()
    assert 1.0 < wait <= 1.03  # the window plus a small margin
    clock.now += wait
    assert budget.try_acquire() == 0.0


def test_budget_never_sends_more_than_the_limit_in_any_window():
    clock = FakeClock()
    budget = RateBudget(5, 2.0, clock=clock)
    sent = []
    while len(sent) < 40:
        wait = budget.try_acquire()
        if wait == 0:
            sent.append(clock.now)
        else:
            clock.now += wait
    for i, start in enumerate(sent):
        in_window = [t for t in sent[i:] if t < start + 2.0]
        assert len(in_window) <= 5
    # and it does not dawdle: 40 requests at 5 per 2 s take about 7 windows
    assert sent[-1] - sent[0] < 7 * 2.0 * 1.03 + 0.01


def test_budget_hold_pauses_everyone_until_the_reset():
    clock = FakeClock()
    budget = RateBudget(100, 60.0, clock=clock)
    budget.hold_until(clock.now + 5)
    assert budget.try_acquire() == pytest.approx(5)
    clock.now += 5
    assert budget.try_acquire() == 0.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120", (120, 60.0)),
        ("120/min", (120, 60.0)),
        ("120/60s", (120, 60.0)),
        ("120/60", (120, 60.0)),
        ("120/s", (120, 1.0)),
        ("2/10s", (2, 10.0)),
        ("60/minute", (60, 60.0)),
    ],
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


@pytest.mark.parametrize("text", ["", "fast", "0/min", "-1/s", "120/0"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(UsageError) as e:
        parse_rate(text)
    assert repr(text) in e.value.message


# -- error mapping ---------------------------------------------------------------------------------


def response(status: int, body: bytes, kind: str = "application/json") -> httpx.Response:
    request = httpx.Request("GET", "https://api.example.com/v1/calls/7?x=1")
    return httpx.Response(status, content=body, headers={"content-type": kind}, request=request)


def test_provider_words_from_json_fields():
    r = response(400, b'{"error": "Invalid payload", "troubleshoot": "per_page must be <= 50"}')
    assert provider_words(r) == "Invalid payload: per_page must be <= 50"
    assert provider_words(response(403, b'{"message": "Forbidden"}')) == "Forbidden"
    assert provider_words(response(404, b'{"type": "error", "reason": "No such call"}')) == (
        "No such call"
    )


def test_html_pages_are_summarised_not_dumped():
    page = b"<html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000 + b"</body>"
    words = provider_words(response(502, page, "text/html"))
    assert words == "an HTML error page titled '502 Bad Gateway'"


def test_long_bodies_are_cut():
    words = provider_words(response(500, b'{"error": "' + b"e" * 2000 + b'"}'))
    assert len(words) <= 300 and words.endswith("...")


@pytest.mark.parametrize(
    ("status", "kind", "type_"),
    [
        (401, AuthError, "auth"),
        (403, AuthError, "auth"),
        (404, NotFoundError, "not_found"),
        (400, RejectedError, "validation"),
        (422, RejectedError, "validation"),
        (500, UpstreamError, "upstream"),
        (503, UpstreamError, "upstream"),
        (405, UpstreamError, "upstream"),
    ],
)
def test_statuses_map_to_typed_errors(status, kind, type_):
    error = error_for_status(
        response(status, b'{"error": "Nope"}'), provider="Aircall", account="sales"
    )
    assert isinstance(error, kind) and error.type == type_ and error.status == status
    assert "Aircall (account 'sales')" in error.message and "Nope" in error.message
    assert "x=1" not in error.message  # the query (which may hold ids or tokens) is not quoted


# -- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unix"),
    [
        ("2026-01-01T00:00:00Z", 1767225600),
        ("2026-01-01T01:00:00+01:00", 1767225600),
        ("2026-01-01T00:00:00", 1767225600),
        ("2026-01-01", 1767225600),
        (1767225600, 1767225600),
        ("1767225600", 1767225600),
    ],
)
def test_instants(value, unix):
    assert parse_instant(value, where="f", name="from").timestamp() == unix


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", True, 1767225600000, [1]])
def test_bad_instants_name_the_parameter_and_the_value(value):
    with pytest.raises(ValidationError) as e:
        parse_instant(value, where="aircall.list_calls", name="from")
    assert "aircall.list_calls: from" in e.value.message


# -- an endpoint against a closed port -------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_refused_connections_are_retried_then_reported(method):
    # a refused connection never reached the server, so even a POST may be tried again
    endpoint = Endpoint(
        f"http://127.0.0.1:{closed_port()}",
        provider="Aircall",
        headers={"Authorization": "Basic c2VjcmV0OnNlY3JldA=="},
        retry=RetryPolicy(retries=2, base_s=0.01, cap_s=0.02),
    )
    context = CallContext(account="sales")
    with pytest.raises(NetworkError) as e:
        endpoint.request(method, "/v1/calls", context, json_body={} if method == "POST" else None)
    assert context.requests == 3 and context.retries == 2
    assert "could not complete" in e.value.message and "c2VjcmV0" not in e.value.message


def test_a_deadline_stops_retries():
    class Deadline:
        def __init__(self, seconds: float) -> None:
            self.at = time.monotonic() + seconds

        def remaining(self) -> float:
            return self.at - time.monotonic()

    endpoint = Endpoint(
        f"http://127.0.0.1:{closed_port()}",
        provider="Aircall",
        headers={},
        retry=RetryPolicy(retries=50, base_s=2.0, cap_s=2.0),
    )
    context = CallContext(deadline=Deadline(0.8))
    started = time.monotonic()
    with pytest.raises(NetworkError):  # the cause, even when the clock ran out before a retry
        endpoint.request("GET", "/v1/calls", context)
    # a backoff of 2 s would pass 2 s; the margin is for a busy machine's stalls
    assert time.monotonic() - started < 1.9


class DroppingServer:
    """A loopback server that reads each whole request, then closes the connection without a
    word: the request arrived (it may have been carried out), the answer never came."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    body += chunk
                self.received.append(head.split(b"\r\n")[0])

    def close(self) -> None:
        self.sock.close()


def test_a_post_whose_connection_dropped_after_sending_is_not_resent_and_says_so():
    server = DroppingServer()
    try:
        endpoint = Endpoint(
            server.url,
            provider="Aircall",
            headers={},
            retry=RetryPolicy(retries=3, base_s=0.01, cap_s=0.02),
        )
        context = CallContext(account="sales")
        with pytest.raises(NetworkError) as e:
            endpoint.request("POST", "/v1/contacts", context, json_body={"first_name": "A"})
        assert server.received == [b"POST /v1/contacts HTTP/1.1"]  # sent once, never again
        assert context.requests == 1 and context.retries == 0
        assert e.value.message.endswith("(not re-sent: the request may have been carried out)")
        # the same failure on a GET is simply tried again, and the error says how many times
        server.received.clear()
        with pytest.raises(NetworkError) as e:
            endpoint.request("GET", "/v1/calls", context)
        assert len(server.received) == 4
        assert "not re-sent" not in e.value.message
        assert re.search(r"\(4 attempts, \d+\.\d s in all\)$", e.value.message), e.value.message
    finally:
        server.close()


def test_a_base_url_with_credentials_is_refused_as_not_configured():
    with pytest.raises(NotConfiguredError) as e:
        Endpoint("https://id:s3cret-token@api.aircall.io", provider="Aircall", headers={})
    assert "base_url" in e.value.message and "credentials" in e.value.message
    assert "s3cret-token" not in e.value.message and "id:***@api.aircall.io" in e.value.message


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("http://user:pw-XYZ@127.0.0.1:1", "must not carry credentials"),
        ("https://tok-XYZ@api.example.com/v1", "must not carry credentials"),
        ("http://u:p/w-XYZ@host", "must not carry credentials"),  # a password holding a slash
        ("not-a-url", "no scheme"),
        ("127.0.0.1:8080", "no scheme"),
        ("ftp://files.example.com", "must use http or https"),
        ("http://", "no valid host"),
        ("http://-bad-.example.com", "no valid host"),
        ("http://host:99999", "invalid port"),
        ("http://host:0", "invalid port"),
        ("http://host:", "invalid port"),
        ("http://host:80:81", "invalid host or port"),
        ("http://host?token=1", "query"),
        ("http://ho st", "spaces"),
        ("", "is empty"),
    ],
)
def test_bad_base_urls_are_refused_saying_the_field_the_form_and_the_value(text, why):
    with pytest.raises(NotConfiguredError) as e:
        check_base_url("aircall", text, account="sales")
    message = e.value.message
    assert message.startswith("aircall account 'sales': field base_url ")
    assert why in message and "http(s)://host[:port]" in message
    assert "XYZ" not in message  # never the password (or a lone token)
    assert f"got {masked_url(text)!r}" in message
    if "@" not in text:
        assert f"got {text!r}" in message  # a value without credentials is shown as given


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("https://api.aircall.io/", "https://api.aircall.io"),
        ("  http://127.0.0.1:8080 ", "http://127.0.0.1:8080"),
        ("HTTP://[::1]:8080/prefix/", "http://[::1]:8080/prefix"),
        ("http://my_service:80", "http://my_service:80"),
        ("embedded://aircall", "embedded://aircall"),
    ],
)
def test_good_base_urls_pass_normalised(text, url):
    assert check_base_url("aircall", text) == url


def test_an_embedded_url_is_refused_where_it_cannot_be_served():
    with pytest.raises(NotConfiguredError):
        check_base_url("aircall", "embedded://aircall", allow_embedded=False)


def test_masked_url_hides_the_password_only():
    assert masked_url("http://ann:pw@h:1/x") == "http://ann:***@h:1/x"
    assert masked_url("https://token@h") == "https://***@h"
    assert masked_url("https://h/x") == "https://h/x"


# -- filtered paging (pure: the scan's bound needs more records than the simulator's companies) --


def test_a_scan_that_cannot_fill_the_page_fails_and_says_how_to_narrow():
    from luagate.providers.aircall.paging import MAX_SCAN_PAGES, filtered_page

    pages = []

    def fetch(page: int) -> dict:
        pages.append(page)
        records = [{"id": page * 100 + i, "n": i % 25} for i in range(50)]
        return {"calls": records, "meta": {"next_page_link": "next"}}

    keep = lambda r: r["n"] == 0  # noqa: E731  (two matches per page of 50)
    first = filtered_page(
        fetch, "calls", keep, page=2, per_page=5, filtered_by="number_id", where="f"
    )
    assert [c["id"] for c in first["calls"]] == [325, 400, 425, 500, 525]
    assert first["meta"]["has_more"] and first["meta"]["total"] is None
    pages.clear()
    with pytest.raises(ValidationError) as e:
        filtered_page(fetch, "calls", keep, page=30, per_page=5, filtered_by="number_id", where="f")
    assert len(pages) == MAX_SCAN_PAGES
    assert "number_id" in e.value.message and "Narrow" in e.value.message


# -- credentials that cannot be sent, and transport errors, never show a secret --------------------

SECRET = "SUPERSECRETTOKEN_zq81"


@pytest.mark.parametrize(
    "token", [f"{SECRET}\r", f"{SECRET} ", f"{SECRET}\nX-Evil: 1", f"{SECRET}é", ""]
)
def test_a_credential_no_header_can_carry_is_refused_by_name_not_by_value(token):
    with pytest.raises(NotConfiguredError) as e:
        Endpoint(
            "https://api.aircall.io",
            provider="Aircall",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert "Authorization header" in e.value.message
    assert "luagate configure aircall" in e.value.message
    assert SECRET not in e.value.message


def test_a_sendable_credential_with_inner_spaces_is_kept():
    endpoint = Endpoint(
        "https://api.aircall.io", provider="Aircall", headers={"Authorization": f"Bearer {SECRET}"}
    )
    assert endpoint.headers == {"Authorization": f"Bearer {SECRET}"}


def test_a_transport_error_that_quotes_a_header_is_redacted():
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError(f"lost while sending {request.headers['Authorization']!r}")

    endpoint = Endpoint(
        "https://api.aircall.io",
        provider="Aircall",
        headers={"Authorization": f"Bearer {SECRET}"},
        transport=httpx.MockTransport(fail),
        retry=RetryPolicy(retries=0),
    )
    with pytest.raises(NetworkError) as e:
        endpoint.request("GET", "/v1/calls", CallContext(account="sales"))
    assert "ReadError" in e.value.message and "***" in e.value.message
    assert SECRET not in e.value.message
