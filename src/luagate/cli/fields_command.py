"""``luagate fields <provider>``: a provider's credential fields, and which each account has set.

A secret's value is never shown: only whether it is set and where it comes from (stored
encrypted, an ``env:`` reference, the environment). Non-secret values are shown.
"""

from __future__ import annotations

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from ..catalog.spec import CredentialField, ProviderSpec


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "fields",
        help="a provider's credential fields, and which each account has set",
        description="The credential fields of PROVIDER (secret or not, what each is), the sets "
        "that make an account usable, and per account whether each field is set. Secret values "
        "are never shown.",
    )
    p.add_argument("provider", choices=common.provider_names())
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run)


def _field_state(field: CredentialField, value: Any, env_name: str, environ: Any) -> dict:
    if not common.is_present(value):
        return {"set": False}
    if isinstance(value, dict):  # {"encrypted": ...}
        return {"set": True, "source": "stored encrypted"}
    value = str(value)
    if value.startswith("env:"):
        variable = value[4:]
        return {"set": variable in environ, "source": value}  # the reference, not its value
    state: dict[str, Any] = {"set": True, "source": "stored"}
    if environ.get(env_name) == value:
        state["source"] = f"environment ({env_name})"
    if not field.secret:
        from ..http.account_settings import masked_url

        state["value"] = masked_url(value)  # a password in a URL is a secret too
    return state


def fields(spec: ProviderSpec) -> dict[str, Any]:
    from ..accounts.store import ENV_PREFIX

    store = common.build_gateway().store
    default = store.default_account(spec)
    accounts = []
    for name in store.accounts(spec):
        stored = store.stored_fields(spec, name)
        states = {}
        for field in spec.credentials:
            env_name = f"{ENV_PREFIX}{spec.name}_{name}_{field.name}".upper()
            value = stored.get(field.name)
            states[field.name] = _field_state(field, value, env_name, store.environ)
        accounts.append(
            {
                "name": name,
                "default": name == default,
                "ready": common.account_ready(store, spec, name),
                "fields": states,
            }
        )
    return {
        "provider": spec.name,
        "fields": [
            {"name": f.name, "secret": f.secret, "description": f.description}
            for f in spec.credentials
        ],
        "credential_sets": [list(group) for group in spec.credential_sets],
        "accounts": accounts,
    }


def run(args: argparse.Namespace) -> int:
    result = fields(common.provider_spec(args.provider))
    if args.json:
        common.emit_json(result)
        return common.EXIT_OK
    sets = " or ".join(" + ".join(group) for group in result["credential_sets"])
    common.out(f"{args.provider} credential fields (an account needs {sets}):")
    rows = [(f["name"], "yes" if f["secret"] else "no", f["description"]) for f in result["fields"]]
    common.out(common.table(("FIELD", "SECRET", "DESCRIPTION"), rows, indent="  "))
    if not result["accounts"]:
        common.out()
        common.out(f"No account yet: luagate configure {args.provider} --set <field>=<value> ...")
        return common.EXIT_OK
    for account in result["accounts"]:
        notes = ["default"] if account["default"] else []
        if not account["ready"]:
            notes.append("incomplete")
        common.out()
        label = f"account {account['name']!r}" + (f" ({', '.join(notes)})" if notes else "")
        common.out(label + ":")
        rows = []
        for name, state in account["fields"].items():
            shown = state.get("value") or ("set" if state["set"] else "not set")
            source = state.get("source", "")
            if source.startswith("env:") and not state["set"]:
                source += " (variable not set)"
            rows.append((name, shown, source))
        common.out(common.table(("FIELD", "VALUE", "SOURCE"), rows, indent="  "))
    return common.EXIT_OK
