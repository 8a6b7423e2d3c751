"""What the commands share: building the gateway, printing JSON and tables, reporting errors.

Kept import-light (``sys`` and ``json`` only): every command loads it, and ``luagate docs``
answers on a cold start. The gateway, the account store and the specs are imported inside the
functions that need them.
"""

from __future__ import annotations

import json
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from ..catalog.docs import Docs
    from ..catalog.spec import FunctionSpec, ProviderSpec
    from ..errors import LuagateError
    from ..gateway.gateway import Gateway

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


# -- stdout, whose reader may leave ---------------------------------------------------------------

_STDOUT_GONE = [False]
"""Whether stdout's reader went away (``luagate lua script.lua | head -1``)."""


def stdout_gone() -> bool:
    return _STDOUT_GONE[0]


def write_stdout(text: str) -> None:
    """Write and flush; once stdout's reader has left, the rest goes nowhere, quietly (the
    caller checks :func:`stdout_gone` and stops, as a program stops on SIGPIPE)."""
    if _STDOUT_GONE[0]:
        return
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_left()


def stream_stdout(text: str) -> None:
    """A script's (or a REPL input's) output as it prints it; once stdout's reader is gone, the
    script stops (as a program stops on SIGPIPE), and nothing more is said."""
    if _STDOUT_GONE[0]:
        return  # already stopped (what is left is flushed at the end: to nowhere)
    write_stdout(text)
    if _STDOUT_GONE[0]:
        from ..errors import OutputLimitError

        raise OutputLimitError("stdout was closed by its reader")


def flush_stdout() -> None:
    """Flush what was printed (before writing to stderr), minding a reader that left."""
    if _STDOUT_GONE[0]:
        return
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _reader_left()


def _reader_left() -> None:
    import os

    _STDOUT_GONE[0] = True
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush at exit either
    os.close(devnull)


# -- building things ----------------------------------------------------------------------------


def build_gateway(*, ask: Callable[[FunctionSpec, str | None], bool] | None = None) -> Gateway:
    """The one place the CLI builds its gateway (tests replace this to inject a stub client)."""
    from ..accounts.store import AccountStore
    from ..gateway.gateway import Gateway

    return Gateway(AccountStore(), ask=ask, surface="cli")


def load_docs() -> Docs:
    """The documentation alone, without the account store: what ``docs``/``search`` need."""
    from ..catalog.docs import Docs
    from ..providers.registry import provider_specs

    return Docs(provider_specs())


def provider_names() -> tuple[str, ...]:
    from ..providers.registry import PROVIDER_NAMES

    return PROVIDER_NAMES


def provider_spec(name: str) -> ProviderSpec:
    """A provider's spec by name (the name was checked by argparse's ``choices``)."""
    from ..providers.registry import provider_specs

    return next(p for p in provider_specs() if p.name == name)


# -- output -------------------------------------------------------------------------------------


def emit_json(value: Any) -> None:
    """A JSON value on stdout, and nothing else: what ``--json`` promises."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


MAX_JSON_DEPTH = 100
"""How deeply user-given JSON may nest: the limit a script's values have (``lua/sandbox.py``)."""


class JSONTooDeep(ValueError):
    """User-given JSON nested deeper than :data:`MAX_JSON_DEPTH` (``msg``: as JSONDecodeError)."""

    msg = f"JSON nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects"


def load_json(text: str) -> Any:
    """``json.loads`` for JSON a user gave (an argument, stdin, a flag's value): nesting past
    :data:`MAX_JSON_DEPTH` raises :class:`JSONTooDeep` (a ValueError, as malformed JSON's
    error is), never a RecursionError from the parser or from whatever walks the value later."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(JSONTooDeep.msg) from None
    pending = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:  # the containers still to look into, each with its depth
        item, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            raise JSONTooDeep(JSONTooDeep.msg)
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def table(headers: Iterable[str], rows: Iterable[Iterable[Any]], indent: str = "") -> str:
    """Plain aligned columns (rich's import costs more than these tables are worth)."""
    lines = [[str(c) for c in headers], *([str(c) for c in row] for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        indent + "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


def one_line(text: str, width: int = 100) -> str:
    """The first line of a description, cut to ``width``."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 3].rstrip() + "..."


def report(
    error: LuagateError, *, json_mode: bool, prog: str = "luagate", exit_code: int = EXIT_FAILURE
) -> int:
    """Print an error the way every command does; return its exit code.

    Usage errors (exit 2) go to stderr as ``<prog>: error: ...``. Other failures go to stderr as
    ``error[<type>]: <message>``, with ``exit_code`` (1; 2 for an unknown function, which is a
    usage error by its type's name, as ``luagate call`` reports it). Under ``--json`` every error
    is also on stdout as ``{"error": {...}}``, so a program always has one JSON value to read.
    """
    if error.type == "usage":
        if json_mode:
            emit_json({"error": error.to_dict()})
        err(f"{prog}: error: {error.message}")
        return EXIT_USAGE
    if json_mode:
        emit_json({"error": error.to_dict()})
    else:
        err(f"error[{error.type}]: {error.message}")
    return exit_code


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0-65535 (0 picks a free one)."""
    import argparse

    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0-65535; got {text!r}")
    return port


_ALIASES = {"--timeout": "--cpu-limit", "--memory": "--memory-limit"}
"""Another spelling of a limit's flag (``luagate lua`` takes both; ``serve`` the first)."""


def _flag_value(args: Any, flag: str) -> tuple[str, Any]:
    """The flag the user gave for one limit (its alias, if that is the one used), and its
    value; a usage error when both spellings are given."""
    value = getattr(args, flag[2:].replace("-", "_"), None)
    alias = _ALIASES.get(flag)
    alias_value = None if alias is None else getattr(args, alias[2:].replace("-", "_"), None)
    if alias_value is None:
        return flag, value
    if value is not None:
        raise usage(f"{flag} and {alias} set the same limit; give one of them")
    return alias, alias_value


def limits_from_flags(args: Any) -> Any:
    """The script limits that ``--timeout``/``--memory``/``--max-output``/``--max-calls`` ask
    for (``luagate lua`` and ``luagate serve`` share them; ``--cpu-limit`` and
    ``--memory-limit`` are ``luagate lua``'s other spellings of the first two); a usage error
    naming the flag as given."""
    import math

    from ..errors import UsageError
    from ..lua.limits import MAXIMA, MIB, Limits

    chosen = {
        "timeout_s": _flag_value(args, "--timeout"),
        "memory_bytes": _flag_value(args, "--memory"),
        "output_bytes": _flag_value(args, "--max-output"),
        "max_calls": _flag_value(args, "--max-calls"),
    }
    for flag, value in chosen.values():
        if value is not None and not (value > 0 and math.isfinite(value)):
            raise usage(f"{flag} must be a positive number, got {value:g}")
    memory_flag, memory = chosen["memory_bytes"]
    if memory is not None and memory < 1:
        raise usage(f"{memory_flag} must be at least 1 (MiB), got {memory:g}")
    if memory is not None and memory * MIB > MAXIMA["memory_bytes"]:
        most = MAXIMA["memory_bytes"] // MIB
        raise usage(f"{memory_flag} must be at most {most} (MiB: 1 TiB), got {memory:g}")
    requested = {field: value for field, (_, value) in chosen.items() if value is not None}
    if memory is not None:
        requested["memory_bytes"] = int(memory * MIB)
    try:
        return Limits(**requested)
    except UsageError as e:  # beyond a ceiling: say which flag
        message = e.message
        for field, (flag, _) in chosen.items():
            message = message.replace(f"limit {field}", flag).replace(field, flag)
        raise usage(message) from None


def stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):  # closed or replaced stdin
        return False


def ask_at_terminal(function: FunctionSpec, account: str | None) -> bool:
    """The ``ask`` policy's question to the person at the terminal (stderr for the question,
    stdin for the answer): ``luagate call`` and the REPL use it when stdin is a terminal."""
    sys.stderr.write(f"Allow {function.full_name} ({function.kind}) on account {account}? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def usage(message: str) -> LuagateError:
    from ..errors import UsageError

    return UsageError(message)


# -- accounts -----------------------------------------------------------------------------------


def configure_command(spec: ProviderSpec, account: str, fields: Iterable[str]) -> str:
    """The exact command that stores ``fields`` (the gateway's own wording)."""
    from ..gateway.gateway import configure_command as command

    return command(spec, account, fields)


def closest_set(spec: ProviderSpec, have: set[str]) -> tuple[str, ...]:
    """The credential set an account is closest to completing (the first one when tied)."""
    return max(spec.credential_sets, key=lambda group: len(have & set(group)))


def is_present(value: Any) -> bool:
    return value not in (None, "")


def account_ready(store: Any, spec: ProviderSpec, account: str) -> bool:
    """Does the account hold one complete credential set, with its env references set?
    (Judged without decrypting anything.)"""
    stored = store.stored_fields(spec, account)
    unset = {field for field, _ in store.missing_env_references(spec, account)}
    return any(
        all(is_present(stored.get(n)) and n not in unset for n in group)
        for group in spec.credential_sets
    )
