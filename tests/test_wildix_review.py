"""Review fixes for Wildix, over real loopback HTTP: ids never reach another route, blank and bare
ids, the result shapes a PBX cannot bend, dates with a time-zone offset, the cap on ``limit``."""

from __future__ import annotations

import datetime as dt
import http.client

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from luagate.accounts.store import AccountStore
from luagate.catalog.docs import Docs
from luagate.errors import NotFoundError, ValidationError
from luagate.gateway.gateway import Gateway
from luagate.providers.registry import provider_specs
from luagate.providers.simulation.serve import serve_in_thread
from luagate.providers.wildix import client as wildix_client
from luagate.providers.wildix.simulator import WildixSimulator

ANCHOR = dt.date(2026, 11, 20)
ADMIN = {"Authorization": "Bearer acme-admin-token"}
NOT_FOUND = {"type": "error", "reason": "Not Found", "result": None}


class RawPaths:
    """An ASGI wrapper that keeps each request's path exactly as it came off the wire."""

    def __init__(self, app):
        self.app = app
        self.seen: list[bytes] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            self.seen.append(scope["raw_path"])
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def served():
    simulator = WildixSimulator(anchor=ANCHOR)
    wire = RawPaths(simulator.app)
    server = serve_in_thread(wire)
    yield simulator, wire, server
    server.stop()


@pytest.fixture
def simulator(served):
    simulator, wire, _ = served
    simulator.log.clear()
    wire.seen.clear()
    return simulator


def make_gateway(home, url):
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    spec = next(p for p in Gateway(store).providers if p.name == "wildix")
    values = {"pbx_url": url, "access_token": "acme-admin-token", "request_timeout": "3"}
    store.configure(spec, "default", set_values=values)
    return Gateway(store, notify=None, surface="test")


@pytest.fixture
def gateway(tmp_path, served, simulator):
    return make_gateway(tmp_path, served[2].url)


def error(envelope, kind):
    assert not envelope["success"], envelope["data"]
    assert envelope["error"]["type"] == kind, envelope["error"]
    return envelope["error"]["message"]


# -- ids never reach another route -----------------------------------------------------------------

HOSTILE = ["../Colleagues", "../../api/v1/Colleagues", "..", ".", "1/../../personal/info"]
HOSTILE += ["%2e%2e", "..%2FColleagues", "123?filter[id]=1", "123#x", "8289/", "12 34"]


@pytest.mark.parametrize("given", HOSTILE)
def test_a_call_id_that_is_no_pbx_id_is_not_found_and_reaches_no_other_route(
    gateway, simulator, given
):
    message = error(gateway.call("wildix.get_call", {"id": given}), "not_found")
    assert repr(given.strip()) in message and "strings of digits" in message
    # only the history list was asked, the id as a query parameter, never in a path
    assert [r.path for r in simulator.log.records] == ["/api/v1/PBX/CallHistory/"]
    assert simulator.log.records[0].param("filter[id]") == given.strip()


@pytest.mark.parametrize("given", [*HOSTILE, "../personal/info", "ext-../personal/info"])
def test_an_extension_id_that_is_no_pbx_id_is_not_found_and_reaches_no_other_route(
    gateway, simulator, given
):
    message = error(gateway.call("wildix.get_extension", {"id": given}), "not_found")
    assert "strings of digits" in message
    assert [r.path for r in simulator.log.records] == ["/api/v1/Colleagues/"]
    assert simulator.log.records[0].param("filter[extension]") == given.removeprefix("ext-")


def test_ids_go_in_a_path_as_one_percent_encoded_segment():
    assert wildix_client._segment("../Colleagues") == "..%2FColleagues"
    assert wildix_client._segment("a/b?c#d%e f") == "a%2Fb%3Fc%23d%25e%20f"
    assert wildix_client._segment("8289") == "8289"


def test_httpx_resolves_dot_segments_so_an_unencoded_id_would_leave_its_route(served, simulator):
    """Why ids are encoded: the raw id is resolved away before the request is even sent."""
    url = served[2].url
    with httpx.Client(base_url=url, headers=ADMIN, timeout=10) as client:
        raw = client.get("/api/v1/CallHistory/../Colleagues")
        encoded = client.get("/api/v1/CallHistory/" + wildix_client._segment("../Colleagues"))
    assert served[1].seen == [b"/api/v1/Colleagues", b"/api/v1/CallHistory/..%2FColleagues"]
    assert raw.status_code == 200 and "records" in raw.json()["result"]
    # encoded, the simulator reads one id segment, as a PBX does: an unknown record, 404
    assert encoded.status_code == 404 and encoded.json() == NOT_FOUND
    assert [r.path for r in simulator.log.records][-1] == "/api/v1/CallHistory/../Colleagues"


@pytest.mark.parametrize(
    ("path", "status", "result_kind"),
    [
        ("/api/v1/CallHistory/..%2FColleagues", 404, None),
        ("/api/v1/Colleagues/..%2Fpersonal%2Finfo", 404, None),
        ("/api/v1/CallHistory/%2E%2E%2F%2E%2E%2Fpersonal%2Finfo", 404, None),
        # sent as is, dot segments are resolved as a web server does, wherever they lead
        ("/api/v1/CallHistory/../Colleagues", 200, "list"),
        ("/api/v1/CallHistory/%2E%2E/Colleagues", 200, "list"),
        ("/api/v1/Colleagues/./../personal/info", 200, "record"),
        ("/api/v1/../../../api/v1/personal/info", 200, "record"),
        ("/api/v1//CallHistory", 404, None),
    ],
)
def test_the_simulator_routes_on_the_path_as_sent(served, simulator, path, status, result_kind):
    """Over a raw socket (no client resolves anything first): encoded ``/`` stays in its id."""
    server = served[2]
    connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
    try:
        connection.request("GET", path, headers=ADMIN)
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    assert served[1].seen == [path.encode()]
    assert response.status == status, body
    if result_kind == "list":
        assert b'"records"' in body
    elif result_kind == "record":
        assert b'"records"' not in body and b'"extension"' in body


# -- blank ids and bare prefixes -------------------------------------------------------------------


@pytest.mark.parametrize("function", ["get_call", "get_extension"])
@pytest.mark.parametrize("given", ["", " ", "\t \n"])
def test_a_blank_id_is_a_validation_error_before_any_request(gateway, simulator, function, given):
    message = error(gateway.call(f"wildix.{function}", {"id": given}), "validation")
    assert "id" in message and "blank" in message
    assert len(simulator.log) == 0


@pytest.mark.parametrize("function", ["get_call", "get_extension"])
def test_the_client_refuses_a_blank_id_on_its_own(function):
    with pytest.raises(ValidationError, match="must not be blank"):
        wildix_client._strip("  ", function)


@pytest.mark.parametrize(
    ("function", "given"),
    [
        ("get_call", "call-"),
        ("get_call", " CALL- "),
        ("get_extension", "ext-"),
        ("get_extension", "Ext-"),
    ],
)
def test_a_bare_prefix_is_not_found_before_any_request(gateway, simulator, function, given):
    message = error(gateway.call(f"wildix.{function}", {"id": given}), "not_found")
    assert "names no" in message
    assert len(simulator.log) == 0
    with pytest.raises(NotFoundError):
        wildix_client._strip(given, function)


def test_digit_ids_still_work_with_and_without_their_prefix(gateway, simulator):
    acme = simulator.pbx("acme")
    record = next(c for c in reversed(acme.calls) if c["answer"])
    for given in (record["id"], f"call-{record['id']}", f" CALL-{record['id']} "):
        envelope = gateway.call("wildix.get_call", {"id": given})
        assert envelope["success"] and envelope["data"]["id"] == record["id"], given
    colleague = acme.colleagues[2]
    for given in (colleague["extension"], f"ext-{colleague['extension']}", colleague["id"]):
        envelope = gateway.call("wildix.get_extension", {"id": given})
        assert envelope["success"] and envelope["data"]["user_id"] == colleague["id"], given


# -- a PBX's answer cannot bend the result's shape -------------------------------------------------

CALL = {"id": "125", "start": "2026-11-20 09:00:00", "disposition": "ANSWERED", "billsec": "5"}
COLLEAGUES = [
    {"id": "7001", "name": "Ann Lee", "extension": "100"},
    {"id": "7002", "name": "Bo Chen", "extension": "101"},
]


def _result(value):
    return JSONResponse({"type": "result", "result": value})


def _listed(records):
    return _result({"total": str(len(records)), "records": records})


async def _odd_pbx(request):
    """A PBX that answers wrongly: lists or other records on ``/{id}`` routes, and filters it
    ignores (every list holds everything it has)."""
    path = request.url.path.rstrip("/").lower()
    answers = {
        "/api/v1/callhistory/123": lambda: _listed([CALL]),  # a list, not a record
        "/api/v1/callhistory/124": lambda: _result(CALL),  # another record
        "/api/v1/pbx/callhistory": lambda: _listed([CALL]),  # filter[id] ignored
        "/api/v1/colleagues": lambda: _listed(COLLEAGUES),  # filter[extension] ignored
        "/api/v1/colleagues/7003": lambda: _result({"id": "7003", "name": "No Phone"}),
        "/api/v1/colleagues/7004": lambda: _listed(COLLEAGUES),
    }
    answer = answers.get(path)
    if answer is None:
        return JSONResponse({"type": "error", "reason": "Not Found", "result": None}, 404)
    return answer()


@pytest.fixture(scope="module")
def odd_url():
    app = Starlette(routes=[Route("/{path:path}", _odd_pbx)])
    with serve_in_thread(app) as server:
        yield server.url


@pytest.mark.parametrize(
    ("function", "given", "kind"),
    [
        ("get_call", "123", "upstream"),  # a list on the record's route
        ("get_call", "124", "upstream"),  # record 125 when 124 was asked for
        ("get_call", "126", "not_found"),  # the history list ignored filter[id]
        ("get_extension", "200", "not_found"),  # the list ignored filter[extension]
        ("get_extension", "7003", "not_found"),  # a colleague without an extension
        ("get_extension", "7004", "upstream"),  # a list on the colleague's route
    ],
)
def test_a_pbx_answer_of_the_wrong_shape_is_never_the_result(
    tmp_path, odd_url, function, given, kind
):
    gateway = make_gateway(tmp_path, odd_url)
    error(gateway.call(f"wildix.{function}", {"id": given}), kind)


def test_the_right_record_in_a_loose_list_is_found(tmp_path, odd_url):
    gateway = make_gateway(tmp_path, odd_url)
    ext = gateway.call("wildix.get_extension", {"id": "101"})
    assert ext["success"] and ext["data"]["user_id"] == "7002"
    assert set(ext["data"]) == {
        "id",
        "number",
        "name",
        "user_id",
        "user_name",
        "email",
        "department",
    }
    call = gateway.call("wildix.get_call", {"id": "125"})
    assert call["success"] and call["data"]["id"] == "125" and call["data"]["duration"] == 5


# -- list_calls dates: the PBX's local time, never an offset ---------------------------------------

OFFSETS = [
    "2026-11-20T10:00:00Z",
    "2026-11-20T10:00:00+05:00",
    "2026-11-20T10:00:00-09:00",
    "2026-11-20 10:00:00+00:00",
    "2026-11-20T10:00+0100",
]


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("given", OFFSETS)
def test_a_time_zone_offset_is_refused_before_any_request(gateway, simulator, name, given):
    message = error(gateway.call("wildix.list_calls", {name: given}), "validation")
    assert name in message and given in message
    assert "YYYY-MM-DD" in message and "YYYY-MM-DD HH:MM:SS" in message
    assert "local time" in message and "time zone" in message
    assert len(simulator.log) == 0


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("2026-11-19T08:30:00", "2026-11-19 08:30:00"),
        ("2026-11-19 08:30:00", "2026-11-19 08:30:00"),
        ("2026-11-19T08:30", "2026-11-19 08:30:00"),
        ("2026-11-19", "2026-11-19 00:00:00"),
        ("0001-01-01", "0001-01-01 00:00:00"),  # four-digit years, as the PBX reads them
        ("0999-12-31T23:59:59", "0999-12-31 23:59:59"),
        ("0050-06-15 08:30", "0050-06-15 08:30:00"),
    ],
)
def test_local_date_times_are_sent_as_written(gateway, simulator, given, sent):
    envelope = gateway.call("wildix.list_calls", {"date_from": given, "limit": 5})
    assert envelope["success"], envelope["error"]
    [request] = simulator.log.records
    assert request.param("filter[start][from]") == sent
    assert all(c["start"] >= sent for c in envelope["data"]["calls"])


def test_a_reversed_range_is_still_refused_before_any_request(gateway, simulator):
    given = {"date_from": "2026-11-20", "date_to": "2026-11-19"}
    message = error(gateway.call("wildix.list_calls", given), "validation")
    assert "date_from" in message and "date_to" in message
    assert len(simulator.log) == 0


# -- limit: luagate's cap of 1000 ------------------------------------------------------------------


@pytest.mark.parametrize("function", ["list_calls", "list_extensions", "list_users"])
@pytest.mark.parametrize("limit", [1001, 10**23])
def test_a_limit_above_the_cap_is_refused_before_any_request(gateway, simulator, function, limit):
    message = error(gateway.call(f"wildix.{function}", {"limit": limit}), "validation")
    assert "limit" in message and "1000" in message and str(limit) in message
    assert len(simulator.log) == 0


@pytest.mark.parametrize("function", ["list_calls", "list_extensions", "list_users"])
def test_the_cap_itself_is_accepted(gateway, simulator, function):
    envelope = gateway.call(f"wildix.{function}", {"limit": 1000})
    assert envelope["success"], envelope["error"]
    assert simulator.log.records[-1].param("count") == "1000"


def test_the_docs_state_the_date_rule_and_the_cap():
    docs = Docs(provider_specs())
    page = docs.read("wildix.list_calls")
    assert "time zone" in page and "validation" in page and "1000" in page
    for function in ("list_extensions", "list_users"):
        assert "at most 1000" in docs.read(f"wildix.{function}")
    for function in ("get_call", "get_extension"):
        assert "percent-encoded" in docs.read(f"wildix.{function}")


# -- an argument too long for any URL ----------------------------------------------------------


@pytest.mark.parametrize("function,given", [("get_call", "1" * 70_000), ("get_call", "x" * 70_000)])
def test_an_id_too_long_for_a_url_is_a_validation_error_and_nothing_is_sent(
    gateway, simulator, function, given
):
    message = error(gateway.call(f"wildix.{function}", {"id": given}), "validation")
    assert "too long for a URL" in message and "65,536" in message
    assert len(message) < 400  # the id is never echoed whole
    assert simulator.log.records == []  # nothing reached the PBX


def test_a_script_catches_the_too_long_argument_and_goes_on(gateway, simulator):
    run = gateway.run_lua(
        'local ok, err = pcall(app.integrations.wildix.get_call, {id = string.rep("9", 70000)})\n'
        "return {error_type(err), #app.integrations.wildix.list_users({limit = 2}).users}"
    )
    assert run.success, run.error
    assert run.result == ["validation", 2]


# -- the JSON Schema admits what a call admits --------------------------------------------------

DATE_FORMS = [
    "2026-11-19",
    "2026-11-19 08:30:00",
    "2026-11-19T08:30:00",
    "2026-11-19T08:30",
    "2026-11-19T08:30:00Z",
    "2026-11-19T08:30:00+01:00",
    "19/11/2026",
    "2026-11-19x",
]


@pytest.mark.parametrize("value", DATE_FORMS)
def test_the_schema_admits_a_date_exactly_when_the_call_does(gateway, simulator, value):
    """An MCP client that checks arguments against the tool's schema must neither refuse a form
    the function takes (a date-time, as the PBX writes it) nor pass one it refuses (an offset)."""
    from jsonschema import Draft202012Validator

    from luagate.catalog.schema import input_schema

    _, spec = gateway.function("wildix.list_calls")
    validator = Draft202012Validator(
        input_schema(spec), format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    by_schema = validator.is_valid({"date_from": value})
    envelope = gateway.call("wildix.list_calls", {"date_from": value, "limit": 1})
    assert by_schema == envelope["success"], (value, envelope["error"])
    if not by_schema:
        assert envelope["error"]["type"] == "validation"


@pytest.mark.parametrize("limit", [1000, 1001])
def test_the_schema_shows_the_cap(gateway, limit):
    from jsonschema import Draft202012Validator

    from luagate.catalog.schema import input_schema

    for function in ("list_calls", "list_extensions", "list_users"):
        _, spec = gateway.function(f"wildix.{function}")
        assert input_schema(spec)["properties"]["limit"]["maximum"] == 1000
        valid = Draft202012Validator(input_schema(spec)).is_valid({"limit": limit})
        assert valid is (limit <= 1000)


# -- the user-scope fallback on 401 as on 403; auth refusals in a 200 envelope -------------------


@pytest.fixture(scope="module")
def strict_url():
    """A PBX that refuses a user token on admin routes with 401, as it refuses a bad token."""
    from luagate.providers.wildix.sim_data import Pbx

    pbx = Pbx(
        "strict",
        seed=5,
        admin_tokens=("strict-admin",),
        user_tokens=("strict-user",),
        calls=400,
        admin_refusal=401,
    )
    simulator = WildixSimulator((pbx,), anchor=ANCHOR)
    with serve_in_thread(simulator.app) as server:
        yield simulator, server.url


def _strict_gateway(home, url, token):
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    spec = next(p for p in Gateway(store).providers if p.name == "wildix")
    store.configure(spec, "default", set_values={"pbx_url": url, "access_token": token})
    return Gateway(store, notify=None, surface="test")


def test_a_401_on_the_whole_history_falls_back_to_the_owners(tmp_path, strict_url):
    simulator, url = strict_url
    simulator.log.clear()
    gateway = _strict_gateway(tmp_path, url, "strict-user")
    envelope = gateway.call("wildix.list_calls", {"limit": 50})
    assert envelope["success"], envelope["error"]
    me = simulator.pbx("strict").owner("strict-user")
    calls = envelope["data"]["calls"]
    assert envelope["data"]["scope"] == "user"
    assert calls and all(me["extension"] in (c["src"], c["dst"]) for c in calls)
    statuses = [(r.path, r.status) for r in simulator.log.records]
    assert statuses == [("/api/v1/PBX/CallHistory/", 401), ("/api/v1/CallHistory/", 200)]
    # get_call's fallback reads the same history
    simulator.log.clear()
    assert gateway.call("wildix.get_call", {"id": calls[0]["id"]})["success"]


def test_a_bad_token_is_an_auth_error_after_both_histories_refuse_it(tmp_path, strict_url):
    simulator, url = strict_url
    simulator.log.clear()
    gateway = _strict_gateway(tmp_path, url, "no-such-token")
    for _ in range(2):  # a refused fallback is not remembered: each call tries the PBX first
        message = error(gateway.call("wildix.list_calls", {"limit": 5}), "auth")
        assert "no-such-token" not in message
    paths = [(r.path, r.status) for r in simulator.log.records]
    assert paths == [("/api/v1/PBX/CallHistory/", 401), ("/api/v1/CallHistory/", 401)] * 2


@pytest.mark.parametrize(
    ("reason", "kind"),
    [("Unauthorized", "auth"), ("Forbidden", "auth"), ("Bad filter", "validation")],
)
def test_an_error_envelope_in_a_200_answer_is_typed_by_its_reason(tmp_path, reason, kind):
    async def refusing(request):
        return JSONResponse({"type": "error", "reason": reason, "result": None})

    app = Starlette(routes=[Route("/{path:path}", refusing)])
    with serve_in_thread(app) as server:
        gateway = make_gateway(tmp_path, server.url)
        message = error(gateway.call("wildix.get_current_user", {}), kind)
    assert reason in message
