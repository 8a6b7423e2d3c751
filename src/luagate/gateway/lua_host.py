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
        docs = self.gateway.docs
        if name == "list":
            return docs.list()
        if name == "read":
            if not isinstance(args, str):
                raise InvalidValueError('docs.read takes a page name, e.g. docs.read("aircall")')
            if args.strip() == "context":  # as this run sees it (its --force)
                from .context import context_page

                return context_page(self.gateway, force=self.force)
            return docs.read(args)
        if name == "search":
            if not isinstance(args, str):
                raise InvalidValueError('docs.search takes words, e.g. docs.search("missed calls")')
            return docs.search(args)
        raise InvalidValueError(f"docs.{name} does not exist; docs has list, search and read")


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
