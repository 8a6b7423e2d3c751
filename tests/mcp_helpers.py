"""Shared set-up for the MCP tests: a server per test, driven by the official ``mcp`` client.

(No tests here: the other ``test_mcp_*`` modules import these helpers.)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp_types import CallToolResult

from luagate.accounts.store import AccountStore
from luagate.gateway.gateway import Gateway
from luagate.lua.limits import Limits
from luagate.mcp.server import LuagateMCPServer, build_server
from luagate.providers.registry import provider_specs

TIMEOUT_S = 30


def make_home(root: Path, **write_policies: str) -> Path:
    """A fresh LUAGATE_HOME: no accounts (so the demo accounts answer), the given write
    policies (``aircall="allow"``)."""
    home = root / "luagate-home"
    home.mkdir(parents=True, exist_ok=True)
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    for provider, rule in write_policies.items():
        store.set_policy(provider, write=rule)
    return home


def server_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRCALL", "WILDIX"))}
    env["LUAGATE_HOME"] = str(home)
    env.pop("LUAGATE_MCP_TOKEN", None)
    return env


@asynccontextmanager
async def stdio_session(home: Path, *args: str) -> AsyncIterator[ClientSession]:
    """``python -m luagate serve ARGS`` over stdio, initialized."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "luagate", "serve", *args], env=server_env(home)
    )
    with open(os.devnull, "w") as errlog:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def run_stdio(home: Path, args: list[str], body: Callable[[ClientSession], Any]) -> Any:
    """Run ``body(session)`` against a stdio server; returns what it returns."""

    async def main() -> Any:
        with anyio.fail_after(TIMEOUT_S):
            async with stdio_session(home, *args) as session:
                return await body(session)

    return anyio.run(main)


def in_process_server(
    home: Path,
    *,
    write: str = "allow",
    providers: tuple[str, ...] = (),
    functions: bool = True,
    limits: Limits | None = None,
) -> LuagateMCPServer:
    """The server ``luagate serve`` builds, in this process (as ``--write``/``--provider``)."""
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    specs = tuple(p for p in provider_specs() if not providers or p.name in providers)
    gateway = Gateway(store, providers=specs, surface="mcp", notify=None, ceiling={"write": write})
    return build_server(gateway, limits=limits, functions=functions)


def run_client(server: LuagateMCPServer, body: Callable[[Client], Any]) -> Any:
    """Run ``body(client)`` with the official client connected to ``server`` in-process."""

    async def main() -> Any:
        with anyio.fail_after(TIMEOUT_S):
            async with Client(server) as client:
                return await body(client)

    return anyio.run(main)


class HTTPServer:
    """``luagate serve --http`` in a subprocess on a free loopback port."""

    def __init__(self, process: subprocess.Popen[str], url: str, stderr_lines: list[str]) -> None:
        self.process = process
        self.url = url
        self.stderr_lines = stderr_lines


@contextmanager
def http_server(home: Path, *args: str) -> Iterator[HTTPServer]:
    process = subprocess.Popen(
        [sys.executable, "-m", "luagate", "serve", "--http", "--port", "0", *args],
        env=server_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + TIMEOUT_S
    try:
        assert process.stderr is not None
        while url is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            match = re.search(r"(http://\S+/mcp)", line)
            if match:
                url = match.group(1)
        assert url, "the server did not announce its URL: " + "".join(lines)
        yield HTTPServer(process, url, lines)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@asynccontextmanager
async def http_session(url: str, token: str | None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=TIMEOUT_S) as client,
        streamable_http_client(url, http_client=client) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def live_children(pid: int | None) -> set[int]:
    """The processes whose parent is ``pid`` and that still run (zombies count as ended)."""
    found: set[int] = set()
    if pid is None:
        return found
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:  # it ended meanwhile
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if int(parent) == pid and state not in ("Z", "X"):
            found.add(int(entry))
    return found


def running(pid: int) -> bool:
    """Whether process ``pid`` still runs (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def wait_until(condition: Callable[[], bool], seconds: float = TIMEOUT_S) -> bool:
    """Poll ``condition`` until it holds (True) or ``seconds`` pass (False)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
