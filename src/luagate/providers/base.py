"""What a provider client is to the gateway."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Protocol

    from ..catalog.spec import FunctionSpec
    from ..http.context import CallContext

    class ProviderClient(Protocol):
        def call(
            self,
            function: FunctionSpec,
            args: dict[str, Any],
            credentials: dict[str, str],
            context: CallContext,
        ) -> Any:
            """Carry out one validated call on the provider's real API; return the documented
            result shape, or raise a LuagateError of the matching type. ``context`` holds the
            deadline and collects what the call cost (requests, rate-limit waits)."""
            ...
