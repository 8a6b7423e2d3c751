"""``luagate call <provider.function> [JSON] [--param value ...]``: one call through the gateway.

Arguments come from a JSON object (the JSON argument, ``-`` for stdin, or piped stdin when no
argument at all is given and it has data), then ``--arg NAME=VALUE`` and the function's own
parameters as kebab-case flags (``--per-page 10`` → ``per_page``), which override the JSON. Those
flags are not declared to argparse: they are read here against the function's spec, and each value
is coerced by the parameter's declared type (``--q 007`` stays the string ``"007"``).

``main()`` hands this command its tokens unparsed (argparse cannot take flags it does not know
the names of in advance); ``add_parser`` only registers it for ``luagate --help``.
"""

from __future__ import annotations

import json
import math
import re
import sys

from ..suggest import close_matches
from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..catalog.spec import Field, FunctionSpec, Param

OWN_FLAGS = (
    "--account", "--arg", "--dry-run", "--force", "--json", "--timeout", "--help", "-h"
)  # fmt: skip
DEFAULT_TIMEOUT_S = 120.0
"""How long one call may take in all (rate-limit waits and retries included) unless --timeout."""
_DECIMAL = re.compile(r"[+-]?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
"""A number as an integer flag may spell it: digits, a fraction, an exponent (ASCII only)."""
BOOLEAN_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
USAGE = (
    "usage: luagate call PROVIDER.FUNCTION [JSON | -] [--PARAM VALUE ...] [--arg NAME=VALUE ...]\n"
    "                    [--account NAME] [--dry-run] [--force] [--timeout SECONDS] [--json]"
)
HELP = f"""{USAGE}

Call one function through the gateway: arguments are validated against its spec, the provider's
read/write policy applies (--force bypasses only that), and the result is printed.

Arguments, later ones overriding earlier ones:
  JSON                a JSON object of arguments ('-' reads it from stdin; piped stdin is read
                      only when no argument at all is given and it sends data)
  --PARAM VALUE       a parameter as a kebab-case flag: --per-page 10 sets per_page (also
                      --per-page=10); the value is coerced by the parameter's type; an array
                      takes a JSON array or repeated flags (--tags a --tags b)
  --arg NAME=VALUE    the same, by the parameter's name

Options:
  --account NAME      the account to use (default: the provider's default account)
  --dry-run           validate and check policy and credentials; call nothing
  --force             bypass the read/write policy for this call (nothing else)
  --timeout SECONDS   the most the whole call may take, rate-limit waits and retries
                      included (default 120); a longer wait fails at once as rate_limited
  --json              print the call envelope as JSON, and nothing else
  -h, --help          this help; with a function, its parameters

Exit 0 when the call succeeds, 1 when it fails, 2 on a usage error.
Shortcut: luagate PROVIDER FUNCTION [...] is luagate call PROVIDER.FUNCTION [...].
"""


def add_parser(commands: Any) -> None:
    import argparse

    p = commands.add_parser(
        "call",
        help="call one function: luagate call aircall.list_calls --per-page 5",
        add_help=False,
    )
    p.add_argument("tokens", nargs=argparse.REMAINDER)


class Request:
    """What the tokens asked for."""

    def __init__(self) -> None:
        self.function_name: str | None = None
        self.spec: FunctionSpec | None = None
        self.unknown = False  # the function does not exist: the gateway will say so
        self.json_text: str | None = None
        self.flags: dict[str, Any] = {}
        self.account: str | None = None
        self.dry_run = False
        self.force = False
        self.json = False
        self.help = False
        self.timeout = DEFAULT_TIMEOUT_S


def flag_name(param_name: str) -> str:
    return "--" + param_name.replace("_", "-")


def _find_param(spec: FunctionSpec, name: str) -> Param | None:
    wanted = name.replace("-", "_")
    return spec.param(wanted)


def _unknown_flag(spec: FunctionSpec, flag: str, given: str | None = None) -> Exception:
    flags = [flag_name(p.name) for p in spec.params]
    close = close_matches(flag, flags + list(OWN_FLAGS), n=1, cutoff=0.6)
    what = f"option {flag}" if given is None else f"parameter in {given}"
    message = f"unknown {what} for {spec.full_name}."
    if close:
        message += f" Did you mean {close[0]}?"
    if flags:
        message += " Its parameters: " + " ".join(flags) + "."
    else:
        message += " It takes no parameters."
    return common.usage(message)


def _bad_value(source: str, message: str) -> Exception:
    """A flag's value the parameter cannot take: a validation error, as the same value given
    in JSON would be (exit 1), naming the flag it came from."""
    from ..errors import ValidationError

    return ValidationError(f"{message} (from {source})")


def _coerce(param: Param | Field, raw: str, source: str, where: str) -> Any:
    """A flag's text as the value the parameter's type asks for."""
    kind = param.type
    if kind == "string":
        return raw
    if kind == "integer":
        text = raw.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit():
            return int(text)
        # a number with no fraction (5.0, 1e3) is an integer, as it is in JSON (validate.py)
        from ..catalog.validate import exact_integer

        number = exact_integer(float(text)) if _DECIMAL.fullmatch(text) else None
        if number is None:
            raise _bad_value(source, f"{where}: {param.name} must be an integer, got {raw!r}")
        return number
    if kind == "number":
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or "_" in raw:
            raise _bad_value(source, f"{where}: {param.name} must be a number, got {raw!r}")
        return value
    if kind == "boolean":
        word = raw.strip().lower()
        if word not in BOOLEAN_WORDS:
            raise _bad_value(
                source, f"{where}: {param.name} must be true/false (or 1/0, yes/no), got {raw!r}"
            )
        return BOOLEAN_WORDS[word]
    if kind == "array":
        if raw.lstrip().startswith("["):
            value = _json_value(raw, source, param.name)
            if not isinstance(value, list):
                raise _bad_value(source, f"{where}: {param.name} must be a JSON array, got {raw!r}")
            return value
        item = param.items
        if item is None or item.type == "string":
            return [raw]
        return [_coerce(item, raw, source, where)]
    # object
    value = _json_value(raw, source, param.name)
    if not isinstance(value, dict):
        raise _bad_value(source, f"{where}: {param.name} must be a JSON object, got {raw!r}")
    return value


def _json_value(raw: str, source: str, name: str) -> Any:
    try:
        return common.load_json(raw)
    except common.JSONTooDeep as e:
        raise common.usage(f"{source}: {name}: {e.msg}") from None
    except ValueError as e:
        raise common.usage(f"{source}: {name} is not valid JSON ({e.msg}): {raw[:80]!r}") from None


def _add_flag(request: Request, param: Param, raw: str, source: str) -> None:
    assert request.spec is not None
    value = _coerce(param, raw, source, request.spec.full_name)
    if param.type == "array":
        request.flags.setdefault(param.name, []).extend(value)
    elif param.name in request.flags:
        raise common.usage(f"{source}: {param.name} is given more than once")
    else:
        request.flags[param.name] = value


def parse(tokens: list[str], resolve: Any, request: Request | None = None) -> Request:
    """Read the tokens left to right. ``resolve(name)`` returns the function's spec or None.
    ``request`` (a new one if not given) is filled in as the tokens are read, so that a
    failure midway still knows the function it was for."""
    request = Request() if request is None else request
    i, n = 0, len(tokens)
    positional_only = False
    while i < n:
        token = tokens[i]
        i += 1
        if positional_only or token == "-" or not token.startswith("-"):
            if request.function_name is None:
                request.function_name = token
                request.spec = resolve(token)
                request.unknown = request.spec is None
            elif request.unknown:
                continue  # the unknown function is the error to report
            elif request.json_text is None:
                request.json_text = token
            else:
                raise common.usage(
                    f"unexpected argument {token!r}: give the arguments as one JSON object, "
                    "or as --name value flags"
                )
            continue
        if token == "--":
            positional_only = True
            continue
        name, eq, inline = token.partition("=")

        def value(name: str = name, eq: str = eq, inline: str = inline) -> str:
            nonlocal i
            if eq:
                return inline
            if i >= n or tokens[i].partition("=")[0] in OWN_FLAGS:
                raise common.usage(
                    f"{name} needs a value (write {name}=VALUE for one that starts with --)"
                )
            i += 1
            return tokens[i - 1]

        if name in ("-h", "--help"):
            request.help = True
        elif name in ("--json", "--dry-run", "--force"):
            if eq:
                raise common.usage(f"{name} takes no value")
            setattr(request, name[2:].replace("-", "_"), True)
        elif name == "--account":
            request.account = value()
        elif name == "--timeout":
            raw = value()
            try:
                request.timeout = float(raw)
            except ValueError:
                request.timeout = -1.0
            if not 0 < request.timeout < float("inf"):
                raise common.usage(f"--timeout takes a number of seconds above 0, got {raw!r}")
        elif name == "--arg":
            item = value()
            key, has_eq, raw = item.partition("=")
            if request.unknown:
                continue
            if request.spec is None:
                raise common.usage("name the function before its arguments")
            if not has_eq:
                raise common.usage(f"--arg takes NAME=VALUE, got {item!r}")
            param = _find_param(request.spec, key.strip())
            if param is None:
                raise _unknown_flag(request.spec, flag_name(key.strip()), f"--arg {item}")
            _add_flag(request, param, raw, f"--arg {key}")
        elif request.unknown:
            continue
        elif request.spec is None:
            raise common.usage(
                f"{name}: name the function first: luagate call PROVIDER.FUNCTION {name} ..."
            )
        elif not name.startswith("--"):
            raise _unknown_flag(request.spec, name)
        else:
            param = _find_param(request.spec, name[2:])
            if param is None:
                raise _unknown_flag(request.spec, name)
            if param.type == "boolean" and not eq:
                # a bare boolean flag means true; a following boolean word is its value
                if i < n and tokens[i].strip().lower() in BOOLEAN_WORDS:
                    raw = tokens[i]
                    i += 1
                else:
                    raw = "true"
            else:
                raw = value()
            _add_flag(request, param, raw, name)
    return request


STDIN_GRACE_S = 0.5
"""How long a call given no arguments waits for piped stdin to show data (or end) before it
goes on without it: an agent's harness often leaves stdin open and silent. ``-`` waits."""


def _stdin_ready(timeout: float) -> bool | None:
    """Has stdin something to read (data, or its end) within ``timeout`` seconds? None when it
    is no file descriptor (text in memory: reading it never blocks)."""
    import select

    try:
        fd = sys.stdin.fileno()
    except (AttributeError, ValueError, OSError):
        return None
    try:
        return bool(select.select([fd], [], [], timeout)[0])
    except (OSError, ValueError):  # closed
        return False


def _stdin_wanted(request: Request) -> bool:
    """Should stdin be read though ``-`` was not given? Only when the call has no arguments at
    all (no JSON, no flag, no ``--arg``), the function takes some, stdin is not a terminal, and
    it has something to read (data, or its end) within :data:`STDIN_GRACE_S`: a call that has
    its arguments, or takes none, never waits for stdin."""
    assert request.spec is not None
    if request.json_text is not None or request.flags or not request.spec.params:
        return False
    if sys.stdin is None or common.stdin_is_tty():  # None: no stdin at all
        return False
    if _stdin_ready(STDIN_GRACE_S) is False:
        common.err(
            "luagate call: stdin is open but sent nothing: going on without it (to read the"
            " arguments from stdin, give - as the JSON argument)"
        )
        return False
    return True


def _note_unread_stdin() -> None:
    """Say so when stdin already holds data that this call does not read (its arguments came
    from the command line): never waiting for it, and reading one byte at most."""
    import os

    if common.stdin_is_tty() or not _stdin_ready(0):
        return
    try:
        waiting = os.read(sys.stdin.fileno(), 1)
    except (OSError, ValueError):
        return
    if waiting:
        common.err(
            "luagate call: stdin was not read: the arguments came from the command line (to"
            " add a JSON object from stdin, give - as the JSON argument)"
        )


def _arguments(request: Request) -> dict[str, Any]:
    """The JSON object (argument, ``-`` for stdin, or piped stdin when nothing else was given),
    then the flags over it."""
    text, source = request.json_text, "the JSON argument"
    if text == "-" or _stdin_wanted(request):
        text, source = sys.stdin.read(), "stdin"
        if not text.strip():
            if request.json_text == "-":
                raise common.usage("stdin is empty: expected a JSON object of arguments")
            text = None
    elif request.spec is not None and (request.json_text is not None or request.flags):
        _note_unread_stdin()
    args: dict[str, Any] = {}
    if text is not None:
        try:
            data = common.load_json(text)
        except common.JSONTooDeep as e:
            raise common.usage(f"{source}: {e.msg}") from None
        except ValueError as e:
            message = f"{source} is not valid JSON ({e.msg}): {text[:80]!r}"
            pair = re.fullmatch(r"\s*([A-Za-z_][\w-]*)\s*[=:]\s*(.*?)\s*", text, re.S)
            if pair:  # e.g. per_page=2: say both ways of writing it
                key, value = pair[1].replace("-", "_"), pair[2]
                flag = "--" + key.replace("_", "-")
                message += (
                    f"; give arguments as flags ({flag} {value}, or --arg {key}={value}) or as "
                    "a JSON object "
                    f"('{{\"{key}\": {value if _is_json(value) else json.dumps(value)}}}')"
                )
            raise common.usage(message) from None
        if data is not None and not isinstance(data, dict):
            raise common.usage(
                f'{source} must be a JSON object of named arguments, like {{"per_page": 10}}'
            )
        args = data or {}
    args.update(request.flags)
    return args


def _is_json(text: str) -> bool:
    try:
        common.load_json(text)
    except ValueError:
        return False
    return True


def function_help(spec: FunctionSpec) -> str:
    lines = [
        f"usage: luagate call {spec.full_name} [JSON | -] [--PARAM VALUE ...]"
        " [--arg NAME=VALUE ...]",
        "                    [--account NAME] [--dry-run] [--force] [--timeout SECONDS] [--json]",
        "",
        f"{spec.full_name} — a {spec.kind} function. {spec.description}",
        "",
    ]
    if not spec.params:
        lines.append("It takes no parameters.")
    else:
        rows = []
        for p in spec.params:
            kind = p.type + (", required" if p.required else "")
            if p.type == "array":
                kind += ", repeatable"
            rows.append((flag_name(p.name), kind, p.description))
        lines.append("Parameters:")
        lines.append(common.table(("FLAG", "TYPE", "DESCRIPTION"), rows, indent="  "))
    lines += [
        "",
        f"Full documentation: luagate docs {spec.full_name}    "
        f"JSON Schema: luagate schema {spec.full_name}",
    ]
    return "\n".join(lines)


def main(tokens: list[str]) -> int:
    """Every outcome prints the same way: with ``--json``, exactly one JSON document on stdout
    (the call envelope, a failure's too, whatever stage it failed at) and, on a failure, a
    one-line message on stderr; without it, the data on stdout or the message on stderr."""
    from ..errors import LuagateError, UnknownFunctionError

    request = Request()
    parsed = False
    try:
        gateway_box: list[Any] = []

        def resolve(name: str) -> FunctionSpec | None:
            try:
                return gateway().function(name, disabled=True)[1]  # the call itself refuses
            except UnknownFunctionError:
                return None

        def gateway() -> Any:
            if not gateway_box:
                # someone to ask only when a person is at the terminal and stdin is not data
                ask = common.ask_at_terminal if common.stdin_is_tty() else None
                gateway_box.append(common.build_gateway(ask=ask))
            return gateway_box[0]

        parse(tokens, resolve, request)
        parsed = True
        if request.help:
            common.out(function_help(request.spec) if request.spec else HELP)
            return common.EXIT_OK
        if request.function_name is None:
            raise common.usage(
                "name the function to call: luagate call PROVIDER.FUNCTION (luagate list)"
            )
        args = {} if request.unknown else _arguments(request)
        envelope = gateway().call(
            request.function_name,
            args,
            account=request.account,
            dry_run=request.dry_run,
            force=request.force,
            timeout=request.timeout,
        )
    except LuagateError as e:
        if not parsed:  # the tokens were not all read: --json or --dry-run anywhere counts
            request.json = request.json or "--json" in tokens
            request.dry_run = request.dry_run or "--dry-run" in tokens
        envelope = failure_envelope(request, e)
    if request.json:
        common.emit_json(envelope)
    elif envelope["success"]:
        common.emit_json(envelope["data"])
    if not envelope["success"]:
        common.err(_message(envelope["error"], one_line=request.json))
        return common.EXIT_USAGE if _is_usage(envelope) else common.EXIT_FAILURE
    return common.EXIT_OK


def failure_envelope(request: Request, error: Any) -> dict[str, Any]:
    """The envelope of a call that failed before the gateway was asked (a usage error, a flag's
    value the parameter refuses): the shape :meth:`Gateway.call` gives a failed call."""
    spec = request.spec
    return {
        "function": spec.full_name if spec is not None else request.function_name,
        "success": False,
        "data": None,
        "error": error.to_dict(),
        "meta": {
            "account": request.account,
            "operation": spec.kind if spec is not None else None,
            "dry_run": request.dry_run,
            "permission_bypassed": False,
            "rate_limited_ms": 0.0,
            "requests": 0,
        },
        "duration_ms": 0.0,
    }


def _message(error: dict[str, Any], *, one_line: bool) -> str:
    """A failure for people, on stderr: ``luagate call: error: ...`` for a usage error (as
    argparse words its own), ``error[<type>]: ...`` for the rest."""
    message = str(error["message"])
    if one_line:
        message = " ".join(message.splitlines())
    if error["type"] == "usage":
        return f"luagate call: error: {message}"
    return f"error[{error['type']}]: {message}"


def _is_usage(envelope: dict[str, Any]) -> bool:
    """Could the call not even be formed (an unknown function, a bad account name)? That is
    a usage error. A value the function refuses is a ``validation`` failure (exit 1), however
    it was given."""
    return envelope["error"]["type"] in ("usage", "unknown_function")
