"""``luagate doctor [provider]``: what is missing, and the exact command that fixes each thing.

Checks, per provider and account: a complete credential set, ``env:`` references whose variable
is unset, secrets that cannot be decrypted with the current key; and once: the permissions of the
key file and of config.json. A provider with no account is a problem when it is named, or when
no provider has an account at all; otherwise it is reported as not configured and left alone.
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
    checked: list[dict[str, Any]] = []
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
    return {"ok": not problems, "checked": checked, "problems": problems}


def run(args: argparse.Namespace) -> int:
    result = diagnose(args.provider)
    if args.json:
        common.emit_json(result)
    else:
        _print(result)
    return common.EXIT_OK if result["ok"] else common.EXIT_FAILURE


def _print(result: dict[str, Any]) -> None:
    for problem in result["problems"]:
        if problem["provider"] is None:
            common.out(f"✗ {problem['problem']}")
            common.out(f"    fix: {problem['fix']}")
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
