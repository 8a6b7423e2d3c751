"""Benchmarks of the MCP server (``luagate serve``), driven by the official ``mcp`` client.

    .venv/bin/python benchmarks/bench_mcp.py [--quick] [--json]

1. **Latency of ``execute_lua`` over stdio**: ``luagate serve`` as a subprocess (a fresh
   LUAGATE_HOME, so the Wildix ``demo`` account answers from its in-process simulator); after a
   warm-up, the same one-call script is sent N times. For each call the client's round trip is
   compared with the script's own run time as the server measured it (the envelope's
   ``duration_ms``: worker, bridge, gateway and simulator). Reported: the medians and the median
   difference — what MCP adds (JSON-RPC over pipes, the SDK, the thread hop, the text block).
   Target: <= 30 ms above the script's own work.
2. **Throughput over streamable HTTP**: ``luagate serve --http`` as a subprocess; 16 clients,
   each with its own session, send short scripts (one Wildix call each, on the simulator)
   back to back for 30 s (``--quick``: 10 s). Reported: scripts/s, p50/p99 latency, errors
   (a tool error or a failed request). Target: zero errors.

The exit code is always 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import anyio
import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

TARGET_OVERHEAD_MS = 30.0
CLIENTS = 16
TOKEN = "bench-token-not-a-secret"
ONE_CALL = "return #app.integrations.wildix.list_users({}).users"
SHORT = """
local users = app.integrations.wildix.list_users({})
local names = {}
for i = 1, math.min(3, #users.users) do names[i] = users.users[i].name end
return names
"""


def _env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRCALL", "WILDIX"))}
    env.update(LUAGATE_HOME=home, LUAGATE_AUDIT="off")
    return env


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


# -- 1. latency over stdio ------------------------------------------------------------------------


async def _stdio_latency(home: str, calls: int) -> dict[str, object]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "luagate", "serve"], env=_env(home)
    )
    round_trips, own, differences = [], [], []
    with open(os.devnull, "w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            for _ in range(5):  # warm-up: fork server, simulator, first imports
                await session.call_tool("execute_lua", {"code": ONE_CALL})
            for _ in range(calls):
                started = time.perf_counter()
                result = await session.call_tool("execute_lua", {"code": ONE_CALL})
                elapsed = (time.perf_counter() - started) * 1000
                envelope = result.structured_content
                if result.is_error or not envelope["success"]:
                    raise RuntimeError(f"the script failed: {result.content}")
                round_trips.append(elapsed)
                own.append(envelope["duration_ms"])
                differences.append(elapsed - envelope["duration_ms"])
    overhead = statistics.median(differences)
    return {
        "figure": "execute_lua over stdio, one-call script",
        "calls": calls,
        "round_trip_ms": round(statistics.median(round_trips), 2),
        "script_own_ms": round(statistics.median(own), 2),
        "overhead_ms": round(overhead, 2),
        "pass": overhead <= TARGET_OVERHEAD_MS,
    }


# -- 2. throughput over HTTP ----------------------------------------------------------------------


def _start_http(home: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "luagate", "serve", "--http", "--port", "0", "--token", TOKEN],
        env=_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:
        match = re.search(r"(http://\S+/mcp)", line)
        if match:
            return process, match.group(1)
    raise RuntimeError("luagate serve --http did not start")


async def _client(url: str, until: float, latencies: list[float], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        while time.perf_counter() < until:
            started = time.perf_counter()
            try:
                result = await session.call_tool("execute_lua", {"code": SHORT})
            except Exception as e:
                errors.append(type(e).__name__)
                continue
            latencies.append(time.perf_counter() - started)
            if result.is_error:
                errors.append(str(result.structured_content.get("error")))


async def _http_throughput(url: str, seconds: float) -> dict[str, object]:
    warm: list[float] = []
    await _client(url, time.perf_counter() + 2, warm, [])  # simulator and fork server warm
    latencies: list[float] = []
    errors: list[str] = []
    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(CLIENTS):
            tg.start_soon(_client, url, started + seconds, latencies, errors)
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
    return {
        "figure": f"execute_lua over HTTP, {CLIENTS} concurrent clients",
        "seconds": round(elapsed, 1),
        "scripts": len(latencies),
        "scripts_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": _ms(statistics.median(ordered)) if ordered else None,
        "p99_ms": _ms(p99),
        "errors": len(errors),
        "first_errors": errors[:3],
        "pass": not errors and bool(latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, 10 s of load")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    calls, seconds = (15, 10.0) if options.quick else (51, 30.0)
    figures: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as home:
        try:
            figures.append(anyio.run(_stdio_latency, home, calls))
        except Exception as e:
            figures.append({"figure": "execute_lua over stdio", "failed": repr(e), "pass": False})
        process, url = _start_http(home)
        try:
            figures.append(anyio.run(_http_throughput, url, seconds))
        except Exception as e:
            figures.append({"figure": "execute_lua over HTTP", "failed": repr(e), "pass": False})
        finally:
            process.terminate()
            process.wait(10)
    if options.json:
        print(json.dumps(figures, indent=2))
        return 0
    one, two = figures
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("| figure | median | target | |")
    print("|---|---|---|---|")
    if "failed" in one:
        print(f"| {one['figure']} | failed: {one['failed']} | — | MISS |")
    else:
        print(
            f"| {one['figure']} ({one['calls']} calls) | round trip {one['round_trip_ms']} ms, "
            f"script's own {one['script_own_ms']} ms: **+{one['overhead_ms']} ms** | "
            f"<= +{TARGET_OVERHEAD_MS:.0f} ms | {'pass' if one['pass'] else 'MISS'} |"
        )
    if "failed" in two:
        print(f"| {two['figure']} | failed: {two['failed']} | — | MISS |")
    else:
        print(
            f"| {two['figure']}, {two['seconds']} s | **{two['scripts_per_s']} scripts/s** "
            f"({two['scripts']} scripts), p50 {two['p50_ms']} ms, p99 {two['p99_ms']} ms, "
            f"**{two['errors']} errors** | 0 errors | {'pass' if two['pass'] else 'MISS'} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
