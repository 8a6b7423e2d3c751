"""``luagate status``: per provider, whether it is usable, its accounts, default and policy."""

from __future__ import annotations

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "status",
        help="providers: on or off, configured or not, accounts, default account, policy",
        description="Per provider: active (switched on: see configure --enable/--disable), "
        "configured (at least one account holds a complete credential set), its accounts, the "
        "default account, how many functions, and the read/write policy. Nothing is "
        "decrypted; 'luagate doctor' checks more deeply.",
    )
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run)


def status() -> list[dict[str, Any]]:
    gateway = common.build_gateway()
    store = gateway.store
    result = []
    for spec in gateway.all_providers:
        accounts = [
            {"name": name, "ready": common.account_ready(store, spec, name)}
            for name in store.accounts(spec)
        ]
        # with no account, calls go to the built-in demo account (the simulator)
        demo = gateway.is_demo(spec, "demo")
        configured = any(a["ready"] for a in accounts)
        if demo:
            accounts.append({"name": "demo", "ready": True, "built_in": True})
        entry = {
            "provider": spec.name,
            "title": spec.title,
            "active": spec in gateway.providers,
            "configured": configured,
            "accounts": accounts,
            "default_account": store.default_account(spec) or ("demo" if demo else None),
            "demo": demo,
            "functions": len(spec.functions),
            "policy": store.policy(spec.name),
        }
        ignored = store.ignored_env_accounts(spec)
        if ignored:  # accounts in the environment under a name luagate refuses: never used
            entry["ignored_accounts"] = ignored
        result.append(entry)
    return result


def run(args: argparse.Namespace) -> int:
    providers = status()
    if args.json:
        common.emit_json(providers)
        return common.EXIT_OK
    rows = []
    for p in providers:
        accounts = ", ".join(
            a["name"] + ("" if a["ready"] else " (incomplete)")
            for a in p["accounts"]
            if not a.get("built_in")
        )
        if p["demo"]:
            accounts = "demo (built-in, simulated)"
        policy = p["policy"]
        rows.append(
            (
                p["provider"],
                "yes" if p["active"] else "no (switched off)",
                "yes" if p["configured"] else "no",
                accounts or "-",
                p["default_account"] or ("demo" if p["demo"] else "-"),
                p["functions"],
                f"read={policy['read']} write={policy['write']}",
            )
        )
    headers = ("PROVIDER", "ACTIVE", "CONFIGURED", "ACCOUNTS", "DEFAULT", "FUNCTIONS", "POLICY")
    common.out(common.table(headers, rows))
    off = [p["provider"] for p in providers if not p["active"]]
    if off:
        common.out()
        common.out(
            "Switched off (hidden from scripts and agents, accounts kept): "
            + ", ".join(f"{name} (on again: luagate configure {name} --enable)" for name in off)
        )
    ignored = [(p["provider"], i) for p in providers for i in p.get("ignored_accounts", [])]
    if ignored:
        common.out()
        for provider, account in ignored:
            common.out(
                f"Ignored: {provider} account {account['name']!r} from"
                f" {', '.join(account['variables'])}: {account['reason']}"
            )
    if ignored or not all(p["configured"] for p in providers if p["active"]):
        common.out()
        common.out("What is missing, and the command to fix it: luagate doctor")
    return common.EXIT_OK
