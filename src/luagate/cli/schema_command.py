"""``luagate schema <provider.function>``: the JSON Schema of a function's input (or result)."""

from __future__ import annotations

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "schema",
        help="the JSON Schema of a function's arguments (or --output: of its result)",
        description="Print the JSON Schema (draft 2020-12) of a function's arguments, or with "
        "--output of the table it returns. The output is JSON either way.",
    )
    p.add_argument("function", metavar="PROVIDER.FUNCTION", help="e.g. aircall.list_calls")
    p.add_argument("--output", action="store_true", help="the result's schema instead")
    p.add_argument("--json", action="store_true", help="accepted for uniformity: always JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The schema on stdout; a failure as ``{"error": {...}}`` on stdout with ``--json``, and
    as one line on stderr either way (an unknown function is a usage error, exit 2, as for
    ``luagate call``)."""
    from ..catalog.schema import input_schema, output_schema
    from ..errors import LuagateError

    try:  # a switched-off provider's schema is still the operator's to read
        _, function = common.build_gateway().function(args.function, disabled=True)
    except LuagateError as e:
        if args.json:
            common.emit_json({"error": e.to_dict()})
        message = " ".join(e.message.splitlines())
        if e.type == "usage":
            common.err(f"luagate schema: error: {message}")
        else:
            common.err(f"error[{e.type}]: {message}")
        usage = e.type in ("usage", "unknown_function")
        return common.EXIT_USAGE if usage else common.EXIT_FAILURE
    common.emit_json(output_schema(function) if args.output else input_schema(function))
    return common.EXIT_OK
