"""``luagate mcp-config``: print a ready configuration snippet for an MCP client."""

from __future__ import annotations

import os
import sys

from .common import EXIT_OK

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def add_parser(commands: Any) -> None:
    from ..mcp.config_snippets import CLIENTS
    from .common import provider_names

    p = commands.add_parser(
        "mcp-config",
        help="print the configuration that connects an MCP client to luagate serve",
        description="Print a ready snippet (on stdout) that makes an MCP client start "
        "'luagate serve', and where to put it (on stderr).",
    )
    p.add_argument("--client", choices=CLIENTS, default="generic", help="(default %(default)s)")
    p.add_argument("--functions", action="store_true", help="serve one tool per function too")
    p.add_argument("--write", choices=("deny", "ask", "allow"), help="narrow write policy")
    p.add_argument("--provider", action="append", choices=provider_names(), help="expose only")
    p.add_argument(
        "--http",
        metavar="URL",
        nargs="?",
        const="http://127.0.0.1:8765/mcp",
        help="connect to a running 'luagate serve --http' instead (default URL %(const)s); "
        "the token is read from $LUAGATE_MCP_TOKEN by the client",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..mcp.config_snippets import serve_args, snippet, where

    options = serve_args(functions=args.functions, write=args.write, providers=args.provider)
    sys.stdout.write(
        snippet(args.client, options, http_url=args.http, home=os.environ.get("LUAGATE_HOME"))
        + "\n"
    )
    sys.stdout.flush()
    print(where(args.client), file=sys.stderr)
    return EXIT_OK
