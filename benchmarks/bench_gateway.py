"""Benchmarks of the gateway: the overhead of one call, and the docs command's cold start.

    .venv/bin/python benchmarks/bench_gateway.py [--quick] [--json]

1. **Gateway call overhead**: ``Gateway.call("aircall.list_calls", {...})`` with a stub provider
   that returns at once, so what is timed is resolution, validation, account lookup, policy,
   credentials (decrypting the stored secret) and the envelope. Measured with the audit log off
   (the target) and on (one appended line per call, for information). Target: <= 100 us.
2. **``luagate docs aircall`` cold start**: a fresh process each time, interleaved with
   ``python -c pass`` as the floor. Target: <= 400 ms.

Every figure is a median of repeated runs taken in this one run. The exit code is always 0.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from luagate.accounts.store import AccountStore
from luagate.gateway.audit import AuditLog
from luagate.gateway.gateway import Gateway

US, MS = 1e-6, 1e-3
TARGET_CALL = 100 * US
TARGET_DOCS = 400 * MS


class StubClient:
    def call(self, function, args, credentials, deadline):
        return {"calls": [], "meta": {"count": 0}}


def gateway_for(home: Path, audit: bool) -> Gateway:
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    gateway = Gateway(store, clients={"aircall": StubClient()})
    store.configure(
        gateway.provider("aircall"), "default", set_values={"api_id": "id", "api_token": "token"}
    )
    gateway.audit = AuditLog(home / "audit.log", enabled=audit)
    return gateway


def time_calls(gateway: Gateway, n: int, rounds: int) -> list[float]:
    args = {"per_page": 10, "direction": "inbound", "from": "2026-01-01T00:00:00Z"}
    for _ in range(200):  # warm-up
        gateway.call("aircall.list_calls", args)
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            envelope = gateway.call("aircall.list_calls", args)
        samples.append((time.perf_counter() - started) / n)
        assert envelope["success"], envelope
    return samples


def time_command(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    options = parser.parse_args()
    n, rounds, starts = (200, 15, 7) if options.quick else (500, 41, 21)

    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        for audit in (False, True):
            home = Path(tmp) / f"home-{audit}"
            samples = time_calls(gateway_for(home, audit), n, rounds)
            figures.append(
                {
                    "figure": "Gateway call overhead, stub provider, audit "
                    + ("on" if audit else "off"),
                    "median_us": round(statistics.median(samples) / US, 1),
                    "target_us": None if audit else TARGET_CALL / US,
                    "runs": f"{rounds}x{n}",
                }
            )

        import compileall

        import luagate as package

        compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)  # as a second run has
        luagate = Path(sys.executable).with_name("luagate")
        env = {**os.environ, "LUAGATE_HOME": str(Path(tmp) / "cli-home")}
        commands = {
            "docs": [str(luagate), "docs", "aircall"],
            "python": [sys.executable, "-c", "pass"],
        }
        time_command(commands["docs"], env)  # the first run compiles bytecode
        times: dict[str, list[float]] = {"docs": [], "python": []}
        for _ in range(starts):
            for name, argv in commands.items():
                times[name].append(time_command(argv, env))
        figures.append(
            {
                "figure": "Cold start: `luagate docs aircall`",
                "median_ms": round(statistics.median(times["docs"]) / MS, 1),
                "target_ms": TARGET_DOCS / MS,
                "runs": starts,
            }
        )
        figures.append(
            {
                "figure": "Cold start: `python -c pass` (floor)",
                "median_ms": round(statistics.median(times["python"]) / MS, 1),
                "target_ms": None,
                "runs": starts,
            }
        )

    if options.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"luagate gateway benchmarks — {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("| Figure | Median | Target | Status | Runs |")
    print("|---|---:|---:|:---:|---:|")
    for f in figures:
        unit = "us" if "median_us" in f else "ms"
        value = f[f"median_{unit}"]
        target = f[f"target_{unit}"]
        status = "info" if target is None else ("pass" if value <= target else "MISS")
        shown = "—" if target is None else f"<= {target:g} {unit}"
        print(f"| {f['figure']} | **{value} {unit}** | {shown} | {status} | {f['runs']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
