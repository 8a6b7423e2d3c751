"""``luagate configure <provider>``: set or unset an account's fields, its policy, the default
account; or delete an account.

Secrets can come from stdin (``--stdin-json``) so they never appear in a command line, and what
is printed about a change never includes a secret's value.
"""

from __future__ import annotations

import json
import sys

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from ..catalog.spec import ProviderSpec

POLICY_CHOICES = ("allow", "ask", "deny")


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "configure",
        help="set an account's credentials, the policy, the default account; switch on or off",
        description="Change a provider's account (fields, default, deletion), its read/write "
        "policy, or switch the provider on or off. Secret fields are stored encrypted; a value "
        "'env:NAME' stores a reference to the environment variable NAME instead. --stdin-json "
        "reads a JSON object of fields from stdin, so secrets need not appear in the command line.",
    )
    p.add_argument("provider", choices=common.provider_names())
    p.add_argument(
        "--account", default="default", metavar="NAME", help="the account (default: default)"
    )
    p.add_argument(
        "--set",
        dest="set_values",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="set a field (repeatable)",
    )
    p.add_argument(
        "--unset", action="append", default=[], metavar="FIELD", help="remove a field (repeatable)"
    )
    p.add_argument(
        "--stdin-json",
        action="store_true",
        help='read {"field": "value", ...} from stdin (null unsets a field)',
    )
    p.add_argument("--read", choices=POLICY_CHOICES, help="policy for read functions")
    p.add_argument("--write", choices=POLICY_CHOICES, help="policy for write functions")
    p.add_argument("--default", action="store_true", help="make this account the default")
    p.add_argument("--delete", action="store_true", help="delete this account")
    switch = p.add_mutually_exclusive_group()
    switch.add_argument(
        "--enable",
        dest="enabled",
        action="store_const",
        const=True,
        help="switch the provider on (the default): scripts and agents can use it",
    )
    switch.add_argument(
        "--disable",
        dest="enabled",
        action="store_const",
        const=False,
        help="switch the provider off: hidden from scripts, agents and their docs; its "
        "accounts, secrets and policy are kept",
    )
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run)


def _parse_set(items: list[str]) -> dict[str, str]:
    """``--set FIELD=VALUE`` items as {field: value}. What was given is never repeated in an
    error: without '=' it may well be a secret typed without its field's name."""
    values: dict[str, str] = {}
    for position, item in enumerate(items, 1):
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            which = f"the {_ordinal(position)} --set" if len(items) > 1 else "--set"
            lacks = "no '='" if not eq else "no FIELD before '='"
            raise common.usage(
                f"--set takes FIELD=VALUE (e.g. --set api_id=123456); {which} has {lacks}"
                " (what was given is not shown: it may be a secret). Nothing was stored"
            )
        values[name.strip()] = value
    return values


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _read_stdin_json() -> tuple[dict[str, str], list[str]]:
    text = sys.stdin.read()
    try:
        data = common.load_json(text) if text.strip() else {}
    except common.JSONTooDeep as e:
        raise common.usage(f"--stdin-json: {e.msg}") from None
    except ValueError as e:
        raise common.usage(f"--stdin-json: stdin is not valid JSON ({e.msg})") from None
    if not isinstance(data, dict):
        raise common.usage('--stdin-json: stdin must hold a JSON object {"field": "value", ...}')
    values, unset = {}, []
    for name, value in data.items():
        if value is None:
            unset.append(name)
        elif isinstance(value, str):
            values[name] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values[name] = json.dumps(value)
        else:
            raise common.usage(f"--stdin-json: field {name} must be a string")
    return values, unset


def _shown(spec: ProviderSpec, name: str, value: str) -> dict[str, Any]:
    """A change as it may be printed: a secret's value never, an env reference as itself."""
    field = spec.credential(name)
    change: dict[str, Any] = {"field": name, "action": "set"}
    if field is not None and field.secret:
        change["secret"] = True
        if value.startswith("env:"):
            change["value"] = value
    else:
        change["value"] = value
    return change


def _check_values(spec: ProviderSpec, account: str, values: dict[str, str]) -> None:
    """Refuse a value the account could never use (a bad URL, rate limit or timeout) before
    it is stored, as a usage error; ``env:`` references are checked when they are used."""
    from ..errors import NotConfiguredError
    from ..providers.registry import provider_account_check

    check = provider_account_check(spec.name)
    if check is None:
        return
    for name, value in values.items():
        if value.startswith("env:"):
            continue
        try:
            check(name, value, account)
        except NotConfiguredError as e:
            raise common.usage(f"--set {name}: {e.message}") from None


def configure(spec: ProviderSpec, args: argparse.Namespace) -> dict[str, Any]:
    set_values = {}
    unset: list[str] = []
    if args.stdin_json:
        set_values, unset = _read_stdin_json()
    set_values.update(_parse_set(args.set_values))
    for name in args.unset:
        if "=" in name:  # FIELD=VALUE given to --unset: the value may be a secret
            raise common.usage(
                "--unset takes a FIELD name only, not FIELD=VALUE (what was given is not"
                " shown: it may hold a secret). Nothing was changed"
            )
    unset += [name.strip() for name in args.unset]
    changes_fields = bool(set_values or unset)
    if args.delete and (changes_fields or args.default):
        raise common.usage(
            "--delete cannot be combined with --set, --unset, --stdin-json or --default"
        )
    switching = args.enabled is not None
    if not (changes_fields or args.delete or args.default or args.read or args.write or switching):
        raise common.usage(
            "nothing to change: give --set FIELD=VALUE, --unset FIELD, --stdin-json, "
            "--read/--write allow|ask|deny, --default, --delete, --enable or --disable "
            f"(the fields: luagate fields {spec.name})"
        )
    both = set(set_values) & set(unset)
    if both:
        raise common.usage(f"{', '.join(sorted(both))}: both set and unset")

    _check_values(spec, args.account, set_values)

    gateway = common.build_gateway()
    # one read-modify-write of the home under its lock: the checks below see what the changes
    # apply to, and a concurrent configure or rotate-key waits (or is waited for)
    with gateway.store.transaction():
        return _configure(gateway, spec, args, set_values, unset)


def _configure(
    gateway: Any,
    spec: ProviderSpec,
    args: argparse.Namespace,
    set_values: dict[str, str],
    unset: list[str],
) -> dict[str, Any]:
    from ..accounts.store import check_account_name

    store = gateway.store
    changes_fields = bool(set_values or unset)
    switching = args.enabled is not None
    account = args.account
    default_before = store.default_account(spec)
    demo_before = gateway.is_demo(spec, "demo")
    result: dict[str, Any] = {"provider": spec.name, "account": account, "changes": []}
    # everything that can refuse is checked before anything changes: exit 2 stores nothing
    if args.default and not changes_fields and account not in store.accounts(spec):
        check_account_name(spec, account)
        known = ", ".join(store.accounts(spec)) or "none"
        raise common.usage(
            f"{spec.name} has no account {account!r} to make the default (accounts: {known})"
        )
    if args.delete:
        check_account_name(spec, account)
        if account not in store.stored_accounts(spec):
            known = ", ".join(store.accounts(spec)) or "none"
            raise common.usage(
                f"{spec.name} has no stored account {account!r} to delete (accounts: {known})"
            )
    if args.delete:
        store.delete_account(spec, account)
        result["deleted"] = True
        if account in store.accounts(spec):
            result["note"] = (
                f"{account!r} is still defined by LUAGATE_{spec.name.upper()}_"
                f"{account.upper()}_* environment variables"
            )
    if changes_fields:
        store.configure(spec, account, set_values=set_values, unset=unset)
        result["changes"] = [_shown(spec, n, v) for n, v in set_values.items()]
        result["changes"] += [{"field": n, "action": "unset"} for n in unset]
    if args.read or args.write:
        store.set_policy(spec.name, read=args.read, write=args.write)
        result["policy"] = store.policy(spec.name)
    if switching:
        store.set_enabled(spec.name, args.enabled)
    result["enabled"] = store.enabled(spec.name)
    if args.default:
        store.set_default(spec, account)
    if (
        not args.default
        and account != "default"  # an account named "default" is the default by its name
        and default_before is not None
        and default_before in store.accounts(spec)
        and store.default_account(spec) != default_before
    ):  # a new account never takes the default over silently: pin the one scripts use now
        store.set_default(spec, default_before)
    result["default_account"] = store.default_account(spec)
    # what scripts use when no account is named: the default account, else the built-in demo
    result["demo"] = gateway.is_demo(spec, "demo")
    if not args.default and result["default_account"] != default_before:
        result["default_changed"] = _default_changed(
            spec, default_before, demo_before, result["default_account"], result["demo"]
        )
    if changes_fields or args.default:  # the account was touched: can it be used now?
        result["ready"] = common.account_ready(store, spec, account)
    return result


def _default_changed(
    spec: ProviderSpec, before: str | None, demo_before: bool, now: str | None, demo: bool
) -> str:
    """What configure says when the account scripts use by default changed."""
    scripts = f"scripts calling app.integrations.{spec.name}.<function>"
    was = (
        f" (was {before!r})"
        if before
        else " (was the built-in demo account)"
        if demo_before
        else ""
    )
    if now is not None:
        return (
            f"{spec.name}'s default account is now {now!r}{was}; {scripts} use it. To choose"
            f" another: luagate configure {spec.name} --account NAME --default"
        )
    add = f"luagate configure {spec.name} --account NAME --set FIELD=VALUE"
    if demo:
        return (
            f"{spec.name} has no account left{was}: {scripts} now use the built-in demo account"
            f" (a simulated company, no real API). To add one: {add}"
        )
    return (
        f"{spec.name} has no account left{was}: {scripts} fail (not_configured) until one is"
        f" added: {add}"
    )


def run(args: argparse.Namespace) -> int:
    spec = common.provider_spec(args.provider)
    result = configure(spec, args)
    if args.json:
        common.emit_json(result)
        return common.EXIT_OK
    where = f"{spec.name} account {result['account']!r}"
    if result.get("deleted"):
        common.out(f"deleted {where}")
        if "note" in result:
            common.out(result["note"])
    for change in result["changes"]:
        name = change["field"]
        if change["action"] == "unset":
            common.out(f"{where}: unset {name}")
        elif "value" in change:
            common.out(f"{where}: set {name} = {change['value']}")
        else:
            common.out(f"{where}: set {name} (secret, stored encrypted)")
    if "policy" in result:
        policy = result["policy"]
        common.out(f"{spec.name} policy: read={policy['read']} write={policy['write']}")
    if args.enabled is not None:
        common.out(
            f"{spec.name} is switched on: scripts and agents can use it"
            if result["enabled"]
            else f"{spec.name} is switched off: hidden from scripts, agents and their docs"
            f" (accounts kept; on again: luagate configure {spec.name} --enable)"
        )
        common.out("(a running `luagate serve` sees this change once restarted)")
    elif not result["enabled"]:
        common.out(f"note: {spec.name} is switched off (luagate configure {spec.name} --enable)")
    if args.default:
        common.out(f"{spec.name} default account: {result['default_account']}")
    elif "default_changed" in result:
        common.out(result["default_changed"])
    if result.get("ready") is False and result["changes"]:
        common.out(f"{where} is not complete yet: luagate doctor {spec.name}")
    return common.EXIT_OK
