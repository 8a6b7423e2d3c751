"""``luagate docs [page]``, ``luagate examples [page]`` and ``luagate search <query...>``: the
agent-facing documentation.

Neither touches the account store (they load the specs and the docs only, so they answer fast on
a cold start), except for the ``context`` page, which is read from the live configuration.
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
        description="Without PAGE, the catalog of pages. PAGE is a guide (overview, context, "
        "errors, examples), a provider (aircall) or a function (aircall.list_calls); its "
        "markdown is printed. An unknown page exits 1 with suggestions.",
    )
    p.add_argument("page", nargs="?", help="the page to print")
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run_docs)

    p = commands.add_parser(
        "examples",
        help="the Lua examples of a page (a function, a provider, a guide)",
        description="Print the Lua examples of PAGE — a function (aircall.list_calls), every "
        "function of a provider (aircall), or a guide's code blocks — as one Lua text, each "
        "example under a comment naming it. Without PAGE, the 'examples' guide. An unknown "
        "page exits 1 with suggestions.",
    )
    p.add_argument("page", nargs="?", default="examples", help="the page (default: examples)")
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run_examples)

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
    if args.page.strip() == "context":  # the one page read from the live configuration
        docs = common.build_gateway().docs
    text = docs.read(args.page)  # UnknownFunctionError (with suggestions) → exit 1
    if args.json:
        common.emit_json({"page": args.page.strip(), "markdown": text})
    else:
        common.out(text.rstrip("\n"))
    return common.EXIT_OK


def run_examples(args: argparse.Namespace) -> int:
    examples = common.load_docs().examples(args.page)  # unknown page → exit 1, suggestions
    if args.json:
        common.emit_json({"page": args.page.strip(), "examples": examples})
        return common.EXIT_OK
    if not examples:
        common.err(f"the page {args.page.strip()!r} has no Lua examples")
        return common.EXIT_OK
    for i, example in enumerate(examples):
        if i:
            common.out()
        title = f": {example['title']}" if example["title"] else ""
        common.out(f"-- {example['page']}{title}")
        common.out(example["code"])
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
