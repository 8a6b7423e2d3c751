"""Where an isolated Lua run's time goes, for the provider benchmarks' reports.

Inside the calls: the sum of the envelope's per-call ``duration_ms`` (the parent answering:
gateway and HTTP). Between them: the rest (Lua, the hand-offs to and from the worker, its start).
Beside them, the machine's own cost of one hand-off (:mod:`handoff_probe`).
"""

from __future__ import annotations

import statistics

from handoff_probe import handoff_probe


def isolated_split(total_s: list[float], in_calls_s: list[float]) -> dict:
    """Medians over rounds of the run's time inside and between its calls, plus the probe."""
    return {
        "lua_in_calls_ms": round(statistics.median(in_calls_s) * 1000, 1),
        "lua_between_calls_ms": round(
            statistics.median(t - c for t, c in zip(total_s, in_calls_s, strict=True)) * 1000, 1
        ),
        "handoff": handoff_probe(),
    }


def split_row(figure: dict, calls: int) -> str:
    """The report's information row for a figure holding :func:`isolated_split`'s keys."""
    handoff = figure["handoff"]
    return (
        f"| where the isolated run's time goes | in the {calls} calls (the parent answering) "
        f"{figure['lua_in_calls_ms']} ms; between them (Lua, hand-offs to and from the worker) "
        f"{figure['lua_between_calls_ms']} ms; one bare process hand-off on this machine: median "
        f"{handoff['median_ms']} ms, mean {handoff['mean_ms']} ms, p99 {handoff['p99_ms']} ms "
        "| — | info |"
    )
