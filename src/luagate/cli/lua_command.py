"""``luagate lua``: run a Lua script (a file, ``-e CODE`` or stdin) in the sandbox, or, with
``--repl``, an interactive session (:mod:`luagate.cli.repl`, imported only then)."""

from __future__ import annotations

import argparse
import json
import sys

from .common import EXIT_FAILURE, EXIT_OK, stdout_gone, stream_stdout, write_stdout

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from typing import Any

    from ..errors import LuagateError


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "lua",
        help="run a Lua script in the sandbox",
        description=(
            "Run a Lua script in the sandbox: a FILE, -e CODE, or a script piped on stdin; or, "
            "with --repl, read-eval-print Lua interactively. "
            "Exit 0 when the script succeeds (a REPL: at its end), 1 when it fails, 2 on a "
            "usage error."
        ),
    )
    p.add_argument("file", nargs="?", help="script file ('-' reads stdin)")
    p.add_argument("-e", "--eval", dest="code", metavar="CODE", help="run CODE")
    p.add_argument(
        "--json", action="store_true", help="print the execution envelope (and nothing else)"
    )
    p.add_argument(
        "-i",
        "--repl",
        action="store_true",
        help="an interactive session: one Lua state, each input run as it is entered "
        "(.help inside it)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="wall-clock limit (30), host calls included; in a REPL, for each input",
    )
    p.add_argument(
        "--cpu-limit",
        type=float,
        metavar="SECONDS",
        help="the same as --timeout: luagate limits wall-clock time, stricter than a CPU-time "
        "limit (waiting counts too)",
    )
    p.add_argument("--memory", type=float, metavar="MIB", help="memory limit in MiB (64)")
    p.add_argument("--memory-limit", type=float, metavar="MIB", help="the same as --memory")
    p.add_argument(
        "--max-output", type=int, metavar="BYTES", help="printed output cap (1 MiB; per input)"
    )
    p.add_argument(
        "--max-calls", type=int, metavar="N", help="host calls allowed (1000; per input)"
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="bypass the providers' read/write policy for this run (never validation or limits)",
    )
    p.add_argument(
        "--in-process",
        action="store_true",
        help="run in this process (faster start, weaker isolation)",
    )
    p.set_defaults(run=run)


def _read_source(args: argparse.Namespace) -> bytes:
    if args.code is not None and args.file is not None:
        raise _usage("give either a FILE or -e CODE, not both")
    if args.code is not None:
        return args.code.encode("utf-8", "surrogateescape")
    if sys.stdin is None and args.file in (None, "-"):
        raise _usage("give a script FILE or -e CODE (stdin is closed)")
    if args.file == "-" or (args.file is None and not sys.stdin.isatty()):
        source = sys.stdin.buffer.read()
        if args.file is None and not source.strip():  # nothing piped: no script was given
            raise _usage("give a script FILE, -e CODE, or pipe a script on stdin (stdin was empty)")
        return source
    if args.file is None:
        raise _usage("give a script FILE, -e CODE, or pipe a script on stdin")
    try:
        with open(args.file, "rb") as f:
            return f.read()
    except OSError as e:
        raise _usage(f"cannot read {args.file}: {e.strerror}") from None


def _usage(message: str) -> LuagateError:
    """A usage error (exit 2), reported by the CLI as every command's are: on stderr, and as
    JSON on stdout under --json."""
    from ..errors import UsageError

    return UsageError(message)


def _limits(args: argparse.Namespace) -> Any:
    from .common import limits_from_flags

    return limits_from_flags(args)  # a UsageError naming the flag as given


def _repl_conflict(args: argparse.Namespace) -> str | None:
    if args.json:
        return "--repl cannot be combined with --json (a session prints as it goes)"
    if args.code is not None:
        return "--repl cannot be combined with -e CODE (give one or the other)"
    if args.file is not None:
        return f"--repl cannot be combined with a script FILE ({args.file}); give one or the other"
    return None


def run(args: argparse.Namespace) -> int:
    if args.repl:
        conflict = _repl_conflict(args)
        if conflict is not None:
            raise _usage(conflict)
        limits = _limits(args)
        if sys.stdin is None:
            raise _usage("--repl reads its input from stdin, which is closed")
        from .repl import run_repl

        return run_repl(limits, isolated=not args.in_process, force=args.force)
    source = _read_source(args)
    limits = _limits(args)

    from ..gateway.gateway import Gateway

    gateway = Gateway(surface="lua")
    execution = gateway.run_lua(
        source,
        limits=limits,
        isolated=not args.in_process,
        force=args.force,
        on_output=None if args.json else stream_stdout,
    )
    if stdout_gone():  # its reader left (| head): stopped quietly, as on SIGPIPE
        return EXIT_FAILURE
    if args.json:
        write_stdout(json.dumps(execution.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        if execution.output and not execution.output.endswith("\n"):
            write_stdout("\n")
        if execution.result is not None:
            write_stdout(json.dumps(execution.result, indent=2, ensure_ascii=False) + "\n")
        if execution.error is not None:
            e = execution.error
            where = f" (line {e.line})" if e.line else ""
            print(f"luagate: {e.type}{where}: {e.message}", file=sys.stderr)
    return EXIT_OK if execution.success else EXIT_FAILURE
