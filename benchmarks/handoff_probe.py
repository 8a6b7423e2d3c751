"""How much one hand-off between two processes costs on this machine, for the benchmark reports.

A parent and a forked child exchange one byte over a socket pair, the child blocked in ``recv``
and the parent sleeping 2 ms between exchanges (as a script's worker waits while the parent makes
an HTTP request). On a quiet machine the round trip is tens of microseconds, median and mean
alike; on a virtual machine whose CPUs the host also gives to others, the median stays small but
the mean is pulled up by rare stalls of several milliseconds — and every process boundary a
request crosses pays that mean, not the median.
"""

from __future__ import annotations

import os
import socket
import statistics
import time


def handoff_probe(exchanges: int = 400) -> dict[str, float]:
    """Round trips to a process that was asleep: median, mean and p99, in milliseconds."""
    ours, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # the child echoes until the parent closes its end
        ours.close()
        try:
            while data := theirs.recv(16):
                theirs.sendall(data)
        finally:
            os._exit(0)
    theirs.close()
    trips = []
    try:
        for _ in range(exchanges):
            time.sleep(0.002)
            started = time.perf_counter()
            ours.sendall(b"x")
            ours.recv(16)
            trips.append((time.perf_counter() - started) * 1000)
    finally:
        ours.close()
        os.waitpid(pid, 0)
    return {
        "median_ms": round(statistics.median(trips), 3),
        "mean_ms": round(statistics.fmean(trips), 3),
        "p99_ms": round(statistics.quantiles(trips, n=100)[98], 3),
    }


if __name__ == "__main__":
    print(handoff_probe())
