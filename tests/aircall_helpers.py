"""Shared set-up for the Aircall end-to-end tests: the simulator served over real loopback HTTP,
and gateways whose accounts point at it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from luagate.accounts.store import AccountStore
from luagate.gateway.gateway import Gateway
from luagate.providers.aircall.sim_data import default_companies
from luagate.providers.aircall.simulator import AircallSimulator
from luagate.providers.simulation.serve import ServedApp, serve_in_thread

ANCHOR = dt.date(2026, 11, 20)
UNLIMITED = "100000/min"


def start_simulator(
    anchor: dt.date = ANCHOR, **company_changes: object
) -> tuple[AircallSimulator, ServedApp]:
    """The default companies (acme, globex) with a rate limit tests never reach, unless
    ``company_changes`` says otherwise."""
    changes = {"rate_limit": 100_000, "rate_window_s": 60, **company_changes}
    companies = tuple(replace(c, **changes) for c in default_companies())
    simulator = AircallSimulator(companies, anchor=anchor)
    return simulator, serve_in_thread(simulator.app)


def make_gateway(
    home: Path,
    url: str,
    *,
    rate_limit: str = UNLIMITED,
    notices: list[str] | None = None,
    extra: dict[str, str] | None = None,
) -> Gateway:
    """Accounts: ``default`` (acme's API key), ``globex`` (globex's API key), ``oauth`` (acme's
    OAuth token); writes allowed."""
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    spec = next(p for p in Gateway(store).providers if p.name == "aircall")
    common = {"base_url": url, "rate_limit": rate_limit, **(extra or {})}
    store.configure(
        spec,
        "default",
        set_values={"api_id": "acme-api-id", "api_token": "acme-api-token", **common},
    )
    store.configure(
        spec,
        "globex",
        set_values={"api_id": "globex-api-id", "api_token": "globex-api-token", **common},
    )
    store.configure(spec, "oauth", set_values={"access_token": "acme-oauth-token", **common})
    store.set_policy("aircall", write="allow")
    sink = notices if notices is not None else []
    return Gateway(store, notify=sink.append, surface="test")


def requests_to(simulator: AircallSimulator, path: str, method: str = "GET") -> list:
    return simulator.log.matching(method, path)


# Fixtures for the Aircall test modules, which import them: one simulator per module, served over
# loopback, its request log and faults cleared around each test.


@pytest.fixture(scope="module")
def served():
    simulator, server = start_simulator()
    yield simulator, server.url
    server.stop()


@pytest.fixture
def simulator(served):
    simulator = served[0]
    simulator.log.clear()
    simulator.faults.clear()
    yield simulator
    simulator.faults.clear()
