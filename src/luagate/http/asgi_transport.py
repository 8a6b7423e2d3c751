"""A synchronous httpx transport that serves requests from an ASGI app in this process.

httpx's own ``ASGITransport`` is async-only, while luagate's calls are synchronous (they run on
the host side of the bridge, one thread per script). This transport runs the app on one private
event loop thread and hands each request to it: real requests and responses, no socket. The
request's read timeout is honoured, so a simulator told to stall behaves like a slow server.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

import httpx

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _event_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="luagate-asgi", daemon=True).start()
            _loop = loop
        return _loop


class InProcessASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self.app = app
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        inner = self._inner

        async def exchange() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            response = await inner.handle_async_request(forwarded)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        future = asyncio.run_coroutine_threadsafe(exchange(), _event_loop())
        timeout = (request.extensions.get("timeout") or {}).get("read")
        try:
            status, headers, content = future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise httpx.ReadTimeout(
                "the in-process server did not answer in time", request=request
            ) from None
        return httpx.Response(status, headers=headers, content=content, request=request)
