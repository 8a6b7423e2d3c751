"""The Aircall simulator over real loopback HTTP: auth, companies, lists, limits, faults, CLI."""

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

from luagate.cli import main
from luagate.providers.aircall.sim_data import Company, default_companies, generate
from luagate.providers.aircall.sim_phones import display, normalize
from luagate.providers.aircall.simulator import AircallSimulator, build_simulator
from luagate.providers.simulation.serve import serve_in_thread
from luagate.providers.simulation.window import FixedWindowCounter

ANCHOR = dt.date(2026, 3, 16)
ANCHOR_TS = 1_773_619_200  # 2026-03-16T00:00:00Z
ACME_AUTH = ("acme-api-id", "acme-api-token")
GLOBEX_AUTH = ("globex-api-id", "globex-api-token")
TINY = Company(
    "tiny",
    seed=3,
    api_keys=(("tiny-id", "tiny-token"),),
    rate_limit=5,
    rate_window_s=2,
    calls=20,
    contacts=3,
    users=2,
    numbers=1,
    tags=1,
    call_id_base=3_000_000,
)
BIG = Company(
    "big",
    seed=4,
    api_keys=(("big-id", "big-token"),),
    rate_limit=10_000,
    calls=10_050,
    contacts=2,
    users=2,
    numbers=1,
    tags=1,
    call_id_base=4_000_000,
)


@pytest.fixture(scope="module")
def sim():
    acme, globex = (replace(c, rate_limit=10_000) for c in default_companies())
    return AircallSimulator([acme, globex, TINY, BIG], anchor=ANCHOR)


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
    """A client without credentials (creating clients is slow: one per module)."""
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def acme(url):
    with httpx.Client(base_url=url, auth=ACME_AUTH, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def globex(url):
    with httpx.Client(base_url=url, auth=GLOBEX_AUTH, timeout=10) as client:
        yield client


def _phone(text: str) -> str:
    return text.replace("+", "%2B").replace(" ", "%20")


# -- auth and companies ---------------------------------------------------------------------


def test_auth_401_without_or_with_unsupported_credentials_403_with_wrong_ones(anon):
    assert anon.get("/").json()["resource"] == "Aircall Documentation"
    for headers in ({}, {"Authorization": "Token abc"}, {"Authorization": "Bearer"}):
        r = anon.get("/v1/ping", headers=headers)
        assert (r.status_code, r.json()) == (401, {"message": "Unauthorized"})
    for auth in (("acme-api-id", "wrong"), ("nobody", "acme-api-token")):
        r = anon.get("/v1/ping", auth=auth)
        assert (r.status_code, r.json()) == (403, {"message": "Forbidden"})
    r = anon.get("/v1/ping", headers={"Authorization": "Bearer not-a-token"})
    assert (r.status_code, r.json()) == (403, {"message": "Forbidden"})
    r = anon.get("/v1/ping", headers={"Authorization": "Basic %%%"})
    assert r.status_code == 403
    assert anon.get("/v1/ping", auth=ACME_AUTH).json() == {"ping": "pong"}
    bearer = {"Authorization": "Bearer acme-oauth-token"}
    assert anon.get("/v1/ping", headers=bearer).json() == {"ping": "pong"}


def test_credentials_select_the_company_and_its_data(anon, acme, globex):
    assert acme.get("/v1/company").json() == {
        "company": {"name": "Acme", "users_count": 8, "numbers_count": 4}
    }
    assert globex.get("/v1/company").json()["company"]["name"] == "Globex"
    bearer = {"Authorization": "Bearer globex-oauth-token"}
    assert anon.get("/v1/company", headers=bearer).json()["company"]["name"] == "Globex"
    assert acme.get("/v1/calls").json()["calls"][0]["id"] == 12_000
    assert globex.get("/v1/calls").json()["calls"][0]["id"] == 880_000
    assert globex.get("/v1/calls/12345").status_code == 404
    assert acme.get("/v1/calls/880000").status_code == 404


def test_unknown_paths_and_removed_v1_users_are_edge_404s(acme):
    for path in ("/v1/nope", "/v1/users", "/v1/users/2300", "/v1/calls/abc", "/v1/calls/"):
        r = acme.get(path)
        assert (r.status_code, r.json()) == (404, {"message": "Not Found"}), path
    assert acme.get("/v1/calls/99").json() == {
        "error": "Not Found",
        "troubleshoot": "Call 99 not found",
    }


# -- lists -------------------------------------------------------------------------------------


def test_list_envelope_with_absolute_links_that_keep_the_query(url, acme):
    body = acme.get("/v1/calls", params={"order": "desc"}).json()
    assert set(body) == {"calls", "meta"}
    assert body["meta"] == {
        "count": 20,
        "total": 400,
        "current_page": 1,
        "per_page": 20,
        "next_page_link": f"{url}/v1/calls?page=2&per_page=20&order=desc",
        "previous_page_link": None,
    }
    first = body["calls"][0]
    assert first["direct_link"] == f"{url}/v1/calls/{first['id']}"
    assert first["number"]["direct_link"].startswith(f"{url}/v1/numbers/")
    second = acme.get(body["meta"]["next_page_link"]).json()
    assert second["meta"]["current_page"] == 2
    assert second["meta"]["previous_page_link"] == f"{url}/v1/calls?page=1&per_page=20&order=desc"
    assert second["calls"][0]["id"] == body["calls"][-1]["id"] - 1


def test_paging_to_the_last_page(acme, sim):
    ids, link, pages = [], "/v1/calls?per_page=30", 0
    while link:
        meta_page = acme.get(link).json()
        ids += [c["id"] for c in meta_page["calls"]]
        link, pages = meta_page["meta"]["next_page_link"], pages + 1
    assert pages == 14
    assert meta_page["meta"]["count"] == 10  # 400 = 13 * 30 + 10
    assert ids == [c["id"] for c in sim.company("acme").calls] == list(range(12_000, 12_400))
    beyond = acme.get("/v1/calls", params={"page": 15, "per_page": 30}).json()
    assert beyond["calls"] == [] and beyond["meta"]["next_page_link"] is None


@pytest.mark.parametrize(
    "params",
    [{"per_page": 51}, {"per_page": 0}, {"per_page": "ten"}, {"page": 0}, {"page": "2.5"}],
)
def test_bad_paging_is_400(acme, params):
    r = acme.get("/v1/calls", params=params)
    assert r.status_code == 400
    assert r.json()["error"] == "Invalid payload"


def test_pagination_stops_at_10000_records(url):
    with httpx.Client(base_url=url, auth=("big-id", "big-token")) as big:
        last = big.get("/v1/calls", params={"page": 200, "per_page": 50}).json()["meta"]
        assert (last["total"], last["count"], last["next_page_link"]) == (10_050, 50, None)
        before = big.get("/v1/calls", params={"page": 199, "per_page": 50}).json()["meta"]
        assert before["next_page_link"] is not None
        partial = big.get("/v1/calls", params={"page": 334, "per_page": 30}).json()
        assert partial["meta"]["count"] == 10  # records 9,991..10,000, not beyond
        assert partial["calls"][-1]["id"] == 4_000_000 + 9_999
        r = big.get("/v1/calls", params={"page": 201, "per_page": 50})
        assert r.status_code == 400
        assert r.json() == {
            "error": "Invalid page",
            "troubleshoot": "Pagination is limited to 10,000 records: narrow the results with "
            "from and to",
        }
        narrowed = big.get("/v1/calls", params={"from": ANCHOR_TS - 86_400, "per_page": 50})
        assert 0 < narrowed.json()["meta"]["total"] < 10_000


def test_from_to_are_inclusive_unix_seconds_and_iso_finds_nothing(acme, sim):
    calls = sim.company("acme").calls
    low, high = calls[100]["started_at"], calls[109]["started_at"]
    expected = [c["id"] for c in calls if low <= c["started_at"] <= high]
    body = acme.get("/v1/calls", params={"from": low, "to": high, "per_page": 50}).json()
    assert [c["id"] for c in body["calls"]] == expected
    assert body["meta"]["total"] == len(expected) >= 10
    exact = acme.get("/v1/calls", params={"from": low, "to": low}).json()["calls"]
    assert calls[100]["id"] in [c["id"] for c in exact]
    iso = acme.get("/v1/calls", params={"from": "2026-01-01T00:00:00Z"})
    assert iso.status_code == 200
    assert iso.json()["calls"] == [] and iso.json()["meta"]["total"] == 0


def test_order_is_asc_by_default_and_desc_on_request(acme):
    asc = acme.get("/v1/calls").json()["calls"]
    desc = acme.get("/v1/calls", params={"order": "desc"}).json()["calls"]
    assert asc[0]["id"] == 12_000 and desc[0]["id"] == 12_399
    assert [c["started_at"] for c in asc] == sorted(c["started_at"] for c in asc)
    assert [c["started_at"] for c in desc] == sorted((c["started_at"] for c in desc), reverse=True)
    assert acme.get("/v1/calls", params={"order": "newest"}).status_code == 400


# -- calls ---------------------------------------------------------------------------------


def test_calls_ignores_filters_but_search_honours_direction(acme, sim):
    listed = acme.get("/v1/calls", params={"direction": "inbound", "per_page": 50}).json()
    assert listed["meta"]["total"] == 400
    assert {c["direction"] for c in listed["calls"]} == {"inbound", "outbound"}
    inbound = [c for c in sim.company("acme").calls if c["direction"] == "inbound"]
    found = acme.get("/v1/calls/search", params={"direction": "inbound", "per_page": 50}).json()
    assert found["meta"]["total"] == len(inbound) > 150
    assert {c["direction"] for c in found["calls"]} == {"inbound"}


def test_search_by_user_and_phone_number(acme, sim):
    calls = sim.company("acme").calls
    call = sim.company("acme").calls_by_id[12_345]
    user_id = call["user"]["id"]
    found = acme.get("/v1/calls/search", params={"user_id": user_id, "per_page": 50}).json()
    assert found["meta"]["total"] == sum(1 for c in calls if (c["user"] or {}).get("id") == user_id)
    assert {c["user"]["id"] for c in found["calls"]} == {user_id}
    compact = call["raw_digits"].replace(" ", "")
    by_phone = acme.get("/v1/calls/search", params={"phone_number": compact}).json()["calls"]
    assert 12_345 in [c["id"] for c in by_phone]
    assert {normalize(c["raw_digits"]) for c in by_phone} == {compact}


def test_search_tags_are_repeated_ids_combined_with_and(acme, sim):
    calls = sim.company("acme").calls
    pair = next(c["tags"] for c in calls if len(c["tags"]) == 2)
    a, b = pair[0]["id"], pair[1]["id"]
    both = [c["id"] for c in calls if {a, b} <= {t["id"] for t in c["tags"]}]
    only_a = [c["id"] for c in calls if a in {t["id"] for t in c["tags"]}]
    r = acme.get(f"/v1/calls/search?tags[]={a}&tags[]={b}&per_page=50").json()
    assert [c["id"] for c in r["calls"]] == both
    r = acme.get(f"/v1/calls/search?tags[]={a}&per_page=50").json()
    assert r["meta"]["total"] == len(only_a) > len(both)
    assert acme.get(f"/v1/calls/search?tags[]={a},{b}").json()["meta"]["total"] == 0
    assert acme.get(f"/v1/calls/search?tags={a}").json()["meta"]["total"] == 0


def test_fetch_contact_fills_the_contact_only_when_asked(acme, sim):
    data = sim.company("acme")
    phones = {normalize(p["value"]): c for c in data.contacts.values() for p in c["phone_numbers"]}
    call = next(c for c in data.calls if normalize(c["raw_digits"]) in phones)
    contact = phones[normalize(call["raw_digits"])]
    plain = acme.get(f"/v1/calls/{call['id']}").json()["call"]
    assert plain["contact"] is None
    fetched = acme.get(f"/v1/calls/{call['id']}", params={"fetch_contact": "true"}).json()
    assert fetched["call"]["contact"]["id"] == contact["id"]
    anonymous = next(c for c in data.calls if c["raw_digits"] == "anonymous")
    r = acme.get(f"/v1/calls/{anonymous['id']}", params={"fetch_contact": "true"}).json()
    assert r["call"]["contact"] is None


def test_get_call_12345_is_an_answered_call_with_every_field(url, acme):
    call = acme.get("/v1/calls/12345").json()["call"]
    assert call["id"] == 12_345 and call["direct_link"] == f"{url}/v1/calls/12345"
    assert call["answered_at"] is not None and call["raw_digits"] != "anonymous"
    assert call["status"] == "done" and call["user"]["name"]
    fields = {
        *("sid", "direction", "missed_call_reason", "started_at", "ended_at", "duration"),
        *("voicemail", "recording", "asset", "archived", "cost", "country_code_a2"),
        *("pricing_type", "assigned_to", "transferred_by", "transferred_to", "contact"),
        *("number", "teams", "comments", "tags", "participants"),
    }
    assert fields <= set(call)
    assert set(call["user"]) == {
        "id",
        "direct_link",
        "name",
        "email",
        "available",
        "availability_status",
    }


# -- contacts ------------------------------------------------------------------------------


def test_contacts_search_by_phone_or_email_only(acme, sim):
    contact = sim.company("acme").contacts[5678]
    e164 = contact["phone_numbers"][0]["value"]
    for form in (e164, display(e164), display(e164).replace(" ", "-"), "00" + e164[1:]):
        found = acme.get("/v1/contacts/search", params={"phone_number": form}).json()
        assert 5678 in [c["id"] for c in found["contacts"]], form
    with_email = next(c for c in sim.company("acme").contacts.values() if c["emails"])
    email = with_email["emails"][0]["value"].upper()
    found = acme.get("/v1/contacts/search", params={"email": email}).json()["contacts"]
    assert [c["id"] for c in found] == [with_email["id"]]
    r = acme.get("/v1/contacts/search", params={"q": "John"})
    assert r.status_code == 400 and r.json()["error"] == "Invalid payload"
    everyone = acme.get("/v1/contacts").json()["meta"]["total"]
    assert acme.get("/v1/contacts", params={"q": "John"}).json()["meta"]["total"] == everyone


def test_contacts_order_by_updated_at(globex, sim):
    contacts = sim.company("globex").contacts.values()
    newest = max(contacts, key=lambda c: (c["updated_at"], c["id"]))
    r = globex.get("/v1/contacts", params={"order": "desc", "order_by": "updated_at"}).json()
    assert r["contacts"][0]["id"] == newest["id"]
    assert globex.get("/v1/contacts", params={"order_by": "name"}).status_code == 400


def test_create_contact(acme):
    payload = {
        "first_name": "Jane",
        "last_name": "Smith",
        "company_name": "Acme Corp",
        "phone_numbers": [{"label": "Work", "value": "+33611111111"}],
        "emails": [{"label": "Work", "value": "jane@acme-corp.example"}],
    }
    r = acme.post("/v1/contacts", json=payload)
    assert r.status_code == 201
    contact = r.json()["contact"]
    assert contact["first_name"] == "Jane" and contact["is_shared"] is True
    assert contact["phone_numbers"][0]["value"] == "+33611111111"
    assert isinstance(contact["phone_numbers"][0]["id"], int)
    assert acme.get(f"/v1/contacts/{contact['id']}").json()["contact"] == contact
    again = acme.post("/v1/contacts", json=payload).json()["contact"]  # no upsert
    assert again["id"] == contact["id"] + 1


@pytest.mark.parametrize(
    "payload",
    [
        {"first_name": "No phone"},
        {"phone_numbers": []},
        {"phone_numbers": [{"label": "Work"}]},
        {"phone_numbers": [{"label": " ", "value": "+33611111111"}]},
        {"phone_numbers": [{"label": "Work", "value": f"+3361111{i:04}"} for i in range(21)]},
        {
            "phone_numbers": [{"label": "Work", "value": "+33611111111"}],
            "emails": [{"label": "Work", "value": f"a{i}@x.example"} for i in range(21)],
        },
    ],
)
def test_create_contact_validation(acme, sim, payload):
    before = len(sim.company("acme").contacts)
    r = acme.post("/v1/contacts", json=payload)
    assert r.status_code == 400 and r.json()["error"] == "Invalid payload"
    assert len(sim.company("acme").contacts) == before


def test_create_contact_needs_json_content_type(acme):
    body = json.dumps({"phone_numbers": [{"label": "Work", "value": "+33611111111"}]})
    r = acme.post("/v1/contacts", content=body, headers={"Content-Type": "text/plain"})
    assert r.status_code == 400


def test_update_contact_is_a_post_of_scalar_fields(acme):
    phones = [{"label": "Work", "value": "+33622222222"}]
    contact = acme.post("/v1/contacts", json={"phone_numbers": phones}).json()["contact"]
    path = f"/v1/contacts/{contact['id']}"
    change = {
        "company_name": "New Corp",
        "information": "VIP client",
        "phone_numbers": [{"label": "Home", "value": "+33633333333"}],
    }
    r = acme.post(path, json=change)
    assert r.status_code == 200
    updated = r.json()["contact"]
    assert (updated["company_name"], updated["information"]) == ("New Corp", "VIP client")
    assert [p["value"] for p in updated["phone_numbers"]] == ["+33622222222"]  # ignored
    assert updated["updated_at"] >= contact["updated_at"]
    assert acme.post(path, json={"first_name": "  "}).status_code == 400
    r = acme.put(path, json={"first_name": "Put"})
    assert (r.status_code, r.json()) == (404, {"message": "Not Found"})
    assert acme.delete(path).status_code == 204
    assert acme.get(path).status_code == 404
    assert acme.post("/v1/contacts/1", json={"first_name": "X"}).status_code == 404


@pytest.mark.parametrize(
    ("kind", "key", "value", "new_value"),
    [
        ("phone_details", "phone_numbers", "+33644444444", "+33655555555"),
        ("email_details", "emails", "a@b.example", "c@d.example"),
    ],
)
def test_phone_and_email_details(acme, kind, key, value, new_value):
    phones = [{"label": "Work", "value": "+33600000001"}]
    contact = acme.post("/v1/contacts", json={"phone_numbers": phones}).json()["contact"]
    base = f"/v1/contacts/{contact['id']}/{kind}"
    r = acme.post(base, json={"label": "Home", "value": value})
    assert r.status_code == 201
    entry = r.json()["contact"][key][-1]
    assert (entry["label"], entry["value"]) == ("Home", value)
    r = acme.put(f"{base}/{entry['id']}", json={"value": new_value})
    assert r.status_code == 200
    assert r.json()["contact"][key][-1] == {**entry, "value": new_value}
    assert acme.delete(f"{base}/{entry['id']}").status_code == 204
    after = acme.get(f"/v1/contacts/{contact['id']}").json()["contact"][key]
    assert entry["id"] not in [e["id"] for e in after]
    assert acme.delete(f"{base}/{entry['id']}").status_code == 404
    assert acme.post(base, json={"label": "Home"}).status_code == 400


# -- users, numbers, tags, integration ------------------------------------------------------


def test_v2_users_by_id_and_email_and_their_numbers(acme, sim):
    users = acme.get("/v2/users", params={"per_page": 50}).json()
    assert users["meta"]["total"] == 8
    first = users["users"][0]
    assert "first_name" not in first and "numbers" not in first
    assert first["created_at"].endswith(".000Z") and " " in first["name"]
    assert acme.get(f"/v2/users/{first['id']}").json()["user"] == first
    assert acme.get(f"/v2/users/{first['email'].upper()}").json()["user"] == first
    assert acme.get("/v2/users/nobody@acme.example").status_code == 404
    numbers = acme.get(f"/v2/users/{first['id']}/numbers").json()["numbers"]
    assert numbers and all(first["id"] in [u["id"] for u in n["users"]] for n in numbers)


def test_numbers_and_tags(acme):
    numbers = acme.get("/v1/numbers").json()
    assert numbers["meta"]["total"] == 4
    number = numbers["numbers"][0]
    assert number["name"] == "Paris Support" and number["digits"].startswith("+33 ")
    assert {"messages", "users", "time_zone", "availability_status"} <= set(number)
    assert acme.get(f"/v1/numbers/{number['id']}").json()["number"] == number
    tags = acme.get("/v1/tags").json()
    assert tags["meta"]["total"] == 6 and tags["tags"][0]["name"] == "VIP"
    assert acme.get(f"/v1/tags/{tags['tags'][0]['id']}").json()["tag"] == tags["tags"][0]
    assert acme.get("/v1/tags/1").status_code == 404


def test_integrations_me_needs_oauth(anon, acme):
    bearer = {"Authorization": "Bearer acme-oauth-token"}
    integration = anon.get("/v1/integrations/me", headers=bearer).json()["integration"]
    assert integration["company_id"] == 41_001 and integration["active"] is True
    assert integration["user"]["id"] == 2_300
    assert integration["numbers_count"] == len(integration["number_ids"]) == 4
    r = acme.get("/v1/integrations/me")
    assert r.status_code == 403
    assert r.json() == {
        "error": "Forbidden",
        "troubleshoot": "Only OAuth integrations have an integration record",
    }


# -- rate limit ----------------------------------------------------------------------------


def test_window_counter_is_aligned_and_ignores_rejected_requests():
    now = [100.0]
    counter = FixedWindowCounter(2, 10, clock=lambda: now[0])
    assert counter.hit("a") == (True, 2, 1, 110)
    assert counter.hit("a") == (True, 2, 0, 110)
    now[0] = 109.9
    assert counter.hit("a") == (False, 2, 0, 110)
    assert counter.hit("b").allowed
    now[0] = 110.0
    assert counter.hit("a") == (True, 2, 1, 120)
    assert counter.peek("a") == (True, 2, 1, 120)


def test_rate_limit_per_company(url, acme):
    window = TINY.rate_window_s
    if window - time.time() % window < 0.8:  # start with most of a window ahead
        time.sleep(window - time.time() % window + 0.02)
    with httpx.Client(base_url=url, auth=("tiny-id", "tiny-token")) as tiny:
        for _ in range(5):
            r = tiny.get("/v1/ping")
            assert r.status_code == 200
            assert "X-AircallApi-Limit" not in r.headers
        r = tiny.get("/v1/ping")
        assert r.status_code == 429
        assert r.json()["error"] == "Too Many Requests"
        assert (r.headers["X-AircallApi-Limit"], r.headers["X-AircallApi-Remaining"]) == ("5", "0")
        reset = int(r.headers["X-AircallApi-Reset"])
        assert reset % window == 0 and time.time() < reset <= time.time() + window
        assert acme.get("/v1/ping").status_code == 200  # another company's window
        time.sleep(reset - time.time() + 0.05)
        assert tiny.get("/v1/ping").status_code == 200


# -- faults --------------------------------------------------------------------------------


def test_fault_latency(acme, sim):
    sim.faults.inject("latency", path="/v1/ping", delay_s=0.3)
    start = time.monotonic()
    r = acme.get("/v1/ping")
    assert r.json() == {"ping": "pong"} and time.monotonic() - start >= 0.3


def test_fault_error_counts_down_and_matches_path_and_method(acme, sim):
    sim.faults.inject("error", path="/v1/ping", times=2)
    sim.faults.inject("error", path="/v1/company", method="POST", status=503)
    assert acme.get("/v1/company").status_code == 200
    for _ in range(2):
        r = acme.get("/v1/ping")
        assert r.status_code == 500
        assert r.json()["error"] == "Internal Server Error" and r.json()["troubleshoot"]
    assert acme.get("/v1/ping").status_code == 200
    assert len(sim.faults.pending) == 1


def test_fault_html_and_malformed(acme, sim):
    sim.faults.inject("html", path="/v1/calls")
    r = acme.get("/v1/calls")
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in r.text
    sim.faults.inject("malformed", path="/v1/calls")
    r = acme.get("/v1/calls")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(ValueError):
        r.json()


def test_fault_rate_limit_with_retry_after(acme, sim):
    sim.faults.inject("rate_limit", path="/v1/ping", retry_after_s=1)
    r = acme.get("/v1/ping")
    assert r.status_code == 429 and r.json()["error"] == "Too Many Requests"
    assert r.headers["Retry-After"] == "1"
    assert r.headers["X-AircallApi-Limit"] == "10000"
    assert r.headers["X-AircallApi-Remaining"] == "0"
    assert int(r.headers["X-AircallApi-Reset"]) >= time.time()


def test_fault_timeout_does_not_block_other_requests(anon, acme, sim):
    sim.faults.inject("timeout", path="/v1/company", delay_s=3)
    logged = len(sim.log.matching("GET", "/v1/company"))
    outcome: list[object] = []

    def slow() -> None:
        try:
            anon.get("/v1/company", auth=ACME_AUTH, timeout=0.5)
        except httpx.TimeoutException as e:
            outcome.append(e)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.1)
    start = time.monotonic()
    assert acme.get("/v1/ping").status_code == 200
    assert time.monotonic() - start < 2.0  # a blocked server would answer after the 3 s delay
    thread.join(5)
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.ReadTimeout)
    record = sim.log.matching("GET", "/v1/company")[logged]  # logged on arrival
    deadline = time.monotonic() + 3
    while record.status is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert record.status == 499  # the client left before the answer
    sim.faults.inject("timeout", path="/v1/company", delay_s=0.2)
    r = acme.get("/v1/company")
    assert (r.status_code, r.json()) == (504, {"message": "Endpoint request timed out"})


def test_fault_after_handling_the_write_happened(acme, sim):
    sim.faults.inject("error", path="/v1/contacts", method="POST", after_handling=True)
    phones = [{"label": "Work", "value": "+33677777777"}]
    r = acme.post("/v1/contacts", json={"last_name": "Once", "phone_numbers": phones})
    assert r.status_code == 500
    found = acme.get("/v1/contacts/search", params={"phone_number": "+33677777777"}).json()
    assert [c["last_name"] for c in found["contacts"]] == ["Once"]
    posts = [
        rec
        for rec in sim.log.matching("POST", "/v1/contacts")
        if rec.json.get("phone_numbers") == phones
    ]
    assert [rec.status for rec in posts] == [500]


def test_request_log_records_what_was_sent(anon, acme, sim):
    acme.get("/v1/calls/search?tags[]=4100&tags[]=4101&per_page=5")
    record = sim.log.records[-1]
    assert (record.company, record.method, record.path) == ("acme", "GET", "/v1/calls/search")
    assert record.query == [("tags[]", "4100"), ("tags[]", "4101"), ("per_page", "5")]
    assert record.status == 200 and record.json is None
    anon.get("/v1/ping")
    assert (sim.log.records[-1].company, sim.log.records[-1].status) == (None, 401)


# -- data ----------------------------------------------------------------------------------


def test_seeded_data_facts(sim):
    data = sim.company("acme")
    assert len(data.calls) == 400 and 5678 in data.contacts and len(data.contacts) >= 80
    yesterday = [c for c in data.calls if ANCHOR_TS - 86_400 <= c["started_at"] < ANCHOR_TS]
    missed = [c for c in yesterday if c["direction"] == "inbound" and c["answered_at"] is None]
    assert len(missed) >= 2 and all(c["missed_call_reason"] for c in missed)
    assert any(ANCHOR_TS <= c["started_at"] < ANCHOR_TS + 86_400 for c in data.calls)
    assert data.calls[0]["started_at"] > ANCHOR_TS - 183 * 86_400
    assert sum(c["first_name"] == "John" for c in data.contacts.values()) >= 2
    seeded = [c for cid, c in data.contacts.items() if cid < 5_680]  # not the tests' own
    assert len(seeded) == 80 and all(c["first_name"] and c["last_name"] for c in seeded)
    assert any(c["raw_digits"] == "anonymous" for c in data.calls)
    assert any(c["voicemail"] for c in data.calls)


def test_same_seed_and_anchor_serve_identical_data(anon, url, sim):
    one, two = (AircallSimulator(anchor=ANCHOR) for _ in range(2))
    assert one.company("acme").calls == two.company("acme").calls
    assert one.company("globex").contacts == two.company("globex").contacts
    with serve_in_thread(one.app) as served:  # the module's simulator: same seed, other limits
        pages = [
            anon.get(f"{base}/v1/calls?page=3&per_page=50", auth=ACME_AUTH).text.replace(base, "B")
            for base in (url, served.url)
        ]
    assert pages[0] == pages[1] and "B/v1/calls/" in pages[0]
    other_seed = generate(replace(default_companies()[0], seed=99), ANCHOR)
    assert other_seed.calls != one.company("acme").calls


def test_the_regular_caller_rings_first_the_day_before_the_anchor():
    """acme's regular caller (also a regular of the Wildix demo PBX) is the first missed call
    of the day before the anchor; every other call is drawn exactly as without one."""
    acme, globex = default_companies()
    data = generate(acme, ANCHOR)
    plain = generate(replace(acme, regular_caller=None), ANCHOR)
    assert len(data.calls) == len(plain.calls)
    changed = [(a, b) for a, b in zip(data.calls, plain.calls, strict=True) if a != b]
    assert len(changed) == 1
    call, before = changed[0]
    assert call["raw_digits"] == display(acme.regular_caller) != before["raw_digits"]
    assert {k: v for k, v in call.items() if k not in ("raw_digits", "country_code_a2")} == {
        k: v for k, v in before.items() if k not in ("raw_digits", "country_code_a2")
    }
    day_before = [c for c in data.calls if ANCHOR_TS - 86_400 <= c["started_at"] < ANCHOR_TS]
    missed = [c for c in day_before if c["missed_call_reason"]]
    assert missed[0] is call and call["direction"] == "inbound"
    phones = {p["value"] for c in data.contacts.values() for p in c["phone_numbers"]}
    assert acme.regular_caller in {normalize(p) for p in phones} | phones
    # a number that is not one of the company's contacts changes nothing
    assert generate(replace(globex, regular_caller=acme.regular_caller), ANCHOR).calls == (
        generate(globex, ANCHOR).calls
    )


# -- CLI -----------------------------------------------------------------------------------


def test_cli_simulate_serves_until_ctrl_c(anon):
    proc = subprocess.Popen(
        [sys.executable, "-m", "luagate", "simulate", "aircall", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stderr], daemon=True).start()
    try:
        first = lines.get(timeout=30)
        assert first.startswith("Aircall simulator at http://127.0.0.1:"), first
        served = first.split()[3]
        credentials = lines.get(timeout=5)
        assert "acme-api-id" in credentials and "acme-oauth-token" in credentials
        r = anon.get(f"{served}/v1/calls?page=2&per_page=50", auth=ACME_AUTH)
        # another process (another hash seed), the same data: today's anchor, seed 1
        expected = build_simulator().company("acme").calls[50:100]
        assert [(c["id"], c["started_at"], c["raw_digits"]) for c in r.json()["calls"]] == [
            (c["id"], c["started_at"], c["raw_digits"]) for c in expected
        ]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_cli_simulate_usage_errors(capsys):
    assert main(["simulate", "nosuch"]) == 2
    assert "nosuch" in capsys.readouterr().err
    assert main(["simulate", "aircall", "--rate-limit", "fast"]) == 2
    assert "--rate-limit" in capsys.readouterr().err


# -- no call before it happens ---------------------------------------------------------------------


def test_calls_that_have_not_started_yet_are_not_served():
    """The anchor day's calls run into the morning: at 07:00 UTC on it, the later ones do not
    exist yet (not listed, not searched, 404 by id); a day later they all do."""
    now = [ANCHOR_TS + 7 * 3600]
    tiny = AircallSimulator([TINY], anchor=ANCHOR, clock=lambda: now[0])
    everything = tiny.company("tiny").calls
    later = [c for c in everything if c["started_at"] > now[0]]
    assert later and len(later) < len(everything), "the anchor day has calls after 07:00"
    with serve_in_thread(tiny.app) as served:
        client = httpx.Client(base_url=served.url, auth=("tiny-id", "tiny-token"), timeout=10)
        with client:
            for path in ("/v1/calls", "/v1/calls/search"):
                listed = client.get(path, params={"per_page": 50}).json()
                assert listed["meta"]["total"] == len(everything) - len(later), path
                assert all(c["started_at"] <= now[0] for c in listed["calls"]), path
            assert client.get(f"/v1/calls/{later[0]['id']}").status_code == 404
            now[0] += 86_400
            assert client.get("/v1/calls").json()["meta"]["total"] == len(everything)
            assert client.get(f"/v1/calls/{later[0]['id']}").status_code == 200
