"""What a sandbox can reach: the host's namespace, and the bridge that accounts for every call.

A *host* (the gateway, or the test namespace in :mod:`luagate.lua.echo_host`) declares a tree
of names — ``{"app": {"echo": "call", "integrations": {...}}}`` — and answers calls by path. The
sandbox turns the tree into Lua tables of closures; it knows nothing about what names mean.
"""

from __future__ import annotations

import time

from ..errors import (
    CallLimitError,
    InternalError,
    LuagateError,
    TimeoutLimitError,
    ValueTooLargeError,
)
from ..suggest import clip, close_matches
from .convert import decode_json, oversized
from .envelope import CallRecord
from .limits import Limits

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any, Protocol

    from .deadline import Deadline

    Namespace = dict[str, Any]
    """Nested dicts of names; a leaf (any non-dict value) is a callable function."""

    class Host(Protocol):
        def namespace(self) -> Namespace:
            """The global tables a script sees, e.g. ``{"app": {...}}``."""
            ...

        def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
            """Run one function (``args``: a ``"call"`` leaf's one argument; a ``"helper"``
            leaf's arguments as a list). Raise a :class:`~luagate.errors.LuagateError` to fail
            it."""
            ...


class HostReply:
    """A host call's answer: the value the script receives, the account that served it, and what
    the call reports about itself (e.g. ``{"rate_limited_ms": 0, "requests": 1}``)."""

    __slots__ = ("account", "meta", "value")

    def __init__(
        self, value: Any, account: str | None = None, meta: dict[str, Any] | None = None
    ) -> None:
        self.value = value
        self.account = account
        self.meta = meta


UNAVAILABLE = "unavailable:"
"""A leaf ``"unavailable:<why>"`` is a name that exists only to explain itself: not callable,
not listed, but asking for it says why (e.g. a provider the operator switched off)."""


def unavailable(leaf: Any) -> str | None:
    """Why a leaf is unavailable, or None for an ordinary one."""
    if isinstance(leaf, str) and leaf.startswith(UNAVAILABLE):
        return leaf[len(UNAVAILABLE) :]
    return None


def iter_paths(tree: Namespace, prefix: str = "", leaf: str | None = None) -> Iterator[str]:
    """Every callable path in a namespace tree, dotted (only those marked ``leaf`` if given)."""
    for name, sub in tree.items():
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(sub, dict):
            yield from iter_paths(sub, path, leaf)
        elif unavailable(sub) is None and (leaf is None or sub == leaf):
            yield path


def unknown_name_message(tree: Namespace, prefix: str, name: str) -> str:
    """``Unknown name: app.ech. Did you mean: app.echo?`` — with what exists at that level."""
    node: Any = tree
    for part in prefix.split("."):
        node = node.get(part, {}) if isinstance(node, dict) else {}
    if not isinstance(node, dict):
        node = {}
    why = unavailable(node.get(name))
    if why is not None:
        return f"{prefix}.{name} is not available here: {why}."
    names = sorted(k for k, v in node.items() if unavailable(v) is None)
    message = f"Unknown name: {prefix}.{clip(name)}."
    close = close_matches(name, names, n=3, cutoff=0.6)
    if close:
        message += " Did you mean: " + ", ".join(f"{prefix}.{c}" for c in close) + "?"
    if names:
        shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
        message += f" Available in {prefix}: {shown}."
    return message


class Bridge:
    """The host side of one execution: limits and records every call the script makes.

    In the isolated executor it lives in the parent process, so its count and records hold even
    if the worker is compromised or killed.
    """

    def __init__(
        self,
        host: Host,
        limits: Limits,
        deadline: Deadline,
        namespace: Namespace,
        measure_answers: bool = True,
    ) -> None:
        self.host = host
        self.limits = limits
        self.deadline = deadline
        # False when the caller measures each answer as it encodes it anyway (the isolated
        # executor's channel) and reports one too large with :meth:`answer_too_large`
        self.measure_answers = measure_answers
        self.calls: list[CallRecord] = []
        # Leaves marked "helper" (e.g. docs.read) are library functions: not counted, not listed;
        # their arguments come as the list of those given (docs.search("x", 3): ["x", 3]).
        self.helpers = set(iter_paths(namespace, leaf="helper"))

    def call(self, path: str, args_json: bytes | str) -> Any:
        if path in self.helpers:
            args = decode_json(args_json, self.limits.value_bytes, what=f"{path} argument")
            value = self.host.call(path, args, self.deadline).value
            too_large = self._oversized(path, value) if self.measure_answers else None
            if too_large is not None:
                raise too_large
            return value
        if len(self.calls) >= self.limits.max_calls:
            raise CallLimitError(
                f"the script made more than its limit of {self.limits.max_calls} host calls"
            )
        if self.deadline.expired():
            raise TimeoutLimitError("the script ran longer than its time limit")
        started = time.perf_counter()
        try:
            args = decode_json(args_json, self.limits.value_bytes, what=f"{path} arguments")
            reply = self.host.call(path, args, self.deadline)
        except LuagateError as e:
            # a host may say which account failed and what the call cost (see GatewayHost)
            self._record(
                path, started, getattr(e, "account", None), e.type, getattr(e, "call_meta", None)
            )
            raise
        except Exception as e:  # a bug in a host must not take the sandbox down
            self._record(path, started, None, InternalError.type)
            raise InternalError(f"{path} failed inside luagate ({type(e).__name__})") from e
        too_large = self._oversized(path, reply.value) if self.measure_answers else None
        self._record(path, started, reply.account, too_large and too_large.type, reply.meta)
        if too_large is not None:  # what comes in over the limit stops the script
            raise too_large
        if self.deadline.expired():  # the call used up the script's time: stop here
            raise TimeoutLimitError("the script ran longer than its time limit")
        return reply.value

    def _oversized(self, path: str, value: Any) -> ValueTooLargeError | None:
        """The error for an answer larger than one value may be, as compact JSON (what the
        channel to a worker carries), else None (see :func:`~luagate.lua.convert.oversized`)."""
        size = oversized(value, self.limits.value_bytes)
        if size is None:
            return None
        return self._too_large(path, size)

    def _too_large(self, path: str, size: int) -> ValueTooLargeError:
        return ValueTooLargeError(
            f"{path}: the answer is {size} bytes as JSON; the limit is {self.limits.value_bytes}"
        )

    def answer_too_large(self, path: str, size: int) -> ValueTooLargeError:
        """For a caller that measures answers itself (``measure_answers=False``): the error for
        the answer :meth:`call` just returned, ``size`` bytes as compact JSON; the call's record
        (a helper's has none) then shows it, as :meth:`call` would have."""
        error = self._too_large(path, size)
        if path not in self.helpers and self.calls and self.calls[-1].path == path:
            self.calls[-1].ok = False
            self.calls[-1].error = error.type
        return error

    def _record(
        self,
        path: str,
        started: float,
        account: str | None,
        error: str | None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.calls.append(
            CallRecord(
                path=path,
                ok=error is None,
                duration_ms=(time.perf_counter() - started) * 1000,
                account=account,
                error=error,
                meta=meta,
            )
        )
