"""Read/write policy per provider: ``allow``, ``ask`` or ``deny`` for each kind of function.

``force`` bypasses this policy and nothing else (never validation, credentials or limits).
``ask`` needs someone to ask; without one (a script, a pipe, a server) it is a refusal that says
how to allow the call.

A surface may add a *ceiling* (``luagate serve --write deny``): per kind, the most it lets through.
A ceiling only narrows — ``allow`` under the ceiling ``ask`` becomes ``ask``, ``deny`` stays
``deny`` whatever the ceiling — and ``force`` never lifts its ``deny``. A server's refusals
offer only what its operator can do (its clients have no ``--force``).
"""

from __future__ import annotations

from ..errors import PolicyError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ..catalog.spec import FunctionSpec


RULES = ("allow", "ask", "deny")  # from the widest to the narrowest


def narrowest(*rules: str) -> str:
    """The strictest of ``rules`` (an unknown word counts as ``deny``)."""
    return max(rules, key=lambda r: RULES.index(r) if r in RULES else len(RULES))


def narrowed(policy: dict[str, str], ceiling: dict[str, str] | None) -> dict[str, str]:
    """``policy`` under a ceiling: each kind's rule, never wider than the ceiling's."""
    if not ceiling:
        return dict(policy)
    kinds = {*policy, *ceiling}
    return {k: narrowest(policy.get(k, "allow"), ceiling.get(k, "allow")) for k in kinds}


def check(
    function: FunctionSpec,
    policy: dict[str, str],
    *,
    account: str | None,
    force: bool,
    ask: Callable[[FunctionSpec, str | None], bool] | None,
    ceiling: dict[str, str] | None = None,
) -> bool:
    """Allow the call or raise :class:`PolicyError`; returns True when ``force`` was needed.

    Only a server sets a ``ceiling`` (``luagate serve`` always does): under one, a refusal
    speaks to the server's clients, who have no ``--force`` and cannot change its policy — it
    names its cause (the provider's own policy, the server's ``--write``, or both) and what the
    server's operator can do about it.
    """
    kind = function.kind
    own = policy.get(kind, "allow")
    limit = (ceiling or {}).get(kind, "allow")
    if limit == "deny":
        raise PolicyError(_server_refusal(function, own, limit, "deny"))
    rule = narrowest(own, limit)
    if rule == "allow":
        return False
    if force:
        return True
    if rule == "ask" and ask is not None:
        if ask(function, account):
            return False
        raise PolicyError(f"{function.full_name} was not approved")
    if ceiling:
        raise PolicyError(_server_refusal(function, own, limit, rule))
    provider = function.provider
    fix = f"luagate configure {provider} --{kind} allow"
    if rule == "deny":
        raise PolicyError(
            f"{function.full_name} is a {kind} function and {provider}'s {kind} "
            f"policy is 'deny'. To allow it: {fix} (or --force for one call)"
        )
    raise PolicyError(
        f"{function.full_name} is a {kind} function and {provider}'s {kind} "
        f"policy is 'ask', with no one to ask here. Allow this call with --force (in "
        f"Python: force=True), or always: {fix}"
    )


def _server_refusal(function: FunctionSpec, own: str, limit: str, rule: str) -> str:
    """Why a server refuses ``function`` — its provider's own policy ``own``, the server's
    ceiling ``limit``, or both — and the one remedy there is: its operator's."""
    kind, provider = function.kind, function.provider
    causes = []
    if own != "allow":
        causes.append(f"{provider}'s {kind} policy is '{own}'")
    if limit != "allow":
        started = f"this server was started with --{kind} {limit}"
        causes.append(
            started if own != "allow" else f"{started} ({provider}'s own {kind} policy is 'allow')"
        )
    why = " and ".join(causes)
    if rule == "ask":
        why += ": each call needs approval, and a server has no one to ask"
    # a running server follows configure from its next call (Gateway.refresh); its own
    # ceiling only changes with a restart
    configure = f"luagate configure {provider} --{kind} allow"
    restart = f"restart luagate serve with --{kind} allow"
    if limit == "allow":
        remedy = f"{configure} (the running server applies it from the next call)"
    elif own != "allow":
        remedy = f"{configure}, and {restart}"
    else:
        remedy = restart
    return (
        f"{function.full_name} is a {kind} function and {why}, so this server refuses it. "
        f"Only the server's operator can change that: {remedy}."
    )
