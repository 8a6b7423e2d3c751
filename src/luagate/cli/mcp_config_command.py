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
    from ..mcp.config_snippets import CLIENTS, DEFAULT_HTTP_URL
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
        const=DEFAULT_HTTP_URL,
        help="connect to a running 'luagate serve --http' instead (default URL %(const)s; "
        "not for claude-desktop); the token is read from $LUAGATE_MCP_TOKEN by the client. "
        "--functions, --write and --provider then go into the 'luagate serve --http' command "
        "printed on stderr",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..mcp.config_snippets import (
        NO_HTTP_FOR_DESKTOP,
        check_http_url,
        http_serve_command,
        serve_args,
        snippet,
        where,
    )

    if args.http is not None and args.client == "claude-desktop":
        raise UsageError(NO_HTTP_FOR_DESKTOP)
    if args.http is not None and (problem := check_http_url(args.http)):
        raise UsageError(problem)
    home = os.environ.get("LUAGATE_HOME")
    options = serve_args(functions=args.functions, write=args.write, providers=args.provider)
    sys.stdout.write(snippet(args.client, options, http_url=args.http, home=home) + "\n")
    sys.stdout.flush()
    print(where(args.client), file=sys.stderr)
    if args.http is not None:
        # the options are the server's: they go into the command that starts it
        print(
            "It connects to a running server; start that one, with $LUAGATE_MCP_TOKEN set "
            "to the token the client sends:\n  "
            + http_serve_command(args.http, options, home=home),
            file=sys.stderr,
        )
    return EXIT_OK
