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

_WANTS_JSON = [False]
"""Whether this run asked for ``--json``: argparse's own usage errors then print JSON too."""

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


SECRET_TAKING = frozenset({"configure", "rotate-key"})
"""Commands whose stray words are never repeated in an error: a word typed where it does not
belong there is likely a secret (``luagate configure aircall sk_live_...``)."""


def _unrecognized(command: str | None, extras: list[str]) -> str:
    """argparse's "unrecognized arguments" message, without values for :data:`SECRET_TAKING`
    commands: their options are named (up to any '='), the other words only counted."""
    if command not in SECRET_TAKING:
        return f"unrecognized arguments: {' '.join(extras)}"
    options = [word.split("=", 1)[0] for word in extras if word.startswith("-")]
    hidden = sum(1 for word in extras if not word.startswith("-") or "=" in word)
    shown = ", ".join(options)
    if hidden:
        values = f"{hidden} value{'s' if hidden > 1 else ''}"
        shown = f"{shown} and {values}" if shown else values
    hint = (
        " Set a field with --set FIELD=VALUE, or pipe a JSON object of fields into"
        " --stdin-json (luagate fields PROVIDER lists them)."
        if command == "configure"
        else ""
    )
    return f"unrecognized arguments: {shown} (values are not shown: they may be secrets).{hint}"


def _without_choice(message: str) -> str:
    """An argparse error without the invalid choice it quotes (see :data:`SECRET_TAKING`)."""
    head, found, rest = message.partition(": invalid choice: ")
    if not found:
        return message
    choices = rest[rest.find(" (choose from ") :] if " (choose from " in rest else ""
    return f"{head}: invalid choice (not shown: it may be a secret){choices}"


def _wants_worker(argv: list[str]) -> bool:
    """Will this run need the isolated executor? Then its fork server can boot right away."""
    return argv[:1] == ["lua"] and not {"--in-process", "-h", "--help"} & set(argv)


COMMAND_MODULES = {
    "lua": "lua_command",
    "call": "call_command",
    "list": "list_command",
    "docs": "docs_command",
    "examples": "docs_command",
    "search": "docs_command",
    "schema": "schema_command",
    "status": "status_command",
    "doctor": "doctor_command",
    "fields": "fields_command",
    "configure": "configure_command",
    "rotate-key": "rotate_key_command",
    "simulate": "simulate_command",
    "serve": "serve_command",
    "mcp-config": "mcp_config_command",
}


def _terminal_width() -> int:
    # What argparse would ask shutil for, without importing shutil (and with it bz2 and lzma).
    import os

    try:
        columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(2).columns
    except (ValueError, OSError):
        columns = 80
    return max(columns - 2, 40)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; given the command about to run, only that command's module is loaded."""
    import argparse
    import importlib

    class _Formatter(argparse.HelpFormatter):
        def __init__(self, prog: str, **kwargs: object) -> None:
            kwargs.setdefault("width", _terminal_width())
            super().__init__(prog, **kwargs)  # type: ignore[arg-type]

    class _Parser(argparse.ArgumentParser):
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs.setdefault("formatter_class", _Formatter)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

        def error(self, message: str) -> None:  # usage errors exit 2, as argparse's do
            if self.prog.split()[-1] in SECRET_TAKING:
                message = _without_choice(message)
            if _WANTS_JSON[0]:
                from .common import emit_json

                emit_json({"error": {"type": "usage", "message": message}})
            self.print_usage(sys.stderr)
            self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")

    parser = _Parser(
        prog="luagate",
        description="Run agent-written Lua scripts in a sandbox whose only door is app.*",
        epilog="Shortcuts: luagate PROVIDER lists its functions (luagate aircall); luagate "
        "PROVIDER [ACCOUNT] FUNCTION [ARGS] calls one (luagate aircall sales list_calls "
        "--per-page 5), as luagate call does.",
    )
    parser.add_argument("--version", action="version", version=f"luagate {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    names = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for name in dict.fromkeys(names):
        importlib.import_module(f"{__name__}.{name}").add_parser(commands)
    parser.set_defaults(commands=commands.choices)
    return parser


def expand_shortcut(argv: list[str]) -> list[str]:
    """``luagate <provider> [account] [function] ...`` as the command it stands for."""
    from ..providers.registry import PROVIDER_NAMES

    if not argv or argv[0] not in PROVIDER_NAMES:
        if argv and not argv[0].startswith("-") and argv[0] not in COMMAND_MODULES:
            from ..suggest import close_matches
            from .common import usage

            # argparse would say "invalid choice" and list the commands but not the providers
            close = close_matches(argv[0], [*PROVIDER_NAMES, *COMMAND_MODULES], n=2, cutoff=0.6)
            guess = f" Did you mean: {', '.join(close)}?" if close else ""
            raise usage(
                f"unknown command {argv[0]!r}.{guess} Commands: {', '.join(COMMAND_MODULES)};"
                f" providers: {', '.join(PROVIDER_NAMES)} (luagate --help)"
            )
        return argv
    provider, rest = argv[0], argv[1:]
    if not rest or rest[0].startswith("-"):
        return ["list", provider, *rest]
    from ..providers.registry import provider_specs

    spec = next(p for p in provider_specs() if p.name == provider)
    first = rest[0]
    if spec.function(first) is not None:
        return ["call", f"{provider}.{first}", *rest[1:]]
    second = rest[1] if len(rest) > 1 else ""
    if second.isidentifier():
        # luagate aircall sales list_calls, as app.integrations.aircall.sales.list_calls (an
        # unknown function is then reported as such, on that account)
        return ["call", f"{provider}.{second}", "--account", first, *rest[2:]]
    if _is_account(spec, first):
        from .common import usage

        functions = ", ".join(f.name for f in spec.functions)
        raise usage(
            f"name the function to call on {provider} account {first!r}, e.g. luagate"
            f" {provider} {first} {spec.functions[0].name}. Functions: {functions}"
        )
    return ["call", f"{provider}.{first}", *rest[1:]]


def _is_account(spec: Any, name: str) -> bool:
    from ..accounts.store import AccountStore
    from ..errors import LuagateError

    try:
        return name in AccountStore().accounts(spec)
    except LuagateError:  # an unreadable store is reported by the command that needs it
        return False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _WANTS_JSON[0] = "--json" in argv
    if _wants_worker(argv):
        # First thing: the fork server's start-up (an interpreter, lupa, a warm sandbox) then
        # overlaps this process's own imports instead of following them.
        from ..lua.fork_server import shared_fork_server

        shared_fork_server().start()
    args = None
    try:
        try:
            argv = expand_shortcut(argv)
        except Exception as e:
            from ..errors import UsageError

            if not isinstance(e, UsageError):
                raise
            from ..providers.registry import PROVIDER_NAMES
            from .common import report

            prog = f"luagate {argv[0]}" if argv[0] in PROVIDER_NAMES else "luagate"
            return report(e, json_mode=_WANTS_JSON[0], prog=prog)
        if argv[:1] == ["call"]:
            from . import call_command

            return call_command.main(argv[1:])
        parser = build_parser(argv[0] if argv else None)
        try:
            args, extras = parser.parse_known_args(argv)
            if extras:  # reported by the command's own parser, with its own usage line
                command_parser = args.commands.get(args.command) if args.command else None
                (command_parser or parser).error(_unrecognized(args.command, extras))
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

            json_mode = getattr(args, "json", False) or _WANTS_JSON[0]
            return report(e, json_mode=json_mode, prog=f"luagate {argv[0]}")
    except KeyboardInterrupt:
        print("luagate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # luagate docs aircall | head
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
        return EXIT_FAILURE
    except OSError as e:
        import errno

        if e.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT):
            raise
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more to write there, even at exit
        print(f"luagate: cannot write the output: {e.strerror}", file=sys.stderr)
        return EXIT_FAILURE
