"""The 8 Aircall functions end to end: Lua or the gateway → the Aircall client → the HTTP layer →
real loopback HTTP → the Aircall simulator. Each mapping between the agent-facing contract and the
real API is checked in what the simulator actually received."""

from __future__ import annotations

import datetime as dt

import pytest
from aircall_helpers import ANCHOR, make_gateway, requests_to, served, simulator  # noqa: F401

from luagate.providers.aircall.spec import SPEC


@pytest.fixture
def gateway(tmp_path, served, simulator):
    acme = simulator.company("acme")
    return make_gateway(tmp_path, served[1], extra={"user_email": acme.users[0]["email"]})


def ok(envelope):
    assert envelope["success"], envelope["error"]
    return envelope["data"]


def lua(gateway, code, **kw):
    execution = gateway.run_lua(code, **kw)
    assert execution.success, execution.error
    return execution


# -- the reference's examples, unchanged -----------------------------------------------------------

EXAMPLES = [(f.name, e.code) for f in SPEC.functions for e in f.examples]


@pytest.mark.parametrize(("name", "code"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_every_reference_example_runs_unchanged(gateway, simulator, name, code):
    execution = lua(gateway, code)
    assert execution.output.strip(), "every example prints something"
    assert len(simulator.log) >= 1  # it reached the (simulated) API
    assert all(r.status < 400 for r in simulator.log.records)


# -- list_calls ------------------------------------------------------------------------------------


def test_list_calls_sends_unix_seconds_and_an_explicit_order(gateway, simulator):
    data = ok(
        gateway.call(
            "aircall.list_calls",
            {"from": "2026-11-01T00:00:00Z", "to": "2026-11-10", "per_page": 50},
        )
    )
    [request] = requests_to(simulator, "/v1/calls")
    assert request.param("from") == "1793491200"
    # a bare date as the end means its whole day: until 23:59:59 UTC
    end_of_day = int(dt.datetime(2026, 11, 10, 23, 59, 59, tzinfo=dt.UTC).timestamp())
    assert request.param("to") == str(end_of_day)
    assert request.param("order") == "desc"
    started = [c["started_at"] for c in data["calls"]]
    assert started and started == sorted(started, reverse=True)
    assert all(1793491200 <= s <= end_of_day for s in started)
    # UNIX seconds are accepted as well, as an integer or digits, and taken as written
    again = ok(gateway.call("aircall.list_calls", {"from": 1793491200, "to": str(end_of_day)}))
    assert requests_to(simulator, "/v1/calls")[-1].param("to") == str(end_of_day)
    assert [c["id"] for c in again["calls"]] == [c["id"] for c in data["calls"][:20]]


def test_from_and_to_on_the_same_bare_date_are_that_whole_day(gateway, simulator):
    day = ANCHOR - dt.timedelta(days=1)
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())
    data = ok(
        gateway.call(
            "aircall.list_calls",
            {"from": day.isoformat(), "to": day.isoformat(), "per_page": 50, "order": "asc"},
        )
    )
    expected = sorted(
        c["id"]
        for c in simulator.company("acme").calls
        if start <= c["started_at"] < start + 86_400
    )
    assert expected, "the simulated day has calls"
    assert sorted(c["id"] for c in data["calls"]) == expected


def test_filters_go_to_the_search_endpoint(gateway, simulator):
    acme = simulator.company("acme")
    user_id = acme.users[1]["id"]
    data = ok(
        gateway.call(
            "aircall.list_calls",
            {"direction": "inbound", "user_id": user_id, "per_page": 50},
        )
    )
    [request] = requests_to(simulator, "/v1/calls/search")
    assert request.param("direction") == "inbound" and request.param("user_id") == str(user_id)
    assert data["calls"], "the seeded data has inbound calls for this user"
    assert all(c["direction"] == "inbound" for c in data["calls"])
    assert all(c["user"]["id"] == user_id for c in data["calls"])


def test_tags_by_name_and_id_are_sent_as_repeated_ids(gateway, simulator):
    acme = simulator.company("acme")
    tagged = next(c for c in acme.calls if len(c["tags"]) >= 1)
    tag = tagged["tags"][0]
    data = ok(gateway.call("aircall.list_calls", {"tags": [tag["name"].upper()], "per_page": 50}))
    [request] = requests_to(simulator, "/v1/calls/search")
    assert [v for k, v in request.query if k == "tags[]"] == [str(tag["id"])]
    assert data["calls"] and all(tag["id"] in [t["id"] for t in c["tags"]] for c in data["calls"])
    other = next(t for t in acme.tags if t["id"] != tag["id"])
    simulator.log.clear()
    ok(gateway.call("aircall.list_calls", {"tags": [tag["id"], other["name"]]}))
    [request] = requests_to(simulator, "/v1/calls/search")
    assert [v for k, v in request.query if k == "tags[]"] == [str(tag["id"]), str(other["id"])]


def test_an_unknown_tag_name_lists_the_tags(gateway):
    e = gateway.call("aircall.list_calls", {"tags": ["no-such-tag"]})
    assert e["error"]["type"] == "validation"
    assert "'no-such-tag' is not a tag" in e["error"]["message"]


def test_number_id_is_filtered_honestly_across_pages(gateway, simulator):
    acme = simulator.company("acme")
    number = acme.numbers[-1]
    expected = sorted(
        (c for c in acme.calls if c["number"]["id"] == number["id"]),
        key=lambda c: (c["started_at"], c["id"]),
        reverse=True,
    )
    page2 = ok(
        gateway.call("aircall.list_calls", {"number_id": number["id"], "per_page": 7, "page": 2})
    )
    assert [c["id"] for c in page2["calls"]] == [c["id"] for c in expected[7:14]]
    meta = page2["meta"]
    assert meta["filtered_by"] == "number_id" and meta["current_page"] == 2
    assert meta["has_more"] is (len(expected) > 14)
    assert meta["next_page_link"] is None and meta["scanned"] >= 14
    requests = requests_to(simulator, "/v1/calls")
    assert {r.param("per_page") for r in requests} == {"50"}  # read in Aircall's largest pages


def test_number_id_with_no_match_reads_to_the_end(gateway, simulator):
    data = ok(gateway.call("aircall.list_calls", {"number_id": 1}))  # no such number
    assert data["calls"] == [] and data["meta"]["total"] == 0
    assert data["meta"]["has_more"] is False
    assert data["meta"]["scanned"] == len(simulator.company("acme").calls)


def test_per_page_over_50_is_refused_before_any_request(gateway, simulator):
    e = gateway.call("aircall.list_calls", {"per_page": 51})
    assert e["error"]["type"] == "validation" and "per_page must be <= 50" in e["error"]["message"]
    assert len(simulator.log) == 0


def test_meta_is_passed_through(gateway, simulator):
    data = ok(gateway.call("aircall.list_calls", {"per_page": 5, "page": 2}))
    meta = data["meta"]
    assert meta["current_page"] == 2 and meta["per_page"] == 5 and meta["count"] == 5
    assert meta["total"] == len(simulator.company("acme").calls)
    assert meta["next_page_link"].startswith("http://127.0.0.1:")
    assert "page=3" in meta["next_page_link"]


# -- get_call --------------------------------------------------------------------------------------


def test_get_call_derives_from_and_to_by_direction(gateway, simulator):
    acme = simulator.company("acme")
    inbound = next(
        c for c in acme.calls if c["direction"] == "inbound" and c["raw_digits"][0] == "+"
    )
    outbound = next(c for c in acme.calls if c["direction"] == "outbound")
    anonymous = next((c for c in acme.calls if c["raw_digits"] == "anonymous"), None)
    call = ok(gateway.call("aircall.get_call", {"call_id": inbound["id"]}))["call"]
    assert (call["from"], call["to"]) == (inbound["raw_digits"], inbound["number"]["digits"])
    assert call["sid"] == inbound["sid"]  # the real fields are kept
    call = ok(gateway.call("aircall.get_call", {"call_id": outbound["id"]}))["call"]
    assert (call["from"], call["to"]) == (outbound["number"]["digits"], outbound["raw_digits"])
    if anonymous is not None:
        call = ok(gateway.call("aircall.get_call", {"call_id": anonymous["id"]}))["call"]
        assert "from" not in call and call["to"] == anonymous["number"]["digits"]
    assert requests_to(simulator, f"/v1/calls/{inbound['id']}")


def test_an_unknown_call_is_not_found(gateway):
    e = gateway.call("aircall.get_call", {"call_id": 999})
    assert e["error"]["type"] == "not_found"
    assert "/v1/calls/999" in e["error"]["message"]


# -- contacts --------------------------------------------------------------------------------------


def test_q_as_email_and_as_phone_uses_the_search_endpoint(gateway, simulator):
    contact = simulator.company("acme").contacts[5678]
    email = contact["emails"][0]["value"] if contact["emails"] else None
    phone = contact["phone_numbers"][0]["value"]
    spaced = phone[:3] + " " + phone[3:6] + "-" + phone[6:]
    data = ok(gateway.call("aircall.list_contacts", {"q": spaced}))
    assert 5678 in [c["id"] for c in data["contacts"]]
    [request] = requests_to(simulator, "/v1/contacts/search")
    assert request.param("phone_number") == phone
    if email:
        simulator.log.clear()
        data = ok(gateway.call("aircall.list_contacts", {"q": email.upper()}))
        assert 5678 in [c["id"] for c in data["contacts"]]
        [request] = requests_to(simulator, "/v1/contacts/search")
        assert request.param("email") == email.upper()


def test_q_as_a_name_is_matched_over_the_list(gateway, simulator):
    data = ok(gateway.call("aircall.list_contacts", {"q": "john", "per_page": 50}))
    johns = [
        c
        for c in simulator.company("acme").contacts.values()
        if "john" in f"{c['first_name']} {c['last_name']} {c['company_name']}".lower()
    ]
    assert len(johns) >= 2
    assert sorted(c["id"] for c in data["contacts"]) == sorted(c["id"] for c in johns)
    assert data["meta"]["filtered_by"] == "q" and data["meta"]["total"] == len(johns)
    assert requests_to(simulator, "/v1/contacts") and not requests_to(
        simulator, "/v1/contacts/search"
    )


def test_create_contact_posts_once_and_returns_the_contact(gateway, simulator):
    data = ok(
        gateway.call(
            "aircall.create_contact",
            {
                "first_name": "Grace",
                "last_name": "Hopper",
                "phone_numbers": [{"label": "Work", "value": "+33600000001"}],
                "emails": [{"label": "Work", "value": "grace@example.com"}],
            },
        )
    )
    contact = data["contact"]
    assert contact["first_name"] == "Grace" and contact["phone_numbers"][0]["id"]
    [post] = requests_to(simulator, "/v1/contacts", "POST")
    assert post.status == 201
    assert simulator.company("acme").contacts[contact["id"]]["last_name"] == "Hopper"


def test_create_contact_needs_a_phone_number_before_any_request(gateway, simulator):
    e = gateway.call("aircall.create_contact", {"first_name": "Nobody"})
    assert e["error"]["type"] == "validation" and "phone" in e["error"]["message"]
    many = [{"label": "Work", "value": f"+336000000{i:02d}"} for i in range(21)]
    e = gateway.call("aircall.create_contact", {"phone_numbers": many})
    assert "at most 20" in e["error"]["message"]
    assert len(simulator.log) == 0


def test_update_contact_uses_post_and_replaces_numbers_through_sub_resources(gateway, simulator):
    before = simulator.company("acme").contacts[5678]
    before_numbers = [dict(n) for n in before["phone_numbers"]]
    assert len(before_numbers) == 2 and before["emails"]
    kept = before_numbers[0]
    data = ok(
        gateway.call(
            "aircall.update_contact",
            {
                "contact_id": 5678,
                "company_name": "New Corp",
                "phone_numbers": [
                    {"label": kept["label"], "value": kept["value"]},
                    {"label": "Mobile", "value": "+33699999999"},
                ],
                "emails": {},
            },
        )
    )
    contact = data["contact"]
    assert contact["company_name"] == "New Corp"
    assert sorted(p["value"] for p in contact["phone_numbers"]) == sorted(
        [kept["value"], "+33699999999"]
    )
    assert contact["emails"] == []
    [post] = requests_to(simulator, "/v1/contacts/5678", "POST")
    assert post.json == {"company_name": "New Corp"}
    assert not requests_to(simulator, "/v1/contacts/5678", "PUT")
    # the other number was rewritten in place with the new one; nothing else was added
    other = before_numbers[1]
    [rewrite] = requests_to(simulator, f"/v1/contacts/5678/phone_details/{other['id']}", "PUT")
    assert rewrite.json == {"label": "Mobile", "value": "+33699999999"}
    assert not requests_to(simulator, "/v1/contacts/5678/phone_details", "POST")
    # the kept number was neither touched nor removed; the email went
    touched = [r.path for r in simulator.log.records if r.method in ("PUT", "DELETE")]
    assert not any(p.endswith(f"/phone_details/{kept['id']}") for p in touched)
    assert [r.method for r in simulator.log.records if "/email_details" in r.path] == ["DELETE"]


def test_update_contact_replaces_a_full_list_without_passing_the_cap(gateway, simulator):
    """20 numbers (Aircall's cap) replaced by 20 others, and by 2: rewritten in place, so the
    contact never holds 21; the surplus is removed last."""
    numbers = [{"label": "Work", "value": f"+3361000{i:04d}"} for i in range(20)]
    created = ok(
        gateway.call(
            "aircall.create_contact",
            {"first_name": "Full", "last_name": "List", "phone_numbers": numbers},
        )
    )["contact"]
    path = f"/v1/contacts/{created['id']}"
    others = [{"label": "Mobile", "value": f"+3362000{i:04d}"} for i in range(20)]
    simulator.log.clear()
    contact = ok(
        gateway.call(
            "aircall.update_contact", {"contact_id": created["id"], "phone_numbers": others}
        )
    )["contact"]
    assert sorted(p["value"] for p in contact["phone_numbers"]) == [o["value"] for o in others]
    methods = [r.method for r in simulator.log.records if "/phone_details" in r.path]
    assert methods == ["PUT"] * 20
    simulator.log.clear()
    two = [{"label": "Home", "value": "+33630000001"}, others[5]]
    contact = ok(
        gateway.call("aircall.update_contact", {"contact_id": created["id"], "phone_numbers": two})
    )["contact"]
    assert sorted(p["value"] for p in contact["phone_numbers"]) == sorted(t["value"] for t in two)
    methods = [r.method for r in simulator.log.records if "/phone_details" in r.path]
    assert methods == ["PUT"] + ["DELETE"] * 18  # others[5] kept, one rewritten, 18 removed
    assert all(r.status < 400 for r in simulator.log.records if r.path.startswith(path))


def test_update_contact_text_must_not_be_blank(gateway, simulator):
    e = gateway.call("aircall.update_contact", {"contact_id": 5678, "first_name": "  "})
    assert (
        e["error"]["type"] == "validation"
        and "first_name must not be blank" in (e["error"]["message"])
    )
    assert len(simulator.log) == 0


# -- users, numbers, me ----------------------------------------------------------------------------


def test_list_users_reads_every_v2_page_and_splits_names(gateway, simulator):
    data = ok(gateway.call("aircall.list_users"))
    acme = simulator.company("acme")
    assert len(data["users"]) == len(acme.users) == data["meta"]["total"]
    for user in data["users"]:
        assert f"{user['first_name']} {user['last_name']}" == user["name"]
    assert requests_to(simulator, "/v2/users") and not requests_to(simulator, "/v1/users")


def test_list_numbers_carry_name_and_number(gateway, simulator):
    data = ok(gateway.call("aircall.list_numbers"))
    assert len(data["numbers"]) == len(simulator.company("acme").numbers)
    assert all(n["number"] == n["digits"] and n["name"] for n in data["numbers"])


def test_current_user_with_an_api_key_is_the_configured_email(gateway, simulator):
    user = ok(gateway.call("aircall.get_current_user"))["user"]
    assert user["email"] == simulator.company("acme").users[0]["email"]


def test_current_user_with_oauth_is_the_apps_user(gateway, simulator):
    user = ok(gateway.call("aircall.get_current_user", account="oauth"))["user"]
    assert requests_to(simulator, "/v1/integrations/me")
    assert user["id"] in [u["id"] for u in simulator.company("acme").users]
    assert user["first_name"] and user["last_name"]


def test_current_user_with_an_api_key_and_no_email_says_how_to_fix_it(tmp_path, served):
    gateway = make_gateway(tmp_path, served[1])
    e = gateway.call("aircall.get_current_user")
    assert e["error"]["type"] == "not_configured"
    assert "--set user_email=" in e["error"]["message"]


# -- accounts --------------------------------------------------------------------------------------


def test_two_accounts_reach_two_companies_in_one_script(gateway, simulator):
    execution = lua(
        gateway,
        """
        local a = app.integrations.aircall.list_calls({ per_page = 3 })
        local d = app.integrations.aircall.default.list_calls({ per_page = 3 })
        local g = app.integrations.aircall.globex.list_calls({ per_page = 3 })
        return { a.calls[1].id, d.calls[1].id, g.calls[1].id }
        """,
    )
    acme, default, globex = execution.result
    assert acme == default and 12000 <= acme < 13000
    assert globex >= 880000
    assert {r.company for r in simulator.log.records} == {"acme", "globex"}
    assert [c.account for c in execution.calls] == ["default", "default", "globex"]


def test_a_wrong_key_is_an_auth_error_without_the_secret(tmp_path, served, simulator):
    gateway = make_gateway(tmp_path, served[1])
    spec = gateway.provider("aircall")
    gateway.store.configure(spec, "default", set_values={"api_token": "wrong-secret-value"})
    e = gateway.call("aircall.list_users")
    assert e["error"]["type"] == "auth" and "403" in e["error"]["message"]
    assert "wrong-secret-value" not in repr(e)
    [request] = simulator.log.records
    assert request.status == 403
