"""``luagate doctor [provider]``: what is missing, and the exact command that fixes each thing.

Checks, per provider and account: a complete credential set, ``env:`` references whose variable
is unset, secrets that cannot be decrypted with the current key, accounts in the environment
under a name that is ignored; and once: the permissions of the home, of the key file and of
config.json, and a key rotation cut short. A provider with no account is a problem when it is
named, or when no provider has an account at all; otherwise it is reported as not configured and
left alone. A home others can read (not write) is a warning: it does not fail the check.
"""

from __future__ import annotations

import os
import stat

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from ..catalog.spec import ProviderSpec


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "doctor",
        help="what is missing, and the exact command to fix it",
        description="Check accounts (complete credential sets, env references, decryptable "
        "secrets) and file permissions; print each problem with the exact command that fixes "
        "it. Exit 1 when anything is missing.",
    )
    p.add_argument("provider", nargs="?", choices=common.provider_names(), help="only this one")
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run)


def _problem(provider: str | None, account: str | None, problem: str, fix: str) -> dict[str, Any]:
    return {"provider": provider, "account": account, "problem": problem, "fix": fix}


def _private(path: str, what: str) -> dict[str, Any] | None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    if mode & 0o077:
        return _problem(
            None, None, f"{what} {path} is readable by others (mode {mode:o})", f"chmod 600 {path}"
        )
    return None


def _home(home: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(problem, warning) about the home's permissions: others may write in it (they could
    replace the key or the accounts): a problem; others may list it: a warning."""
    try:
        mode = stat.S_IMODE(os.stat(home).st_mode)
    except OSError:
        return None, None
    fix = f"chmod 700 {home}"
    if mode & 0o022:
        said = f"luagate's home {home} can be written by others (mode {mode:o}): they could"
        return _problem(None, None, said + " replace the secret key or the accounts", fix), None
    if mode & 0o055:
        said = f"luagate's home {home} can be read by others (mode {mode:o})"
        return None, _problem(None, None, said + "; its files are private (0600)", fix)
    return None, None


def _side_key(store: Any) -> dict[str, Any] | None:
    """A key rotation cut short (``secret.key.new`` left behind): finished here when it can
    be, else said, with what to do."""
    from ..errors import LuagateError

    box = store.secrets
    if box.key_from_env or not os.path.exists(box.side_path):
        return None
    if store.recover_rotation():
        store.reload()
        return None
    try:
        which = store.rotation_leftover()
    except LuagateError:
        which = "neither"
    if which is None:
        return None
    side, key = box.side_path, box.key_path
    said = f"{side} is left by a `luagate rotate-key` that was cut short"
    if which == "side":
        fix = f"mv {side} {key}"
        said += "; config.json is encrypted with it, not with the key file"
    elif which == "key":
        fix = f"rm {side}"
        said += f"; config.json is still encrypted with {key}"
    else:
        fix = f"restore {key} from a backup, then: rm {side}"
        said += f"; neither it nor {key} decrypts config.json"
    return _problem(None, None, said, fix)


def _ignored_accounts(store: Any, spec: ProviderSpec) -> list[dict[str, Any]]:
    """Accounts the environment defines under a name luagate refuses: never used, said."""
    problems = []
    for ignored in store.ignored_env_accounts(spec):
        variables = ignored["variables"]
        prefix = f"LUAGATE_{spec.name.upper()}_"
        problems.append(
            _problem(
                spec.name,
                None,
                f"the environment variable{'s' if len(variables) > 1 else ''}"
                f" {', '.join(variables)} define{'' if len(variables) > 1 else 's'} an account"
                f" {ignored['name']!r}, which is ignored: {ignored['reason']}",
                f"name the account differently ({prefix}<ACCOUNT>_<FIELD>, ACCOUNT: letters,"
                f" digits and _, starting with a letter), or: unset {' '.join(variables)}",
            )
        )
    return problems


def _check_account(
    store: Any, spec: ProviderSpec, account: str, decrypt: bool
) -> list[dict[str, Any]]:
    from ..errors import SecretStoreError

    problems = []
    stored = store.stored_fields(spec, account)
    unset = dict(store.missing_env_references(spec, account))
    for field, variable in unset.items():
        problems.append(
            _problem(
                spec.name,
                account,
                f"{field} refers to the environment variable {variable}, which is not set",
                f"export {variable}=<{field}>",
            )
        )
    have = {name for name, value in stored.items() if common.is_present(value)}
    if not any(set(group) <= have for group in spec.credential_sets):
        group = common.closest_set(spec, have)
        missing = [name for name in group if name not in have]
        sets = " or ".join(" + ".join(g) for g in spec.credential_sets)
        problems.append(
            _problem(
                spec.name,
                account,
                f"missing credentials: {', '.join(missing)} (a complete set is {sets})",
                common.configure_command(spec, account, missing),
            )
        )
    for field, value in stored.items():
        if decrypt and isinstance(value, dict) and "encrypted" in value:
            try:
                store.secrets.decrypt(value["encrypted"], field)  # checked, never kept or shown
            except SecretStoreError as e:
                problems.append(
                    _problem(
                        spec.name,
                        account,
                        e.message,
                        common.configure_command(spec, account, [field]),
                    )
                )
    problems += _unusable_values(store, spec, account, stored)
    # a secret no HTTP header can carry, from the environment (stored ones: configure refuses)
    trouble = store.secret_trouble(spec, account, store.plain_values(spec, account))
    if trouble is not None:
        problems.append(_problem(spec.name, account, *trouble))
    return problems


def _unusable_values(
    store: Any, spec: ProviderSpec, account: str, stored: dict[str, Any]
) -> list[dict[str, Any]]:
    """Plain values the account could never use (a URL with credentials in it, a rate limit
    that does not parse): what ``configure`` refuses, found where it did not look (values set
    in the environment, or stored by hand)."""
    from ..errors import NotConfiguredError
    from ..providers.registry import provider_account_check

    check = provider_account_check(spec.name)
    if check is None:
        return []
    problems = []
    for field, value in stored.items():
        credential = spec.credential(field)
        if not isinstance(value, str) or (credential is not None and credential.secret):
            continue
        source = None
        if value.startswith("env:"):
            source, value = value[4:], store.environ.get(value[4:])
            if value is None:
                continue  # reported above as an unset variable
        elif f"LUAGATE_{spec.name.upper()}_{account.upper()}_{field.upper()}" in store.environ:
            source = f"LUAGATE_{spec.name.upper()}_{account.upper()}_{field.upper()}"
        try:
            check(field, value, account)
        except NotConfiguredError as e:
            fix = (
                f"set the environment variable {source} to a usable {field}"
                if source
                else common.configure_command(spec, account, [field])
            )
            said = e.message.removeprefix(f"{spec.name} account {account!r}: ")
            problems.append(_problem(spec.name, account, said, fix))
    return problems


def diagnose(provider: str | None = None) -> dict[str, Any]:
    from ..errors import SecretStoreError

    try:
        gateway = common.build_gateway()
        store = gateway.store
        store.accounts(gateway.all_providers[0])  # reads config.json
    except SecretStoreError as e:  # config.json itself cannot be read
        from ..accounts.paths import luagate_home
        from ..accounts.store import CONFIG_FILE

        home = luagate_home()
        path = os.path.join(home, CONFIG_FILE)
        if os.path.exists(home) and not os.path.isdir(home):
            fix = "export LUAGATE_HOME=<a directory> (or move the file away)"
        else:
            fix = f"correct the JSON in {path}, or start over: mv {path} {path}.broken"
        return {"ok": False, "checked": [], "problems": [_problem(None, None, e.message, fix)]}
    problems: list[dict[str, Any]] = []
    warnings: list[dict[str, Any]] = []
    checked: list[dict[str, Any]] = []
    home_problem, home_warning = _home(store.home)
    problems += [home_problem] if home_problem else []
    warnings += [home_warning] if home_warning else []
    side_problem = _side_key(store)
    problems += [side_problem] if side_problem else []
    key_problem = None
    if not store.secrets.key_from_env:
        key_problem = _private(store.secrets.key_path, "the secret key file")
        if key_problem:
            problems.append(key_problem)
    problem = _private(store.config_path, "the account file")
    if problem:
        problems.append(problem)

    specs = [s for s in gateway.all_providers if provider in (None, s.name)]
    for spec in [s for s in specs if s not in gateway.providers]:  # switched off: not checked
        checked.append(
            {
                "provider": spec.name,
                "account": None,
                "ok": True,
                "configured": None,
                "enabled": False,
            }
        )
    specs = [s for s in specs if s in gateway.providers]
    accounts = {spec.name: store.accounts(spec) for spec in specs}
    nothing_configured = not any(accounts.values())
    for spec in specs:
        problems += _ignored_accounts(store, spec)
        names = accounts[spec.name]
        if not names:
            required = provider is not None or nothing_configured
            checked.append(
                {"provider": spec.name, "account": None, "ok": not required, "configured": False}
            )
            if required:
                problems.append(
                    _problem(
                        spec.name,
                        None,
                        f"{spec.name} has no account (its calls go to the built-in demo"
                        " account: simulated data, no real API)",
                        common.configure_command(spec, "default", spec.credential_sets[0]),
                    )
                )
            continue
        for name in names:
            found = _check_account(store, spec, name, decrypt=key_problem is None)
            problems += found
            checked.append(
                {"provider": spec.name, "account": name, "ok": not found, "configured": True}
            )
    result = {"ok": not problems, "checked": checked, "problems": problems}
    if warnings:  # things to know that do not fail the check
        result["warnings"] = warnings
    return result


def run(args: argparse.Namespace) -> int:
    result = diagnose(args.provider)
    if args.json:
        common.emit_json(result)
    else:
        _print(result)
    return common.EXIT_OK if result["ok"] else common.EXIT_FAILURE


def _print(result: dict[str, Any]) -> None:
    listed = {(entry["provider"], entry["account"]) for entry in result["checked"]}
    for problem in result["problems"]:  # those of no account checked below
        if (problem["provider"], problem["account"]) not in listed or problem["provider"] is None:
            where = f"{problem['provider']}: " if problem["provider"] else ""
            common.out(f"✗ {where}{problem['problem']}")
            common.out(f"    fix: {problem['fix']}")
    for warning in result.get("warnings", []):
        common.out(f"! {warning['problem']}")
        common.out(f"    fix: {warning['fix']}")
    for entry in result["checked"]:
        where = entry["provider"] + (f" account {entry['account']!r}" if entry["account"] else "")
        if entry.get("enabled") is False:
            common.out(
                f"- {where}: switched off, not checked (to use it: luagate configure"
                f" {entry['provider']} --enable)"
            )
            continue
        if not entry["configured"] and entry["ok"]:
            common.out(f"- {where}: not configured (optional)")
            continue
        mine = [
            p
            for p in result["problems"]
            if p["provider"] == entry["provider"] and p["account"] == entry["account"]
        ]
        if not mine:
            common.out(f"✓ {where}: ready")
        for p in mine:
            common.out(f"✗ {where}: {p['problem']}")
            common.out(f"    fix: {p['fix']}")
    if result["ok"]:
        common.out("Nothing is missing.")
    else:
        n = len(result["problems"])
        common.out(f"{n} problem{'s' if n != 1 else ''} found.")
