"""The gateway as a Lua host: ``app.integrations.<provider>[.<account>].<function>`` and
``docs.list/search/read``, built fresh for each script from the configured accounts."""

from __future__ import annotations

import time

from ..errors import InvalidValueError, LuagateError
from ..http.context import CallContext
from ..lua.host import UNAVAILABLE, HostReply

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from ..lua.deadline import Deadline
    from .gateway import Gateway

PREFIX = "app.integrations."


class GatewayHost:
    def __init__(self, gateway: Gateway, *, force: bool = False) -> None:
        self.gateway = gateway
        self.force = force

    def namespace(self) -> dict[str, Any]:
        integrations: dict[str, Any] = {}
        for provider in self.gateway.providers:
            functions = {f.name: "call" for f in provider.functions}
            tree: dict[str, Any] = dict(functions)
            tree["default"] = dict(functions)
            for account in self.gateway.accounts(provider):
                if account not in tree:
                    tree[account] = dict(functions)
            integrations[provider.name] = tree
        for provider in self.gateway.all_providers:
            if provider not in self.gateway.providers:  # says so when a script asks for it
                integrations[provider.name] = (
                    f"{UNAVAILABLE}the operator switched {provider.name} off"
                    f" (luagate configure {provider.name} --enable)"
                )
        return {
            "app": {"integrations": integrations},
            "docs": {"list": "helper", "search": "helper", "read": "helper"},
        }

    def call(self, path: str, args: Any, deadline: Deadline) -> HostReply:
        if path.startswith("docs."):
            return HostReply(self._docs(path[5:], args))
        parts = path.removeprefix(PREFIX).split(".")
        provider, function = parts[0], parts[-1]
        account = parts[1] if len(parts) == 3 else None
        gateway = self.gateway
        started = time.perf_counter()
        resolved = None
        context = None
        try:
            resolved = gateway.check(
                f"{provider}.{function}", args, account=account, force=self.force
            )
            context = CallContext(
                account=resolved.account, deadline=deadline, notify=gateway.notify
            )
            data = gateway.invoke(resolved, context=context)
        except LuagateError as e:
            gateway.record(f"{provider}.{function}", resolved, _ms(started), e)
            # the envelope's call record says which account failed and what the call cost
            e.account = resolved.account if resolved else account  # type: ignore[attr-defined]
            e.call_meta = context.meta() if context else None  # type: ignore[attr-defined]
            raise
        gateway.record(resolved.function.full_name, resolved, _ms(started), None)
        return HostReply(data, resolved.account, context.meta())

    def _docs(self, name: str, args: Any) -> Any:
        """``docs.<name>(...)``; ``args`` is the list of the arguments given."""
        docs = self.gateway.docs
        args = list(args) if isinstance(args, list) else [args]
        while args and args[-1] is None:  # docs.read("x", nil) is docs.read("x")
            args.pop()
        if name == "list":
            if args:
                raise InvalidValueError(f"docs.list takes no arguments; got {len(args)}")
            return docs.list()
        if name == "read":
            if len(args) != 1 or not isinstance(args[0], str):
                raise InvalidValueError(
                    'docs.read takes one argument, a page name, e.g. docs.read("aircall");'
                    f" got {_given(args)}"
                )
            if args[0].strip() == "context":  # as this run sees it (its --force)
                from .context import context_page

                return context_page(self.gateway, force=self.force)
            return docs.read(args[0])
        if name == "search":
            query, limit = _search_arguments(args)
            return docs.search(query, limit)
        raise InvalidValueError(f"docs.{name} does not exist; docs has list, search and read")


SEARCH_FORMS = (
    "docs.search(query), docs.search(query, limit) or docs.search({query = ..., limit = ...}),"
    ' e.g. docs.search("missed calls", 3)'
)


def _search_arguments(args: list[Any]) -> tuple[str, int]:
    """docs.search's query and limit from the forms it takes (:data:`SEARCH_FORMS`)."""
    if len(args) == 1 and isinstance(args[0], dict):
        options = args[0]
        unknown = sorted(set(options) - {"query", "limit"})
        if unknown:
            raise InvalidValueError(
                f"docs.search: unknown option {', '.join(unknown)}; it takes {SEARCH_FORMS}"
            )
        query, limit = options.get("query"), options.get("limit")
    elif 1 <= len(args) <= 2:
        query, limit = args[0], args[1] if len(args) == 2 else None
    else:
        raise InvalidValueError(f"docs.search takes {SEARCH_FORMS}; got {_given(args)}")
    if not isinstance(query, str):
        raise InvalidValueError(
            f"docs.search: the query must be a string of words; it takes {SEARCH_FORMS}"
        )
    if limit is None:
        return query, 10
    if (
        isinstance(limit, bool)
        or not isinstance(limit, int | float)
        or not 1 <= limit <= 1000
        or limit != int(limit)
    ):
        raise InvalidValueError(
            f"docs.search: the limit must be a whole number from 1 to 1000; got {limit!r}"
        )
    return query, int(limit)


def _given(args: list[Any]) -> str:
    if not args:
        return "no argument"
    kinds = {str: "a string", dict: "a table", list: "a table", bool: "a boolean"}
    shown = [kinds.get(type(a), "nil" if a is None else "a number") for a in args]
    return f"{len(args)} argument{'s' if len(args) > 1 else ''} ({', '.join(shown)})"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
