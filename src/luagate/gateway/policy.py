"""Read/write policy per provider: ``allow``, ``ask`` or ``deny`` for each kind of function.

``force`` bypasses this policy and nothing else (never validation, credentials or limits).
``ask`` needs someone to ask; without one (a script, a pipe, a server) it is a refusal that says
how to allow the call.
"""

from __future__ import annotations

from ..errors import PolicyError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from ..catalog.spec import FunctionSpec


def check(
    function: FunctionSpec,
    policy: dict[str, str],
    *,
    account: str | None,
    force: bool,
    ask: Callable[[FunctionSpec, str | None], bool] | None,
) -> bool:
    """Allow the call or raise :class:`PolicyError`; returns True when ``force`` was needed."""
    rule = policy.get(function.kind, "allow")
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
        f"policy is 'ask', with no one to ask here. Allow this call with --force "
        f"(force=True), or always: {fix}"
    )
