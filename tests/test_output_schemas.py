"""Every function's result conforms to its output schema, on all of a simulator's data.

MCP clients check a tool's ``structuredContent`` against its ``outputSchema`` and refuse the
result when it does not conform (the official SDK raises), so a field that can be null must say
so. Over real loopback HTTP, every record the simulators hold goes through the functions.
"""

from __future__ import annotations

import time

import pytest
from aircall_helpers import make_gateway, served, simulator  # noqa: F401 (fixtures)
from jsonschema import Draft202012Validator

from luagate.accounts.store import AccountStore
from luagate.catalog.schema import output_schema
from luagate.gateway.gateway import Gateway
from luagate.providers.simulation.serve import serve_in_thread
from luagate.providers.wildix.simulator import WildixSimulator, local_now


def conforms(gateway: Gateway, name: str, args: dict) -> dict:
    _, spec = gateway.function(name)
    envelope = gateway.call(name, args)
    assert envelope["success"], (name, args, envelope["error"])
    errors = sorted(
        Draft202012Validator(output_schema(spec)).iter_errors(envelope["data"]),
        key=lambda e: list(e.absolute_path),
    )
    assert not errors, (name, args, [(list(e.absolute_path), e.message) for e in errors[:5]])
    return envelope["data"]


@pytest.fixture
def aircall(tmp_path, served, simulator):
    acme = simulator.company("acme")
    return make_gateway(tmp_path, served[1], extra={"user_email": acme.users[0]["email"]})


def test_every_aircall_result_conforms(aircall, simulator):
    acme = simulator.company("acme")
    pages = -(-len(acme.calls) // 50)
    for page in range(1, pages + 1):
        conforms(aircall, "aircall.list_calls", {"per_page": 50, "page": page})
    conforms(aircall, "aircall.list_calls", {"direction": "inbound", "per_page": 50})
    anonymous = [c["id"] for c in acme.calls if c["raw_digits"] == "anonymous"]
    assert anonymous, "the data holds anonymous callers"
    for call_id in [*anonymous[:3], acme.calls[0]["id"], acme.calls[-1]["id"]]:
        conforms(aircall, "aircall.get_call", {"call_id": call_id})
    contacts = conforms(aircall, "aircall.list_contacts", {"per_page": 50})
    pages = -(-contacts["meta"]["total"] // 50)
    for page in range(2, pages + 1):
        conforms(aircall, "aircall.list_contacts", {"per_page": 50, "page": page})
    conforms(aircall, "aircall.list_users", {})
    conforms(aircall, "aircall.list_numbers", {})
    conforms(aircall, "aircall.get_current_user", {})
    created = conforms(
        aircall,
        "aircall.create_contact",
        {"first_name": "Ada", "phone_numbers": [{"label": "Work", "value": "+33612345678"}]},
    )
    conforms(
        aircall,
        "aircall.update_contact",
        {
            "contact_id": created["contact"]["id"],
            "emails": [{"label": "W", "value": "a@b.example"}],
        },
    )


def test_every_wildix_result_conforms(tmp_path):
    pbx = WildixSimulator()
    with serve_in_thread(pbx.app) as server:
        store = AccountStore(home=tmp_path, environ={"LUAGATE_HOME": str(tmp_path)})
        spec = next(p for p in Gateway(store).providers if p.name == "wildix")
        store.configure(
            spec, "default", set_values={"pbx_url": server.url, "access_token": "acme-admin-token"}
        )
        gateway = Gateway(store, notify=None, surface="test")
        acme = pbx.pbx("acme")
        now = local_now(acme.pbx, time.time())  # the anchor is today: later calls are not served
        calls = [c for c in acme.calls if c["start"] <= now]
        pages = -(-len(acme.calls) // 1000)
        for page in range(1, pages + 1):
            conforms(gateway, "wildix.list_calls", {"limit": 1000, "page": page})
        for record in (calls[0], calls[-1], *[c for c in calls if not c["answer"]][:2]):
            conforms(gateway, "wildix.get_call", {"id": record["id"]})
        extensions = conforms(gateway, "wildix.list_extensions", {"limit": 1000})
        for extension in extensions["extensions"][:3]:
            conforms(gateway, "wildix.get_extension", {"id": extension["id"]})
        conforms(gateway, "wildix.list_users", {"limit": 1000})
        conforms(gateway, "wildix.get_current_user", {})
