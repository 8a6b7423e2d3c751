"""The ``context`` guide page: what this luagate offers a script right now.

Unlike the other pages it is read from the live configuration each time: today's date and time,
which providers are switched on, their accounts (names only: never a credential) and the default
one, and the read/write policy as this surface applies it. An agent reads it to know which
namespaces it may call and which of its calls would be refused, before it writes any code.
"""

from __future__ import annotations

import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..catalog.spec import ProviderSpec
    from .gateway import Gateway

_POLICY = {
    "allow": "allowed",
    "ask": "refused in scripts and agent sessions: the policy is 'ask', and no one is there to "
    "answer (the operator can allow them, or run a script with --force)",
    "deny": "refused",
}


def _utc_offset(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def _today(now: float) -> list[str]:
    local, utc = time.localtime(now), time.gmtime(now)
    return [
        "## Now",
        "",
        f"- UTC: {time.strftime('%Y-%m-%d %H:%M:%S', utc)} (UNIX time {int(now)})",
        f"- this machine's time zone, which `os.date` uses: {time.strftime('%Z', local)}"
        f" ({_utc_offset(local.tm_gmtoff)}), now {time.strftime('%Y-%m-%d %H:%M:%S', local)}",
        '- `os.date("!%Y-%m-%d")` is today in UTC; `os.time()` is the UNIX time.',
        "",
    ]


def _accounts(gateway: Gateway, provider: ProviderSpec) -> str:
    names = gateway.accounts(provider)
    if not names:
        return "none: calls fail with `not_configured`"
    if gateway.is_demo(provider, names[0]):
        return (
            "`demo` only: luagate's built-in simulator (sample data, not a real company; what"
            " a write changes lasts only as long as this luagate process: one `luagate lua` or"
            " `luagate call` run, or a `luagate serve` until it stops)"
        )
    default = gateway.store.default_account(provider, names)
    shown = [f"`{n}` (default)" if n == default else f"`{n}`" for n in names]
    return ", ".join(shown)


def _rule(gateway: Gateway, kind: str, rule: str, force: bool) -> str:
    if force and gateway.ceiling.get(kind) != "deny":  # force never lifts a server's deny
        return "allowed: this run bypasses the read/write policy (--force)"
    if rule == "ask" and gateway.ask is not None:
        return "asked: each call waits for the operator's answer"
    return _POLICY.get(rule, rule)


def context_page(gateway: Gateway, now: float | None = None, *, force: bool = False) -> str:
    """The page as a run sees it: ``force`` is that run's policy bypass."""
    now = time.time() if now is None else now
    lines = ["# Context", "", "What this luagate offers your scripts right now.", ""]
    lines += _today(now)
    lines += ["## Providers", ""]
    if not gateway.providers:
        lines += ["None is switched on: `app.integrations` is empty.", ""]
    for provider in gateway.providers:
        policy = gateway.effective_policy(provider.name)
        lines += [
            f"### `{provider.name}` — {provider.title}",
            "",
            f"- accounts: {_accounts(gateway, provider)}",
            f"- call: `app.integrations.{provider.name}.<function>` (the default account) or"
            f" `app.integrations.{provider.name}.<account>.<function>`",
            f"- read functions are {_rule(gateway, 'read', policy['read'], force)}",
        ]
        if any(f.kind == "write" for f in provider.functions):
            lines.append(f"- write functions are {_rule(gateway, 'write', policy['write'], force)}")
        lines += [f'- its functions: `docs.read("{provider.name}")`', ""]
    off = [p.name for p in gateway.all_providers if p not in gateway.providers]
    if off:
        lines += [
            "Switched off by the operator (not callable here): "
            + ", ".join(f"`{name}`" for name in off)
            + ".",
            "",
        ]
    return "\n".join(lines)
