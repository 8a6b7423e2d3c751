"""The ``luagate`` command line.

argparse rather than typer: the CLI's start-up time is a product figure (``luagate lua -e``
must answer well under 350 ms), and typer's import alone took ~250 ms (median) on this project's
machines against a few ms for argparse. Commands live one per module and import their heavy
dependencies only when they run.
"""

from __future__ import annotations

import sys

from .. import __version__

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def _wants_worker(argv: list[str]) -> bool:
    """Will this run need the isolated executor? Then its fork server can boot right away."""
    return argv[:1] == ["lua"] and not {"--in-process", "-h", "--help"} & set(argv)


def build_parser() -> argparse.ArgumentParser:
    import argparse

    from . import lua_command

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> None:  # usage errors exit 2, as argparse's do
            self.print_usage(sys.stderr)
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    parser = _Parser(
        prog="luagate",
        description="Run agent-written Lua scripts in a sandbox whose only door is app.*",
    )
    parser.add_argument("--version", action="version", version=f"luagate {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in (lua_command,):
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if _wants_worker(argv):
        from .. import default_executor

        default_executor(isolated=True).start()  # boots in parallel with everything below
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("luagate: interrupted", file=sys.stderr)
        return 130
