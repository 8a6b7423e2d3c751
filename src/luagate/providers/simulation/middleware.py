"""The ASGI layer every simulator sits behind: faults first, then the app, then the log."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl

from .faults import Reply
from .log import CLIENT_CLOSED, RequestLog, RequestRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from .faults import FaultPlan

    Scope = dict[str, Any]
    Message = dict[str, Any]
    Receive = Callable[[], Any]
    Send = Callable[[Message], Any]
    ASGIApp = Callable[[Scope, Receive, Send], Any]


class SimulatorMiddleware:
    """Wraps a simulator's app: reads the whole request, logs it, applies the fault plan.

    ``identify(scope)`` names the company the request's credentials belong to (for the log), and
    ``rate_limit_headers(scope, retry_after_s)`` gives the provider's headers for a faked 429.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        faults: FaultPlan,
        log: RequestLog,
        identify: Callable[[Scope], str | None] = lambda scope: None,
        rate_limit_headers: Callable[[Scope, float | None], Mapping[str, str]] = (
            lambda scope, retry_after_s: {}
        ),
    ) -> None:
        self.app = app
        self.faults = faults
        self.log = log
        self.identify = identify
        self.rate_limit_headers = rate_limit_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left while sending
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break

        async def handle() -> Reply:
            return await self._handle(scope, bytes(body), receive)

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        method, path = scope["method"], scope["path"]
        record = RequestRecord(
            company=self.identify(scope),
            method=method,
            path=path,
            query=parse_qsl(scope.get("query_string", b"").decode("latin-1"), True),
            json=_parse(bytes(body)),
        )
        self.log.append(record)
        try:
            reply = await self.faults.around(
                method,
                path,
                handle,
                disconnected=disconnected,
                rate_limit_headers=lambda retry_after_s: self.rate_limit_headers(
                    scope, retry_after_s
                ),
            )
        except asyncio.CancelledError:  # the caller gave up waiting (an in-process transport)
            record.status = CLIENT_CLOSED
            raise
        except Exception:
            record.status = 500
            raise
        # Set before answering: once a client has its answer, the log shows the status.
        record.status = CLIENT_CLOSED if reply is None else reply.status
        if reply is not None:
            await _send(send, reply)

    async def _handle(self, scope: Scope, body: bytes, receive: Receive) -> Reply:
        """Run the app on the buffered request and collect its whole answer."""
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        start: Message = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, replay, collect)
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"])
        return Reply(start["status"], headers, b"".join(chunks))


async def _send(send: Send, reply: Reply) -> None:
    headers = [(k.lower(), v) for k, v in reply.headers if k.lower() != "content-length"]
    if reply.status not in (204, 304):  # those carry no body, so no length either
        headers.append(("content-length", str(len(reply.body))))
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        }
    )
    await send({"type": "http.response.body", "body": reply.body, "more_body": False})


def _parse(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None
