"""The Wildix PBX simulator over real loopback HTTP: auth, PBXes, lists, routes, faults, CLI."""

from __future__ import annotations

import datetime as dt
import json
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace

import httpx
import pytest

from luagate.providers.simulation.serve import serve_in_thread
from luagate.providers.wildix.sim_data import Pbx, default_pbxes, generate
from luagate.providers.wildix.sim_query import list_result
from luagate.providers.wildix.simulator import CALLS, WildixSimulator, build_simulator, local_now

ANCHOR = dt.date(2026, 3, 16)  # a Monday
H = "/api/v1/PBX/CallHistory"
UNAUTHORIZED = {"type": "error", "reason": "Unauthorized", "result": None}
FORBIDDEN = {"type": "error", "reason": "Forbidden", "result": None}
NOT_FOUND = {"type": "error", "reason": "Not Found", "result": None}
NO_ROUTE = {"type": "error", "reason": "404 Not Found", "code": 404}


@pytest.fixture(scope="module")
def sim():
    return WildixSimulator(anchor=ANCHOR)


@pytest.fixture(scope="module")
def url(sim):
    with serve_in_thread(sim.app) as served:
        yield served.url


@pytest.fixture(autouse=True)
def no_faults(sim):
    yield
    sim.faults.clear()


@pytest.fixture(scope="module")
def anon(url):
    """A client without a token (creating clients is slow: a few per module)."""
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client


def _client(url: str, token: str):
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def admin(url):
    yield from _client(url, "acme-admin-token")


@pytest.fixture(scope="module")
def user(url):
    yield from _client(url, "acme-user-token")


def _result(r: httpx.Response) -> object:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "result", body
    return body["result"]


def _records(r: httpx.Response) -> list[dict[str, str]]:
    result = _result(r)
    assert isinstance(result["total"], str)
    return result["records"]


def _total(r: httpx.Response) -> int:
    return int(_result(r)["total"])


def _desc(calls: list[dict[str, str]]) -> list[str]:
    """Call ids newest first, as the default order gives them."""
    return [c["id"] for c in sorted(calls, key=lambda c: (c["start"], int(c["id"])), reverse=True)]


# -- auth, PBXes, routes ----------------------------------------------------------------------


def test_auth_by_bearer_or_token_parameter_else_401(anon, sim):
    me = sim.pbx("acme").colleague_at(0)
    r = anon.get("/api/v1/personal/info", headers={"Authorization": "Bearer acme-admin-token"})
    assert _result(r)["id"] == me["id"]
    assert _result(anon.get("/api/v1/personal/info?token=acme-admin-token"))["id"] == me["id"]
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Bearer nope"}):
        r = anon.get("/api/v1/personal/info", headers=headers)
        assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    r = anon.get("/api/v1/Colleagues", auth=("acme-admin-token", "x"))  # Basic: not accepted
    assert (r.status_code, r.json()) == (401, UNAUTHORIZED)
    assert anon.get(f"{H}?token=wrong").status_code == 401
    # a Bearer header wins over ?token=
    wrong = {"Authorization": "Bearer wrong"}
    assert anon.get(f"{H}?token=acme-admin-token", headers=wrong).status_code == 401


def test_the_token_selects_the_pbx_and_the_colleague_it_acts_as(url, anon, sim):
    bases = {"acme": (2_951_800, 456), "office": (3_100_000, 2001), "support": (3_300_000, 3001)}
    seen = set()
    for name, (id_base, ext_base) in bases.items():
        data = sim.pbx(name)
        for token, index, role in (
            (f"{name}-admin-token", 0, "admin"),
            (f"{name}-user-token", 1, "user"),
        ):
            me = _result(anon.get(f"/api/v1/personal/info?token={token}"))
            assert (me["id"], me["extension"], me["role"]) == (
                str(id_base + index),
                str(ext_base + index),
                role,
            )
            assert me == data.owner(token)
        history = anon.get(f"{H}?count=5&token={name}-admin-token")
        assert _total(history) == len(data.calls)
        ids = {r["id"] for r in _records(history)}
        assert ids <= set(data.calls_by_id) and not ids & seen
        seen |= ids
        colleagues = _records(anon.get(f"/api/v1/Colleagues?token={name}-user-token"))
        assert {c["id"] for c in colleagues} == set(data.colleagues_by_id)
    assert [p.name for p in sim.pbxes] == ["acme", "office", "support"]


def test_routes_ignore_case_and_a_trailing_slash(admin):
    expected = admin.get(f"{H}?count=3").json()
    for path in (
        f"{H}/",
        "/api/v1/pbx/callhistory",
        "/API/V1/PBX/CALLHISTORY/",
        "/Api/V1/pbx/CallHistory",
    ):
        assert admin.get(path, params={"count": 3}).json() == expected
    me = admin.get("/api/v1/personal/info").json()
    assert admin.get("/api/v1/Personal/Info/").json() == me
    assert _result(admin.get("/api/v1/colleagues/")) == _result(admin.get("/api/v1/Colleagues"))


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/nope"),
        ("GET", "/"),
        ("GET", "/api/v2/call-control/list-calls"),
        ("GET", "/api/v1/PBX/CallHistory/extra/bits"),
        ("GET", "/api/v1//CallHistory"),
        ("POST", "/api/v1/PBX/Colleagues"),
        ("DELETE", "/api/v1/CallHistory/9000"),
    ],
)
def test_unknown_routes_are_404_even_without_a_token(anon, admin, method, path):
    for client in (anon, admin):
        r = client.request(method, path)
        assert (r.status_code, r.json()) == (404, NO_ROUTE)


def test_envelopes_total_is_a_string_and_every_value_too(admin, user):
    for client, path in ((admin, H), (user, "/api/v1/CallHistory"), (admin, "/api/v1/Colleagues")):
        records = _records(client.get(path))
        assert records
        assert all(isinstance(v, str) for rec in records for v in rec.values())
    one = _result(admin.get("/api/v1/personal/info"))
    assert one and all(isinstance(v, str) for v in one.values())


# -- list parameters ----------------------------------------------------------------------------


def test_start_count_pages_cover_everything_once(admin, sim):
    calls = sim.pbx("acme").calls
    assert len(calls) == 600
    default = _records(admin.get(H))
    assert len(default) == 100  # the default count
    got = []
    for start in range(0, 700, 100):
        page = admin.get(H, params={"start": start, "count": 100, "fields": "id"})
        assert _total(page) == 600
        got += [r["id"] for r in _records(page)]
    assert got == _desc(calls)  # newest first, no duplicates, no gaps
    assert [r["id"] for r in default] == got[:100]
    tail = admin.get(H, params={"start": 595, "count": 100, "dir": "asc", "fields": "id"})
    assert [r["id"] for r in _records(tail)] == got[::-1][595:]
    assert _records(admin.get(H, params={"count": 0})) == []


@pytest.mark.parametrize(
    "params",
    [{"count": "ten"}, {"start": "-1"}, {"count": "1.5"}, {"dir": "UP"}, {"sort": "nope"}],
)
def test_bad_list_parameters_are_400(admin, params):
    r = admin.get(H, params=params)
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "error" and body["result"] is None and body["reason"]


def test_sort_and_dir(admin, sim):
    rows = _records(admin.get(H, params={"sort": "duration", "dir": "asc", "count": 600}))
    keys = [(int(r["duration"]), int(r["id"])) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == 600  # as numbers, ties by id
    rows = _records(admin.get(H, params={"sort": "id", "dir": "DESC", "count": 20}))
    assert [int(r["id"]) for r in rows] == sorted(
        (int(c["id"]) for c in sim.pbx("acme").calls), reverse=True
    )[:20]
    rows = _records(admin.get(H, params={"sort": "to_name", "dir": "Asc", "count": 600}))
    assert [r["to_name"] for r in rows] == sorted(r["to_name"] for r in rows)
    colleagues = _records(admin.get("/api/v1/Colleagues"))  # default: by dn, descending
    assert [c["dn"] for c in colleagues] == sorted((c["dn"] for c in colleagues), reverse=True)
    assert len(colleagues) == 36
    by_ext = _records(admin.get("/api/v1/Colleagues", params={"sort": "extension", "dir": "ASC"}))
    assert [c["extension"] for c in by_ext] == [str(456 + i) for i in range(36)]


def test_fields_selects_and_orders_the_values(admin):
    rows = _records(admin.get(H, params={"fields": "start,id,nonsense", "count": 3}))
    assert [list(r) for r in rows] == [["start", "id"]] * 3
    rows = _records(admin.get("/api/v1/Colleagues", params={"fields": "id,extension,email"}))
    assert all(list(r) == ["id", "extension", "email"] for r in rows)
    me = _result(admin.get("/api/v1/personal/info", params={"fields": "name,email"}))
    assert list(me) == ["name", "email"]


def test_exact_filter(admin, sim):
    calls = sim.pbx("acme").calls
    busy = [c for c in calls if c["disposition"] == "BUSY"]
    r = admin.get(H, params={"filter[disposition]": "BUSY", "count": 600})
    assert [c["id"] for c in _records(r)] == _desc(busy) and _total(r) == len(busy) > 0
    one = _records(admin.get("/api/v1/Colleagues", params={"filter[extension]": "460"}))
    assert [c["id"] for c in one] == ["2951804"]
    assert _total(admin.get(H, params={"filter[extension]": "460"})) == 0  # no such CDR field
    # repeated without brackets: the last value counts, as PHP parses it
    r = admin.get(f"{H}?filter[disposition]=BUSY&filter[disposition]=FAILED")
    assert _total(r) == sum(c["disposition"] == "FAILED" for c in calls)


def test_date_range_is_inclusive_at_day_boundaries(admin, sim):
    calls = sim.pbx("acme").calls
    for day in ("2026-03-15", "2026-03-16", "2026-02-02"):
        r = admin.get(
            H,
            params={
                "filter[start][from]": f"{day} 00:00:00",
                "filter[start][to]": f"{day} 23:59:59",
                "count": 600,
            },
        )
        expected = [c for c in calls if c["start"].startswith(day)]
        assert expected and [c["id"] for c in _records(r)] == _desc(expected)
        assert _total(r) == len(expected)
    first, last = calls[0]["start"], calls[-1]["start"]
    both = admin.get(H, params={"filter[start][from]": first, "filter[start][to]": last})
    assert _total(both) == 600  # both ends included
    just_before = (dt.datetime.fromisoformat(last) - dt.timedelta(seconds=1)).isoformat(" ")
    assert _total(admin.get(H, params={"filter[start][to]": just_before})) == 599
    after = admin.get(H, params={"filter[start][from]": last, "fields": "id"})
    assert _records(after) == [{"id": calls[-1]["id"]}]
    for odd in ("2026-03-16T00:00:00Z", "2026-03-16", "16/03/2026 00:00:00"):
        assert _total(admin.get(H, params={"filter[start][from]": odd})) == 0
    answered = admin.get(H, params={"filter[answer][from]": "2000-01-01 00:00:00"})
    assert _total(answered) == sum(c["answer"] != "" for c in calls)
    long_calls = admin.get(
        H, params={"filter[billsec][from]": "600", "filter[billsec][to]": "3600"}
    )
    assert _total(long_calls) == sum(600 <= int(c["billsec"]) <= 3600 for c in calls)


def test_array_filter_is_any_of(admin, sim):
    calls = sim.pbx("acme").calls
    r = admin.get(f"{H}?filter[disposition][]=BUSY&filter[disposition][]=FAILED&count=600")
    expected = [c for c in calls if c["disposition"] in ("BUSY", "FAILED")]
    assert [c["id"] for c in _records(r)] == _desc(expected)
    r = admin.get("/api/v1/PBX/Colleagues?filter[extension][]=456&filter[extension][]=458")
    assert sorted(c["extension"] for c in _records(r)) == ["456", "458"]


def test_search_is_a_case_insensitive_substring(admin, sim):
    data = sim.pbx("acme")
    last_name = data.colleague_at(3)["name"].split()[-1]
    r = admin.get(H, params={"search": last_name.upper(), "count": 600})
    rows = _records(r)
    assert rows and all(any(last_name in v for v in row.values()) for row in rows)
    assert _total(r) == sum(any(last_name in v for v in c.values()) for c in data.calls)
    only_to = admin.get(
        H, params={"search": last_name.lower(), "searchFields": "to_name", "count": 600}
    )
    assert all(last_name in row["to_name"] for row in _records(only_to))
    assert _total(only_to) == sum(last_name in c["to_name"] for c in data.calls) < _total(r)
    colleagues = _records(admin.get("/api/v1/Colleagues", params={"search": "ACME.EXAMPLE"}))
    assert len(colleagues) == 36


# -- admin and user tokens, single records ------------------------------------------------------


def test_user_token_gets_403_on_admin_routes_and_its_own_history(user, admin, sim):
    for path in (H, "/api/v1/PBX/Colleagues", "/api/v1/User/456/CallHistory"):
        r = user.get(path)
        assert (r.status_code, r.json()) == (403, FORBIDDEN)
    data = sim.pbx("acme")
    mine = data.owner("acme-user-token")["extension"]
    r = user.get("/api/v1/CallHistory", params={"count": 600})
    rows = _records(r)
    assert rows and all(mine in (c["src"], c["dst"]) for c in rows)
    assert [c["id"] for c in rows] == _desc([c for c in data.calls if mine in (c["src"], c["dst"])])
    assert _total(user.get("/api/v1/User/457/CallHistory")) == len(rows)
    assert _total(user.get("/api/v1/Colleagues")) == 36
    # an admin's CallHistory is its own colleague's (ext 456); User/{ext} is anyone's
    own = _records(admin.get("/api/v1/CallHistory", params={"count": 600}))
    assert own and all("456" in (c["src"], c["dst"]) for c in own)
    assert _total(admin.get("/api/v1/User/457/CallHistory")) == len(rows)
    r = admin.get("/api/v1/User/9999/CallHistory")
    assert (r.status_code, r.json()) == (404, NOT_FOUND)


def test_call_history_by_id_and_the_records_it_hides(admin, user, sim):
    data = sim.pbx("acme")
    newest = data.calls[-1]
    assert _result(admin.get(f"/api/v1/CallHistory/{newest['id']}")) == newest
    assert _result(admin.get(f"/api/v1/callhistory/{newest['id']}/", params={"fields": "id"})) == {
        "id": newest["id"]
    }
    for missing in ("1", "call-123", str(int(data.calls[-1]["id"]) + 50)):
        r = admin.get(f"/api/v1/CallHistory/{missing}")
        assert (r.status_code, r.json()) == (404, NOT_FOUND)
    # archived: older than direct_days (60) before the anchor, so 404 here but in the lists
    assert data.direct_cutoff == "2026-01-15 00:00:00"
    hidden = [c for c in data.calls if c["start"] < data.direct_cutoff]
    assert {c["id"] for c in hidden} == data.hidden_ids and 100 < len(hidden) < 300
    old = hidden[-1]
    r = admin.get(f"/api/v1/CallHistory/{old['id']}")
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    assert _records(admin.get(H, params={"filter[id]": old["id"]})) == [old]
    oldest_served = data.calls[len(hidden)]
    assert (
        _result(admin.get(f"/api/v1/CallHistory/{oldest_served['id']}"))["id"]
        == oldest_served["id"]
    )
    # a user token: its own recent records only
    mine = data.owner("acme-user-token")["extension"]
    own = next(c for c in reversed(data.calls) if mine in (c["src"], c["dst"]))
    assert _result(user.get(f"/api/v1/CallHistory/{own['id']}")) == own
    other = next(c for c in reversed(data.calls) if mine not in (c["src"], c["dst"]))
    assert user.get(f"/api/v1/CallHistory/{other['id']}").status_code == 404


def test_colleague_by_database_id_not_by_extension(user, sim):
    data = sim.pbx("acme")
    target = data.colleague_at(7)
    assert _result(user.get(f"/api/v1/Colleagues/{target['id']}")) == target
    r = user.get(f"/api/v1/Colleagues/{target['extension']}")
    assert (r.status_code, r.json()) == (404, NOT_FOUND)
    office = sim.pbx("office").colleague_at(0)
    assert user.get(f"/api/v1/Colleagues/{office['id']}").status_code == 404  # another PBX's


# -- rate limit and faults ----------------------------------------------------------------------


def test_opt_in_rate_limit_is_429_with_retry_after_per_pbx(sim):
    now = [1_000.0]
    tiny = [
        Pbx("one", seed=5, admin_tokens=("t1",), calls=5, colleagues=3, departments=1),
        Pbx(
            "two",
            seed=6,
            admin_tokens=("t2",),
            calls=5,
            colleagues=3,
            departments=1,
            call_id_base=90,
        ),
    ]
    limited = WildixSimulator(tiny, anchor=ANCHOR, clock=lambda: now[0], rate_limit=(3, 10))
    assert limited.describe()[-1] == "rate limit: 3 requests per 10 s per PBX"
    with serve_in_thread(limited.app) as served, httpx.Client(base_url=served.url) as client:
        for _ in range(3):
            assert client.get(f"{H}?token=t1").status_code == 200
        r = client.get(f"{H}?token=t1")
        assert (r.status_code, r.json()) == (
            429,
            {"type": "error", "reason": "Too Many Requests", "result": None},
        )
        assert r.headers["Retry-After"] == "10"
        assert client.get(f"{H}?token=t2").status_code == 200  # another PBX's window
        now[0] = 1_007.5
        assert client.get(f"{H}?token=t1").headers["Retry-After"] == "3"
        limited.faults.inject("rate_limit")
        r = client.get(f"{H}?token=t2")
        assert r.status_code == 429 and r.headers["Retry-After"] == "3"
        now[0] = 1_010.0
        assert client.get(f"{H}?token=t1").status_code == 200
    assert "no rate limit" in sim.describe()[-1]


def test_fault_latency(admin, sim):
    sim.faults.inject("latency", path="/api/v1/personal", delay_s=0.3)
    start = time.monotonic()
    assert _result(admin.get("/api/v1/personal/info"))["extension"] == "456"
    assert time.monotonic() - start >= 0.3


def test_fault_error_counts_down_and_matches_path_and_method(admin, sim):
    sim.faults.inject("error", path=H, times=2)
    sim.faults.inject("error", path="/api/v1/Colleagues", method="POST", status=503)
    assert admin.get("/api/v1/Colleagues").status_code == 200
    for _ in range(2):
        r = admin.get(H)
        assert r.status_code == 500 and r.json()["error"] == "Internal Server Error"
    assert admin.get(H).status_code == 200
    assert len(sim.faults.pending) == 1


def test_fault_html_and_malformed(admin, sim):
    sim.faults.inject("html", path=H)
    r = admin.get(H)
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in r.text
    sim.faults.inject("malformed", path=H)
    r = admin.get(H)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        r.json()


def test_fault_rate_limit_and_timeout(admin, sim):
    sim.faults.inject("rate_limit", path=H, retry_after_s=2)
    r = admin.get(H)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert r.json()["error"] == "Too Many Requests"
    sim.faults.inject("rate_limit", path=H)
    assert "Retry-After" not in admin.get(H).headers  # no window to say when
    sim.faults.inject("timeout", path=H, delay_s=0.2)
    r = admin.get(H)
    assert (r.status_code, r.json()) == (504, {"message": "Endpoint request timed out"})


def test_fault_after_handling_answers_after_the_request_was_served(admin, sim):
    sim.faults.inject("malformed", path="/api/v1/personal/info", after_handling=True)
    r = admin.get("/api/v1/personal/info")
    assert r.status_code == 200 and r.text.startswith('{"type":"result","result":{"dn":')
    with pytest.raises(ValueError):
        r.json()
    sim.faults.inject("error", path="/api/v1/personal/info", after_handling=True, status=503)
    assert admin.get("/api/v1/personal/info").status_code == 503
    assert sim.log.records[-1].status == 503


def test_request_log_names_the_pbx(anon, admin, sim):
    admin.get(f"{H}?filter[disposition][]=BUSY&filter[disposition][]=FAILED&count=5")
    record = sim.log.records[-1]
    assert (record.company, record.method, record.path, record.status) == ("acme", "GET", H, 200)
    assert record.query == [
        ("filter[disposition][]", "BUSY"),
        ("filter[disposition][]", "FAILED"),
        ("count", "5"),
    ]
    anon.get("/api/v1/Colleagues?token=support-user-token")
    assert (sim.log.records[-1].company, sim.log.records[-1].status) == ("support", 200)
    anon.get("/api/v1/Colleagues")
    assert (sim.log.records[-1].company, sim.log.records[-1].status) == (None, 401)


# -- data -------------------------------------------------------------------------------------


def test_seeded_data_facts(sim):
    for name, first_ext, first_id in (
        ("acme", 456, 2951800),
        ("office", 2001, 3100000),
        ("support", 3001, 3300000),
    ):
        data = sim.pbx(name)
        exts = {c["extension"] for c in data.colleagues}
        assert exts == {str(first_ext + i) for i in range(data.pbx.colleagues)}
        assert {c["id"] for c in data.colleagues} == {
            str(first_id + i) for i in range(data.pbx.colleagues)
        }
        assert len({c["department"] for c in data.colleagues}) == data.pbx.departments
        assert data.owner(f"{name}-admin-token")["role"] == "admin"
        assert data.owner(f"{name}-user-token")["role"] == "user"
        for call in data.calls:
            assert all(isinstance(v, str) for v in call.values())
            assert call["src"] in exts or call["dst"] in exts
            if call["dst"] in exts:
                assert (
                    data.colleagues_by_id[str(first_id + int(call["dst"]) - first_ext)]["name"]
                    == call["to_name"]
                )
            assert call["disposition"] in ("ANSWERED", "NO ANSWER", "BUSY", "FAILED")
            assert (call["answer"] != "") == (call["disposition"] == "ANSWERED")
            assert call["start"] <= call["end"] and call["timezone"] == data.pbx.timezone
        days = {c["start"][:10] for c in data.calls}
        assert {"2026-03-16", "2026-03-15"} <= days and min(days) >= "2025-12-15"
        assert max(c["start"] for c in data.calls) < "2026-03-17"
        ids = [int(c["id"]) for c in data.calls]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
    acme = sim.pbx("acme")
    assert len(acme.calls) == 600 and len(acme.colleagues) == 36
    assert (len(sim.pbx("office").calls), len(sim.pbx("support").calls)) == (450, 800)
    assert sim.pbx("support").pbx.timezone == "-0500"
    numbers = {c["from_number"] for c in acme.calls} | {c["to_number"] for c in acme.calls}
    assert "+33797999373" in numbers  # an Aircall acme contact calls this PBX too
    assert any(c["from_number"] == "anonymous" for c in acme.calls)
    yesterday = [c for c in acme.calls if c["start"].startswith("2026-03-15")]
    assert [c["disposition"] for c in yesterday[:2]] == ["NO ANSWER"] * 2


def test_same_seed_and_anchor_give_identical_data(anon, url, sim):
    one, two = (WildixSimulator(anchor=ANCHOR) for _ in range(2))
    for name in ("acme", "office", "support"):
        assert one.pbx(name).calls == two.pbx(name).calls == sim.pbx(name).calls
        assert one.pbx(name).colleagues == two.pbx(name).colleagues
    with serve_in_thread(one.app) as served:
        pages = [
            anon.get(f"{base}{H}?start=100&count=50&token=office-admin-token").text
            for base in (url, served.url)
        ]
    assert pages[0] == pages[1]
    acme = default_pbxes()[0]
    assert generate(replace(acme, seed=99), ANCHOR).calls != one.pbx("acme").calls
    later = generate(acme, ANCHOR + dt.timedelta(days=7))
    assert later.calls[-1]["start"].startswith("2026-03-23")


def test_the_regular_caller_rings_first_the_day_before_the_anchor():
    """acme's regular caller (also a contact of the Aircall demo company) is the first missed
    call of the day before the anchor; every other call is drawn exactly as without one."""
    acme, office, _ = default_pbxes()
    data = generate(acme, ANCHOR)
    plain = generate(replace(acme, regular_caller=None), ANCHOR)
    changed = [(a, b) for a, b in zip(data.calls, plain.calls, strict=True) if a != b]
    assert len(changed) == 1
    call, before = changed[0]
    assert call["src"] == call["from_number"] == acme.regular_caller != before["src"]
    assert call["from_name"] == "Emma Michel"
    same = ("src", "from_number", "from_name")
    assert {k: v for k, v in call.items() if k not in same} == {
        k: v for k, v in before.items() if k not in same
    }
    day_before = [c for c in data.calls if c["start"].startswith("2026-03-15")]
    assert day_before[0] is call and call["disposition"] == "NO ANSWER"
    # a number that is not among the PBX's regular callers changes nothing
    assert generate(replace(office, regular_caller=acme.regular_caller), ANCHOR).calls == (
        generate(office, ANCHOR).calls
    )


def test_2500_calls_generate_fast_and_page_in_milliseconds():
    big = replace(default_pbxes()[0], calls=2_500)
    start = time.perf_counter()
    data = generate(big, ANCHOR)
    # generous bounds (a busy machine stalls): they catch a quadratic slip, not a few percent
    assert time.perf_counter() - start < 3.0 and len(data.calls) == 2_500
    best = float("inf")
    for page in range(20):
        start = time.perf_counter()
        result = list_result(CALLS, [("start", str(page * 100)), ("count", "100")], data.calls)
        json.dumps(result)
        best = min(best, time.perf_counter() - start)
        assert len(result["records"]) == 100
    assert best < 0.05


# -- CLI --------------------------------------------------------------------------------------


def test_cli_simulate_wildix_serves_until_ctrl_c(anon):
    proc = subprocess.Popen(
        [sys.executable, "-m", "luagate", "simulate", "wildix", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    try:
        first = lines.get(timeout=30)
        assert first.startswith("Wildix simulator at http://127.0.0.1:"), first
        served = first.split()[3]
        described = [lines.get(timeout=5) for _ in range(4)]
        assert "acme-admin-token" in described[0] and "office-user-token" in described[1]
        assert "support-admin-token" in described[2] and "no rate limit" in described[3]
        acme = build_simulator().pbx("acme")
        before = local_now(acme.pbx, time.time())
        r = anon.get(f"{served}{H}?start=100&count=50&token=acme-admin-token")
        after = local_now(acme.pbx, time.time())
        # another process (another hash seed), the same data: today's anchor, so far
        expected = [
            _desc([c for c in acme.calls if c["start"] <= now])[100:150] for now in (before, after)
        ]
        assert [c["id"] for c in _records(r)] in expected
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- no call before it happens ---------------------------------------------------------------------


def test_calls_that_have_not_started_yet_are_not_served():
    """The anchor day's calls run into the morning: when its first call starts (PBX time), the
    later ones do not exist yet (not in either history, 404 by id); a day later they all do."""
    pbx = Pbx("one", seed=5, admin_tokens=("t1",), user_tokens=("u1",), calls=60, timezone="-0500")
    now = [0.0]
    sim = WildixSimulator((pbx,), anchor=ANCHOR, clock=lambda: now[0])
    data = sim.pbx("one")
    cutoff = next(c["start"] for c in data.calls if c["start"].startswith(ANCHOR.isoformat()))
    utc_minus_5 = dt.timezone(-dt.timedelta(hours=5))
    now[0] = dt.datetime.fromisoformat(cutoff).replace(tzinfo=utc_minus_5).timestamp()
    later = [c for c in data.calls if c["start"] > cutoff]
    assert later and len(later) < len(data.calls), "the anchor day has calls after 07:30"
    with serve_in_thread(sim.app) as served:
        for client in _client(served.url, "t1"):
            listed = _records(client.get(H, params={"count": 1000}))
            assert len(listed) == len(data.calls) - len(later)
            assert max(c["start"] for c in listed) <= cutoff
            assert client.get(f"/api/v1/CallHistory/{later[0]['id']}").status_code == 404
            now[0] += 86_400
            assert len(_records(client.get(H, params={"count": 1000}))) == len(data.calls)
            assert client.get(f"/api/v1/CallHistory/{later[0]['id']}").status_code == 200
        now[0] -= 86_400
        for client in _client(served.url, "u1"):
            mine = _records(client.get("/api/v1/CallHistory", params={"count": 1000}))
            assert all(c["start"] <= cutoff for c in mine)
