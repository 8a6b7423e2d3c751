"""Bounds a misbehaving server cannot stretch, over real loopback HTTP: a dripping body, a huge
body, unbelievable waits in 429 and 5xx headers, answers of the wrong shape, a token echoed back,
a retried DELETE, and the Wildix scope after a passing 401."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import Callable

import pytest

from luagate.errors import (
    AuthError,
    NotConfiguredError,
    RateLimitedError,
    UpstreamError,
    UpstreamTimeoutError,
)
from luagate.http import endpoint as endpoint_module
from luagate.http.context import CallContext
from luagate.http.endpoint import Endpoint, RetryPolicy
from luagate.http.ratelimit import RateBudget, shared_budget
from luagate.lua.deadline import Deadline
from luagate.providers.aircall.client import AircallClient
from luagate.providers.aircall.spec import SPEC as AIRCALL
from luagate.providers.wildix import client as wildix_client
from luagate.providers.wildix.client import pbx_origin

Answer = Callable[[socket.socket], None]
"""Writes one whole answer (or misbehaves) on a connection."""


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Answer:
    def write(conn: socket.socket) -> None:
        head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        if "Content-Type" not in (headers or {}):
            head.append("Content-Type: application/json")
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    return write


def as_json(status: int, data: object, headers: dict[str, str] | None = None) -> Answer:
    return answer(status, json.dumps(data).encode(), headers)


class ScriptedServer:
    """A loopback HTTP/1.1 server answering each request with the next scripted answer (the last
    one again when the script runs out), keeping connections alive as httpx expects."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self._converse(conn)
        except OSError:  # the client went away
            return

    def _converse(self, conn: socket.socket) -> None:
        data = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                self.requests.append(head.split(b"\r\n")[0].decode())
                script = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
                script(conn)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server_factory():
    servers: list[ScriptedServer] = []

    def make(*answers: Answer) -> ScriptedServer:
        servers.append(ScriptedServer(*answers))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def endpoint_for(server: ScriptedServer, **options) -> Endpoint:
    options.setdefault("retry", RetryPolicy(retries=0))
    return Endpoint(server.url, provider="Aircall", headers={}, **options)


# -- time and size ---------------------------------------------------------------------------------


def drip(body: bytes, every_s: float) -> Answer:
    def write(conn: socket.socket) -> None:
        conn.sendall(
            f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/json\r\n\r\n".encode()
        )
        for i in range(len(body)):
            conn.sendall(body[i : i + 1])
            time.sleep(every_s)

    return write


def test_a_dripping_body_cannot_hold_a_call_past_its_deadline(server_factory):
    server = server_factory(drip(b'{"calls": [], "meta": {"count": 0}}' + b" " * 300, 0.1))
    context = CallContext(account="a", deadline=Deadline.after(1.0))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeoutError):
        endpoint_for(server).request("GET", "/v1/calls", context)
    # before: each byte came well within the read timeout, so the call took the whole 33.5 s
    assert time.monotonic() - started < 8.0


def test_a_dripping_body_cannot_stretch_the_request_timeout_either(server_factory):
    server = server_factory(drip(b"{}" + b" " * 300, 0.1))
    started = time.monotonic()
    with pytest.raises(UpstreamTimeoutError):
        endpoint_for(server, timeout_s=1.0).request("GET", "/v1/calls", CallContext())
    assert time.monotonic() - started < 8.0  # the whole answer would take 30 s


def test_an_answer_over_the_size_cap_is_refused(server_factory, monkeypatch):
    monkeypatch.setattr(endpoint_module, "MAX_RESPONSE_BYTES", 1024 * 1024)
    server = server_factory(answer(200, b"[" + b"0," * 1_000_000 + b"0]"))
    with pytest.raises(UpstreamError) as e:
        endpoint_for(server).request("GET", "/v1/calls", CallContext())
    assert "more than 1 MiB" in e.value.message


def test_a_whole_answer_in_time_is_read_as_before(server_factory):
    server = server_factory(as_json(200, {"calls": [{"id": 1}], "meta": {"count": 1}}))
    reply = endpoint_for(server).request("GET", "/v1/calls", CallContext())
    assert reply.status == 200 and reply.data == {"calls": [{"id": 1}], "meta": {"count": 1}}


# -- the server's waits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "inf"},
        {"Retry-After": "1e300"},
        {"Retry-After": "nan"},
        {"X-AircallApi-Reset": str(int(time.time() * 1000) + 2000)},  # milliseconds
    ],
)
def test_an_unbelievable_429_wait_does_not_block_the_account(server_factory, headers):
    server = server_factory(as_json(429, {"error": "Too Many Requests"}, headers), as_json(200, {}))
    budget = RateBudget(100, 60.0)
    endpoint = endpoint_for(server, budget=budget, reset_headers=("X-AircallApi-Reset",))
    started = time.monotonic()
    reply = endpoint.request("GET", "/v1/calls", CallContext(deadline=Deadline.after(10)))
    # waited as if no advice was given (1 s back-off, or the 2 s the milliseconds said), then went
    assert reply.status == 200 and time.monotonic() - started < 4.5
    assert budget.held_for() < 3  # nobody else is held for hours
    assert endpoint.request("GET", "/v1/calls", CallContext()).status == 200


def test_a_5xx_asking_for_a_long_pause_fails_at_once_saying_so(server_factory):
    server = server_factory(as_json(503, {"message": "maintenance"}, {"Retry-After": "1e6"}))
    endpoint = endpoint_for(server, retry=RetryPolicy(retries=3))
    started = time.monotonic()
    with pytest.raises(UpstreamError) as e:
        endpoint.request("GET", "/v1/calls", CallContext())  # no deadline at all
    assert time.monotonic() - started < 2.0
    assert "asks to retry after a very long time; not waited" in e.value.message
    assert len(server.requests) == 1


def test_an_infinite_5xx_retry_after_is_an_upstream_error_not_a_crash(server_factory):
    server = server_factory(as_json(503, {"message": "down"}, {"Retry-After": "inf"}))
    with pytest.raises(UpstreamError):
        endpoint_for(server, retry=RetryPolicy(retries=3)).request("GET", "/x", CallContext())


def test_a_short_5xx_retry_after_is_waited_and_said_on_the_progress_line(server_factory):
    server = server_factory(
        as_json(503, {"message": "busy"}, {"Retry-After": "1"}), as_json(200, {"ok": True})
    )
    told: list[str] = []
    context = CallContext(notify=told.append)
    reply = endpoint_for(server, retry=RetryPolicy(retries=3)).request("GET", "/x", context)
    assert reply.data == {"ok": True} and context.retries == 1
    assert any("trying again in 1.0 s" in line for line in told), told


# -- answers of the wrong shape --------------------------------------------------------------------


@pytest.mark.parametrize("body", [b'[{"id": 1}]', b'"hello"', b"42"])
def test_a_success_that_is_not_a_json_object_is_an_upstream_error(server_factory, body):
    server = server_factory(answer(200, body))
    with pytest.raises(UpstreamError) as e:
        endpoint_for(server).request("GET", "/v1/calls", CallContext())
    assert "JSON that is not an object" in e.value.message


def test_json_nested_too_deep_is_an_upstream_error(server_factory):
    server = server_factory(answer(200, b"[" * 100_000 + b"]" * 100_000))
    with pytest.raises(UpstreamError) as e:
        endpoint_for(server).request("GET", "/v1/calls", CallContext())
    assert "not valid JSON" in e.value.message


@pytest.mark.parametrize(
    "data", [{"calls": {"id": 1}, "meta": {}}, {"calls": ["a", 1], "meta": {}}]
)
def test_a_list_shaped_wrongly_inside_is_an_upstream_error_not_internal(server_factory, data):
    server = server_factory(as_json(200, data))
    credentials = {"api_id": "id", "api_token": "tok", "base_url": server.url}
    with pytest.raises(UpstreamError) as e:
        AircallClient().call(
            AIRCALL.function("list_calls"),
            {"per_page": 20, "page": 1, "order": "desc"},
            credentials,
            CallContext(),
        )
    assert "not shaped as Aircall's API documents" in e.value.message


# -- credentials echoed back -----------------------------------------------------------------------


def test_a_token_the_provider_echoes_back_never_reaches_the_message(server_factory):
    token = "SuperSecretTok123"
    server = server_factory(as_json(403, {"message": f"bad key {token} for id"}))
    credentials = {"api_id": "the-id", "api_token": token, "base_url": server.url}
    with pytest.raises(AuthError) as e:
        AircallClient().call(
            AIRCALL.function("get_call"), {"call_id": 1}, credentials, CallContext()
        )
    assert token not in e.value.message and "bad key *** for id" in e.value.message
    basic = base64.b64encode(f"the-id:{token}".encode()).decode()
    assert basic not in e.value.message


# -- a retried DELETE ------------------------------------------------------------------------------


def test_a_retried_delete_that_finds_nothing_is_done(server_factory):
    server = server_factory(as_json(500, {"message": "oops"}), as_json(404, {"error": "gone"}))
    endpoint = endpoint_for(server, retry=RetryPolicy(retries=2, base_s=0.01, cap_s=0.02))
    reply = endpoint.request("DELETE", "/v1/contacts/1/phone_details/2", CallContext())
    assert reply.status == 404 and reply.data is None
    assert len(server.requests) == 2


def test_a_first_delete_that_finds_nothing_is_still_not_found(server_factory):
    server = server_factory(as_json(404, {"error": "Not found"}))
    with pytest.raises(Exception) as e:
        endpoint_for(server).request("DELETE", "/v1/contacts/1", CallContext())
    assert e.value.type == "not_found"


# -- shared budgets --------------------------------------------------------------------------------


def test_two_accounts_with_the_same_credentials_share_one_budget():
    key = f"test:{time.monotonic()}"
    first = shared_budget(key, 4, 5.0)
    assert [first.try_acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    second = shared_budget(key, 5, 5.0)  # the other account's limit: the same budget and log
    assert second is first and (first.limit, first.window_s) == (5, 5.0)
    assert [first.try_acquire() for _ in range(2)] == [0.0, 0.0]
    assert first.try_acquire() > 0  # 5 sent in this window, whichever account sent them


# -- Wildix ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("acme", "https://acme.wildixin.com"),
        ("acme:8443", "https://acme.wildixin.com:8443"),
        ("acme/api/v1", "https://acme.wildixin.com"),
        ("https://pbx.example.com:8443/api/v1/", "https://pbx.example.com:8443"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("localhost:9000", "https://localhost:9000"),
    ],
)
def test_pbx_url_forms(given, origin):
    assert pbx_origin(given) == origin


@pytest.mark.parametrize("given", ["https://acme.wildixin.com/api/v2", "acme/pbx", "acme?x=1"])
def test_a_pbx_url_with_another_path_is_refused_saying_the_form(given):
    with pytest.raises(NotConfiguredError) as e:
        pbx_origin(given)
    assert "has no path" in e.value.message and "https://pbx.example.com:8443" in e.value.message


def test_a_passing_401_sends_the_whole_history_back_soon(monkeypatch):
    from luagate.providers.simulation.serve import serve_in_thread
    from luagate.providers.wildix.sim_data import Pbx
    from luagate.providers.wildix.simulator import WildixSimulator
    from luagate.providers.wildix.spec import SPEC as WILDIX

    monkeypatch.setattr(wildix_client, "USER_SCOPE_AFTER_401_S", 0.3)
    pbx = Pbx("scope", seed=3, admin_tokens=("admin-token",), calls=60)
    simulator = WildixSimulator((pbx,))
    with serve_in_thread(simulator.app) as served:
        client = wildix_client.WildixClient()
        credentials = {"pbx_url": served.url, "access_token": "admin-token"}
        spec = WILDIX.function("list_calls")

        def scope() -> str:
            return client.call(spec, {"limit": 5, "page": 1}, credentials, CallContext())["scope"]

        simulator.faults.inject("error", path="/api/v1/PBX/CallHistory", status=401, times=1)
        assert scope() == "user"  # the refusal made it read the token owner's history
        time.sleep(0.4)
        assert scope() == "pbx"  # a 401 is remembered only briefly
        simulator.faults.inject("error", path="/api/v1/PBX/CallHistory", status=403, times=1)
        assert scope() == "user"
        time.sleep(0.4)
        assert scope() == "user"  # a 403 is remembered for the full time


def test_a_rate_limited_error_still_names_the_wait_when_believable(server_factory):
    server = server_factory(as_json(429, {"error": "slow down"}, {"Retry-After": "50"}))
    with pytest.raises(RateLimitedError) as e:
        endpoint_for(server, budget=RateBudget(100, 60.0)).request(
            "GET", "/v1/calls", CallContext(deadline=Deadline.after(2))
        )
    assert "50.0 s" in e.value.message
