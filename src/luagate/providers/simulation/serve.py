"""Serve an ASGI app over real HTTP: in a background thread (tests) or in the foreground (CLI)."""

from __future__ import annotations

import contextlib
import threading
import time

from ...listening import listen, url

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType
    from typing import Any

    import uvicorn

# How long a stopping server waits for requests still running (an injected timeout, say).
_GRACE_S = 2.0


def _server(app: Any) -> uvicorn.Server:
    import uvicorn

    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", timeout_graceful_shutdown=_GRACE_S
    )
    return uvicorn.Server(config)


class ServedApp:
    """An app being served by uvicorn in a daemon thread; stop it with :meth:`stop` or ``with``."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, host: str, port: int):
        self.server = server
        self.thread = thread
        self.host = host
        self.port = port
        self.url = url(host, port)

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> ServedApp:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> ServedApp:
    """Start serving ``app`` in a daemon thread; returns once it accepts requests."""
    sock = listen(host, port)
    bound_port = sock.getsockname()[1]
    server = _server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn:{bound_port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError(f"the server on {host}:{bound_port} did not start")
        time.sleep(0.005)
    return ServedApp(server, thread, host, bound_port)


def serve_forever(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``app`` until Ctrl-C (or SIGTERM); ``on_ready(url)`` runs once the port is bound."""
    sock = listen(host, port)
    if on_ready is not None:
        on_ready(url(host, sock.getsockname()[1]))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn re-raises the Ctrl-C it stopped for
        _server(app).run(sockets=[sock])
