"""``luagate list [provider]``: the providers and their functions (also ``luagate <provider>``)."""

from __future__ import annotations

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "list",
        help="providers and their functions",
        description="List the providers and their functions: name, kind (read or write) and "
        "what each does. 'luagate <provider>' is the same for one provider.",
    )
    p.add_argument("provider", nargs="?", choices=common.provider_names(), help="only this one")
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run)


def _switched_on() -> Callable[[str], bool]:
    """Whether each provider is switched on; all are when the configuration cannot be read
    (``luagate doctor`` reports that: this command only lists)."""
    from ..accounts.store import AccountStore
    from ..errors import LuagateError

    store = AccountStore()
    try:
        store.enabled("")
    except LuagateError:
        return lambda _: True
    return store.enabled


def catalog(provider: str | None = None) -> list[dict[str, Any]]:
    from ..providers.registry import provider_specs

    switched_on = _switched_on()
    return [
        {
            "provider": p.name,
            "title": p.title,
            "active": switched_on(p.name),
            "description": p.description,
            "functions": [
                {
                    "name": f.full_name,
                    "kind": f.kind,
                    "description": common.one_line(f.description, 200),
                }
                for f in p.functions
            ],
        }
        for p in provider_specs()
        if provider in (None, p.name)
    ]


def run(args: argparse.Namespace) -> int:
    providers = catalog(args.provider)
    if args.json:
        common.emit_json(providers)
        return common.EXIT_OK
    for i, p in enumerate(providers):
        if i:
            common.out()
        common.out(f"{p['provider']} — {p['description']}")
        if not p["active"]:
            common.out(
                f"  (switched off: hidden from scripts and agents; on again: luagate configure"
                f" {p['provider']} --enable)"
            )
        rows = [
            (
                f["name"].partition(".")[2] if args.provider else f["name"],  # as it is typed
                f["kind"],
                common.one_line(f["description"]),
            )
            for f in p["functions"]
        ]
        common.out(common.table(("FUNCTION", "KIND", "DESCRIPTION"), rows, indent="  "))
    common.out()
    if args.provider:
        name = args.provider
        common.out(f"Call one:  luagate {name} <function> [JSON] [--param value ...]")
        common.out(f"Its flags: luagate {name} <function> --help")
        common.out(f"Read one:  luagate docs {name}.<function>")
    else:
        common.out("Call one:  luagate call <provider.function> [JSON] [--param value ...]")
        common.out("Read one:  luagate docs <provider.function>")
    return common.EXIT_OK
