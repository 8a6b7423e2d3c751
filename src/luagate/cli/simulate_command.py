"""``luagate simulate <provider>``: serve a provider's simulator over real HTTP until Ctrl-C.

A provider can be simulated when it has a ``luagate.providers.<name>.simulator`` module with a
``build_simulator(rate_limit=...)`` function returning an object with ``.app`` (ASGI),
``.title`` and ``.describe()`` (lines naming its demo credentials).
"""

from __future__ import annotations

import sys

from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, port_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def _rate_limit(text: str) -> tuple[int, int]:
    import argparse

    requests, _, window = text.partition("/")
    try:
        limit, window_s = int(requests), int(window)
    except ValueError:
        limit = window_s = 0
    if limit < 1 or window_s < 1:
        raise argparse.ArgumentTypeError(
            f"expected REQUESTS/SECONDS with positive integers, like 120/60; got {text!r}"
        )
    return limit, window_s


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "simulate",
        help="serve a provider's simulator (a fake of its real API) over HTTP",
        description="Serve a fake of the provider's real HTTP API, with seeded demo companies, "
        "on a local port until Ctrl-C. Point an account's base_url at the printed URL and use "
        "the printed credentials.",
    )
    p.add_argument("provider", help="the provider to simulate, e.g. aircall")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument(
        "--port",
        type=port_number,
        default=8080,
        help="port to listen on; 0 picks a free one (default %(default)s)",
    )
    p.add_argument(
        "--rate-limit",
        type=_rate_limit,
        metavar="N/W",
        help="each company's rate limit: N requests per W seconds (default: the provider's)",
    )
    p.set_defaults(run=run)


def simulated_providers() -> list[str]:
    """The providers that ship a simulator module."""
    import importlib.util

    from ..providers.registry import PROVIDER_NAMES

    return [
        name
        for name in PROVIDER_NAMES
        if importlib.util.find_spec(f"luagate.providers.{name}.simulator") is not None
    ]


def run(args: argparse.Namespace) -> int:
    available = simulated_providers()
    if args.provider not in available:
        print(
            f"luagate simulate: error: no simulator for {args.provider!r}; "
            f"available: {', '.join(available) or 'none'}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    import importlib

    from ..providers.simulation.serve import serve_forever

    module = importlib.import_module(f"luagate.providers.{args.provider}.simulator")
    simulator = module.build_simulator(rate_limit=args.rate_limit)

    def announce(url: str) -> None:
        lines = [f"{simulator.title} simulator at {url} (Ctrl-C to stop)"]
        lines += [f"  {line}" for line in simulator.describe()]
        print("\n".join(lines), file=sys.stderr, flush=True)

    try:
        serve_forever(simulator.app, args.host, args.port, on_ready=announce)
    except OSError as e:  # the port is taken, say
        from ..listening import describe

        where = f"{args.host}:{args.port}"
        print(f"luagate simulate: error: cannot listen on {where}: {describe(e)}", file=sys.stderr)
        return EXIT_FAILURE
    print("simulator stopped", file=sys.stderr)
    return EXIT_OK
