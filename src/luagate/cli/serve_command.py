"""``luagate serve``: the MCP server, over stdio (default) or streamable HTTP (``--http``).

The ``mcp`` SDK is imported only here, when the command runs (it costs most of a second).
"""

from __future__ import annotations

import contextlib
import os
import sys

from .common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, port_number

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

TOKEN_ENV = "LUAGATE_MCP_TOKEN"


def add_parser(commands: Any) -> None:
    from .common import provider_names

    p = commands.add_parser(
        "serve",
        help="serve luagate to agent clients over MCP (stdio, or --http)",
        description="Serve the MCP server: docs tools, execute_lua and (with --functions) one "
        "tool per function. Speaks stdio unless --http is given; HTTP needs a bearer token "
        f"(--token, ${TOKEN_ENV}, or one generated and printed once on stderr).",
    )
    p.add_argument("--http", action="store_true", help="serve streamable HTTP instead of stdio")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address (default %(default)s)")
    p.add_argument(
        "--port", type=port_number, default=8765, help="HTTP port; 0 picks one (%(default)s)"
    )
    p.add_argument("--token", help=f"the HTTP bearer token (safer: ${TOKEN_ENV})")
    p.add_argument(
        "--functions",
        action="store_true",
        help="also expose one tool per function (<provider>__<function>)",
    )
    p.add_argument(
        "--provider",
        action="append",
        choices=provider_names(),
        help="expose only this provider (repeat for several; default: all)",
    )
    p.add_argument(
        "--write",
        choices=("deny", "ask", "allow"),
        default="allow",
        help="the most this server lets writes do: narrows each provider's own write policy, "
        "never widens it (default %(default)s: the providers' own policies)",
    )
    p.add_argument("--timeout", type=float, metavar="SECONDS", help="script time limit (30)")
    p.add_argument("--memory", type=float, metavar="MIB", help="script memory limit (64)")
    p.add_argument("--max-calls", type=int, metavar="N", help="host calls per script (1000)")
    p.add_argument("--max-output", type=int, metavar="BYTES", help="printed output cap (1 MiB)")
    p.set_defaults(run=run)


def _error(message: str) -> None:
    print(f"luagate serve: error: {message}", file=sys.stderr, flush=True)


def _limits(args: argparse.Namespace) -> Any:
    from ..errors import UsageError
    from .common import limits_from_flags

    try:
        return limits_from_flags(args)
    except UsageError as e:
        _error(e.message)
        return None


def build(args: argparse.Namespace) -> Any:
    """The gateway and server these arguments describe (the test suite builds it this way)."""
    from ..accounts.store import AccountStore
    from ..errors import UsageError
    from ..gateway.gateway import Gateway
    from ..mcp.server import build_server
    from ..providers.registry import provider_specs

    chosen = set(args.provider or ())
    providers = tuple(p for p in provider_specs() if not chosen or p.name in chosen)
    store = AccountStore()
    off = sorted(name for name in chosen if not store.enabled(name))
    if off:
        raise UsageError(
            f"--provider {off[0]}: {off[0]} is switched off on this machine (to serve it:"
            f" luagate configure {off[0]} --enable)"
        )
    gateway = Gateway(store, providers=providers, surface="mcp", ceiling={"write": args.write})
    return build_server(gateway, limits=_limits(args), functions=args.functions)


def run(args: argparse.Namespace) -> int:
    if _limits(args) is None:
        return EXIT_USAGE
    token = args.token or os.environ.get(TOKEN_ENV)
    if args.http and args.token == "":
        _error("--token must not be empty")
        return EXIT_USAGE
    server = build(args)

    from .. import default_executor

    default_executor(isolated=True).start()  # the fork server boots while the client connects
    import threading

    from ..mcp.server import warm_up

    threading.Thread(target=warm_up, args=(server.gateway,), daemon=True).start()
    import gc

    # Everything built so far (80 000-odd objects, most of them the SDK's) lives as long as the
    # server, and a full collection that walks them all stalls the call it lands in by half a
    # second or more: keep them out of every collection to come.
    gc.freeze()
    import anyio

    if not args.http:
        with contextlib.suppress(KeyboardInterrupt):
            anyio.run(server.run_stdio_async)
        _exit_now(EXIT_OK)

    from ..listening import describe, listen, url
    from ..mcp.http_auth import LOOPBACK, new_token, serve_http

    try:
        sock = listen(args.host, args.port)
    except OSError as e:  # the port is taken, say
        _error(f"cannot listen on {args.host}:{args.port}: {describe(e)}")
        _exit_now(EXIT_FAILURE)
    if not token:
        token = new_token()
        _say(f"bearer token (shown once): {token}")
    if args.host not in LOOPBACK:
        _say(
            f"warning: listening on {args.host}, beyond this machine; "
            "anyone who can reach it needs only the token"
        )

    _say(f"MCP over HTTP at {url(args.host, sock.getsockname()[1], '/mcp')} (Ctrl-C to stop)")
    with contextlib.suppress(KeyboardInterrupt):
        anyio.run(serve_http, server, token, sock, args.host)
    _exit_now(EXIT_OK)
    return EXIT_OK


def _exit_now(code: int) -> None:
    """End the process now: the client is gone, and tearing down the SDK's models at
    interpreter exit takes seconds a client would wait for (it kills slow servers)."""
    from .. import default_executor

    default_executor(isolated=True).close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _say(line: str) -> None:
    """One whole line on stderr in a single write: the warm-up thread's notices (the demo
    accounts) are written meanwhile, and print() writes the text and its newline separately."""
    sys.stderr.write(f"luagate serve: {line}\n")
    sys.stderr.flush()
