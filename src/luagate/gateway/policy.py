"""Read/write policy per provider: ``allow``, ``ask`` or ``deny`` for each kind of function.

``force`` bypasses this policy and nothing else (never validation, credentials or limits).
``ask`` needs someone to ask; without one (a script, a pipe, a server) it is a refusal that says
how to allow the call.

A surface may add a *ceiling* (``luagate serve --write deny``): per kind, the most it lets through.
A ceiling only narrows — ``allow`` under the ceiling ``ask`` becomes ``ask``, ``deny`` stays
``deny`` whatever the ceiling — and ``force`` never lifts it.
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
    """Allow the call or raise :class:`PolicyError`; returns True when ``force`` was needed."""
    limit = (ceiling or {}).get(function.kind, "allow")
    if limit == "deny":
        raise PolicyError(
            f"{function.full_name} is a {function.kind} function and this server refuses "
            f"{function.kind} functions (it was started with --{function.kind} deny). "
            "Only its operator can change that."
        )
    rule = narrowest(policy.get(function.kind, "allow"), limit)
    if rule == "allow":
        return False
    if force:
        return True
    provider = function.provider
    fix = f"luagate configure {provider} --{function.kind} allow"
    if rule == "deny":
        raise PolicyError(
            f"{function.full_name} is a {function.kind} function and {provider}'s {function.kind} "
            f"policy is 'deny'. To allow it: {fix} (or --force for one call)"
        )
    if ask is not None and ask(function, account):
        return False
    if ask is not None:
        raise PolicyError(f"{function.full_name} was not approved")
    raise PolicyError(
        f"{function.full_name} is a {function.kind} function and {provider}'s {function.kind} "
        f"policy is 'ask', with no one to ask here. Allow this call with --force (in "
        f"Python: force=True), or always: {fix}"
    )
