"""``luagate docs [page]`` and ``luagate search <query...>``: the agent-facing documentation.

Neither touches the account store: they load the specs and the docs only, so they answer fast on
a cold start.
"""

from __future__ import annotations

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "docs",
        help="read the documentation (the catalog, a guide, a provider, a function)",
        description="Without PAGE, the catalog of pages. PAGE is a guide (overview, errors, "
        "examples), a provider (aircall) or a function (aircall.list_calls); its markdown is "
        "printed. An unknown page exits 1 with suggestions.",
    )
    p.add_argument("page", nargs="?", help="the page to print")
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run_docs)

    p = commands.add_parser(
        "search",
        help="search the documentation",
        description="Documentation pages ranked by how well they match the words of QUERY.",
    )
    p.add_argument("query", nargs="+", help="words to look for")
    p.add_argument("--limit", type=int, default=10, metavar="N", help="at most N pages (10)")
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run_search)


def run_docs(args: argparse.Namespace) -> int:
    docs = common.load_docs()
    if args.page is None:
        catalog = docs.list()
        if args.json:
            common.emit_json(catalog)
        else:
            _print_catalog(catalog)
        return common.EXIT_OK
    text = docs.read(args.page)  # UnknownFunctionError (with suggestions) → exit 1
    if args.json:
        common.emit_json({"page": args.page.strip(), "markdown": text})
    else:
        common.out(text.rstrip("\n"))
    return common.EXIT_OK


def _print_catalog(catalog: dict[str, Any]) -> None:
    common.out("Guides")
    rows = [(g["page"], g["title"]) for g in catalog["guides"]]
    common.out(common.table(("PAGE", "TITLE"), rows, indent="  "))
    for p in catalog["providers"]:
        common.out()
        common.out(f"{p['title']} (page: {p['page']})")
        rows = [(f["page"], f["kind"], common.one_line(f["summary"])) for f in p["functions"]]
        common.out(common.table(("PAGE", "KIND", "SUMMARY"), rows, indent="  "))
    common.out()
    common.out("Read a page: luagate docs <page>")


def run_search(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise common.usage(f"--limit must be at least 1, got {args.limit}")
    query = " ".join(args.query)
    results = common.load_docs().search(query, args.limit)
    if args.json:
        common.emit_json(results)
        return common.EXIT_OK
    if not results:
        common.err(f"no documentation page matches {query!r}; the catalog: luagate docs")
        return common.EXIT_OK
    rows = [(r["page"], f"{r['score']:g}", common.one_line(r["summary"], 80)) for r in results]
    common.out(common.table(("PAGE", "SCORE", "SUMMARY"), rows))
    return common.EXIT_OK
