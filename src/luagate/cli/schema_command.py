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
    from ..catalog.schema import input_schema, output_schema
    from ..errors import UnknownFunctionError

    try:  # a switched-off provider's schema is still the operator's to read
        _, function = common.build_gateway().function(args.function, disabled=True)
    except UnknownFunctionError as e:  # a usage error (exit 2), as for luagate call
        return common.report(e, json_mode=args.json, exit_code=common.EXIT_USAGE)
    common.emit_json(output_schema(function) if args.output else input_schema(function))
    return common.EXIT_OK
