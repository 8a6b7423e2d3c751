"""Benchmark of luagate on the Wildix PBX simulator, over real loopback HTTP.

    .venv/bin/python benchmarks/bench_wildix.py [--quick] [--json]

**Paging through 2,000 call records**: a Lua script calls ``wildix.list_calls`` for pages 1..20 of
100 (the whole PBX's history, newest first), against a hand-written httpx loop making the same 20
requests (``GET /api/v1/PBX/CallHistory/?start=..&count=100&sort=start&dir=DESC``, JSON parsed,
records counted) to the same simulator, alternated round by round. The simulator runs in its own
process with one PBX of 2,500 calls. Target: median Lua time <= 1.15x the median httpx time. For
information, each round also times the script in-process and the 20 calls through the gateway
without Lua.

Every figure is a median of repeated runs taken in this one run. The exit code is always 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from isolated_split import isolated_split, split_row  # benchmarks/isolated_split.py

from luagate.accounts.store import AccountStore
from luagate.gateway.gateway import Gateway
from luagate.lua.limits import Limits
from luagate.providers.simulation.serve import serve_in_thread
from luagate.providers.wildix.sim_data import Pbx
from luagate.providers.wildix.simulator import WildixSimulator

TARGET_RATIO = 1.15
TOKEN = "bench-admin-token"
PAGES, PER_PAGE = 20, 100

SCRIPT = f"""
local seen = 0
for page = 1, {PAGES} do
  local result = app.integrations.wildix.list_calls({{ limit = {PER_PAGE}, page = page }})
  seen = seen + #result.calls
end
return seen
"""


def serve(connection) -> None:
    """The simulator's process: one PBX of 2,500 calls, until told to stop."""
    pbx = Pbx("bench", seed=21, admin_tokens=(TOKEN,), calls=2500)
    with serve_in_thread(WildixSimulator((pbx,)).app) as server:
        connection.send(server.url)
        connection.recv()


def by_hand(client: httpx.Client, url: str) -> int:
    seen = 0
    for page in range(PAGES):
        response = client.get(
            f"{url}/api/v1/PBX/CallHistory/",
            params={"start": page * PER_PAGE, "count": PER_PAGE, "sort": "start", "dir": "DESC"},
        )
        response.raise_for_status()
        seen += len(response.json()["result"]["records"])
    return seen


def by_gateway(gateway: Gateway) -> int:
    seen = 0
    for page in range(1, PAGES + 1):
        envelope = gateway.call("wildix.list_calls", {"limit": PER_PAGE, "page": page})
        seen += len(envelope["data"]["calls"])
    return seen


def gateway_for(home: Path, url: str) -> Gateway:
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home), "LUAGATE_AUDIT": "off"})
    gateway = Gateway(store, notify=None)
    store.configure(
        gateway.provider("wildix"), "default", set_values={"pbx_url": url, "access_token": TOKEN}
    )
    return Gateway(store, notify=None)


def paging(rounds: int) -> dict:
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    server = spawn.Process(target=serve, args=(theirs,), daemon=True)
    server.start()
    url = ours.recv()
    try:
        with tempfile.TemporaryDirectory() as home:
            gateway = gateway_for(Path(home), url)
            client = httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"})
            expected = by_hand(client, url)
            assert expected == PAGES * PER_PAGE
            for _ in range(2):  # warm both sides
                execution = gateway.run_lua(SCRIPT)
                assert execution.success and execution.result == expected, execution.error
            lua_s, hand_s, in_process_s, gateway_s, in_calls_s = [], [], [], [], []
            limits = Limits(timeout_s=120)
            for _ in range(rounds):
                started = time.perf_counter()
                by_hand(client, url)
                hand_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                execution = gateway.run_lua(SCRIPT, limits=limits)
                lua_s.append(time.perf_counter() - started)
                in_calls_s.append(sum(c.duration_ms for c in execution.calls) / 1000)
                assert execution.success and execution.result == expected, execution.error
                started = time.perf_counter()
                gateway.run_lua(SCRIPT, limits=limits, isolated=False)
                in_process_s.append(time.perf_counter() - started)
                started = time.perf_counter()
                by_gateway(gateway)
                gateway_s.append(time.perf_counter() - started)
            client.close()
    finally:
        ours.send("stop")
        server.join(10)
    lua_m, hand_m = statistics.median(lua_s), statistics.median(hand_s)
    return {
        "figure": f"paging through {PAGES * PER_PAGE} call records, Lua vs hand-written httpx",
        "lua_ms": round(lua_m * 1000, 1),
        "httpx_ms": round(hand_m * 1000, 1),
        "ratio": round(lua_m / hand_m, 3),
        "target_ratio": TARGET_RATIO,
        "pass": lua_m / hand_m <= TARGET_RATIO,
        "lua_in_process_ms": round(statistics.median(in_process_s) * 1000, 1),
        # for information: the fastest round of each, where the machine's stalls weigh least
        "best_ratio": round(min(lua_s) / min(hand_s), 3),
        "gateway_calls_ms": round(statistics.median(gateway_s) * 1000, 1),
        **isolated_split(lua_s, in_calls_s),
        "rounds": rounds,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    os.environ.setdefault("LUAGATE_AUDIT", "off")
    figure = paging(5 if options.quick else 15)
    if options.json:
        print(json.dumps([figure], indent=2))
        return 0
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("| figure | median | target | |")
    print("|---|---|---|---|")
    print(
        f"| {figure['figure']} | Lua {figure['lua_ms']} ms vs httpx {figure['httpx_ms']} ms = "
        f"**{figure['ratio']}x** | <= {TARGET_RATIO}x | {'pass' if figure['pass'] else 'MISS'} |"
    )
    print(
        f"| the same, for information | Lua in-process {figure['lua_in_process_ms']} ms; the 20 "
        f"calls through the gateway without Lua {figure['gateway_calls_ms']} ms; fastest round "
        f"against fastest round {figure['best_ratio']}x | — | info |"
    )
    print(split_row(figure, 20))
    return 0


if __name__ == "__main__":
    sys.exit(main())
