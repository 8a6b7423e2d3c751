"""Simulators served in-process: a base URL ``embedded://<provider>`` is answered by that
provider's simulator (``luagate.providers.<provider>.simulator.build_simulator()``), built once
per process, through a synchronous ASGI transport. Real requests and responses, no socket."""

from __future__ import annotations

import importlib
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    import httpx

SCHEME = "embedded://"
_transports: dict[str, httpx.BaseTransport] = {}
_lock = threading.Lock()


def transport_for(base_url: str) -> httpx.BaseTransport | None:
    """The in-process transport for an ``embedded://`` base URL; None for a real URL."""
    if not base_url.startswith(SCHEME):
        return None
    provider = base_url[len(SCHEME) :].strip("/")
    with _lock:
        transport = _transports.get(provider)
        if transport is None:
            from ..http.asgi_transport import InProcessASGITransport

            module = importlib.import_module(f"luagate.providers.{provider}.simulator")
            transport = InProcessASGITransport(module.build_simulator().app)
            _transports[provider] = transport
        return transport


def origin_for(base_url: str) -> str:
    """The URL requests are addressed to (the embedded simulator answers any host)."""
    if base_url.startswith(SCHEME):
        return "http://" + base_url[len(SCHEME) :].strip("/") + ".simulator.invalid"
    return base_url
