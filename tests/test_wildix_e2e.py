"""The 6 Wildix functions end to end: Lua or the gateway → the Wildix client → the HTTP layer →
real loopback HTTP → the Wildix PBX simulator. Each mapping is checked in what the simulator
actually received."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from luagate.accounts.store import AccountStore
from luagate.gateway.gateway import Gateway
from luagate.providers.simulation.serve import serve_in_thread
from luagate.providers.wildix.client import pbx_origin
from luagate.providers.wildix.simulator import WildixSimulator
from luagate.providers.wildix.spec import SPEC

ANCHOR = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def served():
    simulator = WildixSimulator(anchor=ANCHOR)
    server = serve_in_thread(simulator.app)
    yield simulator, server.url
    server.stop()


@pytest.fixture
def simulator(served):
    simulator = served[0]
    simulator.log.clear()
    simulator.faults.clear()
    yield simulator
    simulator.faults.clear()


def make_gateway(home, url, **extra):
    """Accounts: default (acme, admin token), user (acme, a user's token), office, support."""
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    spec = next(p for p in Gateway(store).providers if p.name == "wildix")
    for account, token in (
        ("default", "acme-admin-token"),
        ("user", "acme-user-token"),
        ("office", "office-admin-token"),
        ("support", "support-admin-token"),
    ):
        store.configure(
            spec,
            account,
            set_values={"pbx_url": url, "access_token": token, "request_timeout": "3", **extra},
        )
    return Gateway(store, notify=None, surface="test")


@pytest.fixture
def gateway(tmp_path, served, simulator):
    return make_gateway(tmp_path, served[1])


def ok(envelope):
    assert envelope["success"], envelope["error"]
    return envelope["data"]


def requests(simulator, path=None):
    return [r for r in simulator.log.records if path is None or r.path.lower() == path.lower()]


# -- the reference's examples, unchanged -----------------------------------------------------------

EXAMPLES = [(f"{f.name}-{i}", e.code) for f in SPEC.functions for i, e in enumerate(f.examples)]
MULTI = """
local a = app.integrations.wildix.list_calls({ limit = 3 })
local d = app.integrations.wildix.default.list_calls({ limit = 3 })
local o = app.integrations.wildix.office.list_calls({ limit = 3 })
local s = app.integrations.wildix.support.list_calls({ limit = 3 })
return { a.calls[1].id, d.calls[1].id, o.calls[1].id, s.calls[1].id }
"""


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_every_reference_example_runs_unchanged(gateway, simulator, name, code):
    execution = gateway.run_lua(code)
    assert execution.success, execution.error
    assert len(simulator.log) >= 1
    assert execution.calls and all(c.ok for c in execution.calls)


def test_the_multi_account_forms_reach_different_pbxes(gateway, simulator):
    execution = gateway.run_lua(MULTI)
    assert execution.success, execution.error
    acme, default, office, support = execution.result
    assert acme == default
    assert len({acme, office, support}) == 3
    assert {r.company for r in simulator.log.records} == {"acme", "office", "support"}


# -- list_calls ------------------------------------------------------------------------------------


def test_list_calls_pages_with_offsets_newest_first(gateway, simulator):
    acme = simulator.pbx("acme")
    newest = sorted(acme.calls, key=lambda c: (c["start"], int(c["id"])), reverse=True)
    seen = []
    for page in (1, 2, 3):
        data = ok(gateway.call("wildix.list_calls", {"limit": 7, "page": page}))
        assert data["page"] == page and data["limit"] == 7 and data["scope"] == "pbx"
        assert data["total"] == len(acme.calls) and isinstance(data["total"], int)
        seen += [c["id"] for c in data["calls"]]
    assert seen == [c["id"] for c in newest[:21]]  # no gap, no duplicate
    starts = [r.param("start") for r in requests(simulator, "/api/v1/PBX/CallHistory/")]
    assert starts == ["0", "7", "14"]
    [first] = requests(simulator, "/api/v1/PBX/CallHistory/")[:1]
    assert (first.param("sort"), first.param("dir"), first.param("count")) == ("start", "DESC", "7")


def test_calls_are_normalised_from_all_string_records(gateway, simulator):
    data = ok(gateway.call("wildix.list_calls", {"limit": 50}))
    raw = {c["id"]: c for c in simulator.pbx("acme").calls}
    statuses = {
        "ANSWERED": "answered",
        "NO ANSWER": "no_answer",
        "BUSY": "busy",
        "FAILED": "failed",
    }
    for call in data["calls"]:
        record = raw[call["id"]]
        assert isinstance(call["id"], str)
        assert call["status"] == statuses[record["disposition"]]
        assert call["duration"] == int(record["billsec"]) and isinstance(call["duration"], int)
        assert call["total_duration"] == int(record["duration"])
        assert call["from"] == (record["from_number"] or record["src"])
        assert call["to"] == (record["to_number"] or record["dst"])
        assert call["answer"] == (record["answer"] or None)
        assert call["lastapp"] == record["lastapp"]  # the PBX's own fields are kept


def test_dates_widen_to_whole_days_in_the_pbx_form(gateway, simulator):
    day = (ANCHOR - dt.timedelta(days=1)).isoformat()
    data = ok(gateway.call("wildix.list_calls", {"date_from": day, "date_to": day, "limit": 100}))
    [request] = requests(simulator, "/api/v1/PBX/CallHistory/")
    assert request.param("filter[start][from]") == f"{day} 00:00:00"
    assert request.param("filter[start][to]") == f"{day} 23:59:59"
    expected = [c for c in simulator.pbx("acme").calls if c["start"].startswith(day)]
    assert expected and data["total"] == len(expected)
    assert all(c["start"].startswith(day) for c in data["calls"])
    # a date-time is passed as written (the PBX's local time)
    ok(gateway.call("wildix.list_calls", {"date_from": f"{day}T08:30:00", "limit": 1}))
    assert (
        requests(simulator, "/api/v1/PBX/CallHistory/")[-1].param("filter[start][from]")
        == f"{day} 08:30:00"
    )


def test_a_user_token_falls_back_to_its_own_history(gateway, simulator):
    acme = simulator.pbx("acme")
    me = acme.owner("acme-user-token")
    data = ok(gateway.call("wildix.list_calls", {"limit": 100}, account="user"))
    assert data["scope"] == "user"
    assert data["calls"] and all(me["extension"] in (c["src"], c["dst"]) for c in data["calls"])
    statuses = [(r.path, r.status) for r in simulator.log.records]
    assert statuses == [("/api/v1/PBX/CallHistory/", 403), ("/api/v1/CallHistory/", 200)]
    simulator.log.clear()  # remembered: the next page goes straight to the user's history
    ok(gateway.call("wildix.list_calls", {"limit": 100, "page": 2}, account="user"))
    assert [r.path for r in simulator.log.records] == ["/api/v1/CallHistory/"]


# -- get_call --------------------------------------------------------------------------------------


def test_get_call_is_the_record_at_the_top_level(gateway, simulator):
    record = next(c for c in reversed(simulator.pbx("acme").calls) if c["answer"])
    data = ok(gateway.call("wildix.get_call", {"id": record["id"]}))
    assert data["id"] == record["id"] and data["duration"] == int(record["billsec"])
    assert requests(simulator, f"/api/v1/CallHistory/{record['id']}")


def test_get_call_falls_back_to_the_history_when_the_direct_route_404s(gateway, simulator):
    acme = simulator.pbx("acme")
    hidden = sorted(acme.hidden_ids)[0]
    data = ok(gateway.call("wildix.get_call", {"id": hidden}))
    assert data["id"] == hidden
    direct, listed = simulator.log.records[:2]
    assert direct.status == 404 and listed.param("filter[id]") == hidden


def test_an_unknown_call_is_not_found(gateway):
    e = gateway.call("wildix.get_call", {"id": "99999999"})
    assert e["error"]["type"] == "not_found" and "99999999" in e["error"]["message"]


# -- extensions and users ----------------------------------------------------------------------


def test_extensions_are_colleagues_and_their_ids_round_trip(gateway, simulator):
    data = ok(gateway.call("wildix.list_extensions", {"limit": 5, "page": 2}))
    acme = simulator.pbx("acme")
    assert data["total"] == len(acme.colleagues)
    ext = data["extensions"][0]
    colleague = next(c for c in acme.colleagues if c["extension"] == ext["id"])
    assert ext["number"] == ext["id"] and ext["user_id"] == colleague["id"]
    assert ext["user_name"] == ext["name"] == colleague["name"]
    again = ok(gateway.call("wildix.get_extension", {"id": ext["id"]}))
    assert again == ext
    numbers = [e["number"] for e in data["extensions"]]
    assert numbers == sorted(numbers, key=int)


def test_get_extension_by_colleague_id_and_not_found(gateway, simulator):
    colleague = simulator.pbx("acme").colleagues[3]
    data = ok(gateway.call("wildix.get_extension", {"id": colleague["id"]}))
    assert data["number"] == colleague["extension"]
    e = gateway.call("wildix.get_extension", {"id": "0"})
    assert e["error"]["type"] == "not_found"


def test_users_and_the_current_user(gateway, simulator):
    acme = simulator.pbx("acme")
    data = ok(gateway.call("wildix.list_users", {"limit": 100}))
    assert len(data["users"]) == data["total"] == len(acme.colleagues)
    assert all(isinstance(u["id"], str) and u["id"] != u["extension"] for u in data["users"])
    me = ok(gateway.call("wildix.get_current_user", account="user"))
    assert me["id"] == acme.owner("acme-user-token")["id"]
    assert requests(simulator, "/api/v1/personal/info")


# -- account settings, faults, secrets -------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("acme", "https://acme.wildixin.com"),
        ("acme.wildixin.com", "https://acme.wildixin.com"),
        ("https://pbx.example.com:8443/", "https://pbx.example.com:8443"),
        ("https://pbx.example.com/api/v1", "https://pbx.example.com"),
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ],
)
def test_pbx_urls(given, origin):
    assert pbx_origin(given) == origin


@pytest.mark.parametrize("kind", ["error", "html", "malformed"])
def test_passing_failures_are_retried(gateway, simulator, kind):
    simulator.faults.inject(kind, times=2, path="/api/v1/Colleagues")
    envelope = gateway.call("wildix.list_users", {"limit": 3})
    assert ok(envelope)["users"] and envelope["meta"]["retries"] == 2


def test_lasting_failures_are_typed_errors(gateway, simulator):
    simulator.faults.inject("html", times=None, path="/api/v1/personal")
    e = gateway.call("wildix.get_current_user")
    assert e["error"]["type"] == "upstream" and "HTML error page" in e["error"]["message"]
    simulator.faults.clear()
    simulator.faults.inject("timeout", times=None, path="/api/v1/personal", delay_s=10)
    started = time.monotonic()
    e = gateway.call("wildix.get_current_user")
    assert e["error"]["type"] == "timeout" and time.monotonic() - started < 20


def test_a_429_is_waited_out(gateway, simulator):
    simulator.faults.inject("rate_limit", times=2, path="/api/v1/Colleagues", retry_after_s=1)
    envelope = gateway.call("wildix.list_users", {"limit": 3})
    assert ok(envelope)["users"] and envelope["meta"]["rate_limited_ms"] >= 1500


def test_a_wrong_token_is_an_auth_error_without_the_token(tmp_path, served):
    gateway = make_gateway(tmp_path, served[1])
    spec = gateway.provider("wildix")
    gateway.store.configure(spec, "default", set_values={"access_token": "wrong-token-value"})
    e = gateway.call("wildix.list_users")
    assert e["error"]["type"] == "auth" and "401" in e["error"]["message"]
    assert "wrong-token-value" not in json.dumps(e)
