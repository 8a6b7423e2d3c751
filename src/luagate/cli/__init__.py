"""The ``luagate`` command line.

argparse rather than typer: the CLI's start-up time is a product figure (``luagate lua -e``
must answer well under 350 ms), and typer's import alone took ~250 ms (median) on this project's
machines against a few ms for argparse. Commands live one per module (``<name>_command.py``,
registered in :func:`build_parser`) and import their heavy dependencies only when they run.

``luagate call`` reads its own tokens (a function's parameters become flags argparse cannot know
in advance), and ``luagate <provider> ...`` is rewritten before parsing: ``luagate aircall`` is
``luagate list aircall``, ``luagate aircall list_calls ...`` is ``luagate call
aircall.list_calls ...``, and ``luagate aircall sales list_calls ...`` adds ``--account sales``.
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

    from . import (
        call_command,
        configure_command,
        docs_command,
        doctor_command,
        fields_command,
        list_command,
        lua_command,
        rotate_key_command,
        schema_command,
        status_command,
    )

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
    for module in (
        lua_command,
        call_command,
        list_command,
        docs_command,  # docs and search
        schema_command,
        status_command,
        doctor_command,
        fields_command,
        configure_command,
        rotate_key_command,
    ):
        module.add_parser(commands)
    return parser


def expand_shortcut(argv: list[str]) -> list[str]:
    """``luagate <provider> [account] [function] ...`` as the command it stands for."""
    from ..providers.registry import PROVIDER_NAMES

    if not argv or argv[0] not in PROVIDER_NAMES:
        return argv
    provider, rest = argv[0], argv[1:]
    if not rest or rest[0].startswith("-"):
        return ["list", provider, *rest]
    if len(rest) > 1 and not rest[1].startswith("-"):
        from ..providers.registry import provider_specs

        spec = next(p for p in provider_specs() if p.name == provider)
        if spec.function(rest[0]) is None and spec.function(rest[1]) is not None:
            # luagate aircall sales list_calls, as app.integrations.aircall.sales.list_calls
            return ["call", f"{provider}.{rest[1]}", "--account", rest[0], *rest[2:]]
    return ["call", f"{provider}.{rest[0]}", *rest[1:]]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _wants_worker(argv):
        from .. import default_executor

        default_executor(isolated=True).start()  # boots in parallel with everything below
    try:
        argv = expand_shortcut(argv)
        if argv[:1] == ["call"]:
            from . import call_command

            return call_command.main(argv[1:])
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help, --version, usage errors: main() returns, never exits
            return e.code if isinstance(e.code, int) else EXIT_USAGE
        if args.command is None:
            parser.print_help(sys.stderr)
            return EXIT_USAGE
        try:
            return args.run(args)
        except Exception as e:
            from ..errors import LuagateError

            if not isinstance(e, LuagateError):
                raise
            from .common import report

            return report(e, json_mode=getattr(args, "json", False), prog=f"luagate {argv[0]}")
    except KeyboardInterrupt:
        print("luagate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # luagate docs aircall | head
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
        return EXIT_FAILURE
