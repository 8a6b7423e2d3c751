"""Streamable HTTP behind a bearer token: every request without the right token gets a 401."""

from __future__ import annotations

import hmac
import secrets

TYPE_CHECKING = False
if TYPE_CHECKING:
    import socket
    from collections.abc import Awaitable, Callable, MutableMapping
    from typing import Any

    Scope = MutableMapping[str, Any]
    Message = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[Message]]
    Send = Callable[[Message], Awaitable[None]]
    ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def new_token() -> str:
    return secrets.token_urlsafe(32)


class BearerAuth:
    """ASGI middleware: HTTP requests must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("an empty token would let anyone in")
        self.app = app
        self._expected = token.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._authorized(scope):
            await _unauthorized(send)
            return
        await self.app(scope, receive, send)

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                scheme, _, given = bytes(value).partition(b" ")
                if scheme.lower() == b"bearer":
                    return hmac.compare_digest(given.strip(), self._expected)
        return False


async def _unauthorized(send: Send) -> None:
    body = b'{"error": "unauthorized: send Authorization: Bearer <token>"}'
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"www-authenticate", b'Bearer realm="luagate"'),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def http_app(server: Any, token: str, host: str = "127.0.0.1") -> ASGIApp:
    """The server's streamable HTTP app (at ``/mcp``) behind the token."""
    app = server.streamable_http_app(host=host)
    return BearerAuth(app, token)


async def serve_http(server: Any, token: str, sock: socket.socket, host: str) -> None:
    """Serve on ``sock`` (bound and listening: see :mod:`luagate.listening`) until cancelled."""
    import uvicorn

    config = uvicorn.Config(http_app(server, token, host), log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve(sockets=[sock])
