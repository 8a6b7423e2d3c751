"""``luagate serve --http`` in a subprocess: the bearer token (generated, printed once, required),
and scripts running in parallel — a runaway one never holds the others up."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp_helpers import HTTPServer, http_server, http_session, make_home, text_of

NORMAL = """
local calls = app.integrations.aircall.list_calls({ per_page = 2 })
local users = app.integrations.wildix.list_users({})
return #calls.calls + #users.users
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HTTPServer, str]]:
    home = make_home(Path(tmp_path_factory.mktemp("http")))
    with http_server(home, "--functions") as server:
        tokens = [
            m.group(1) for line in server.stderr_lines if (m := re.search(r"\): (\S+)$", line))
        ]
        assert len(tokens) == 1, server.stderr_lines
        yield server, tokens[0]


INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


def test_requests_without_the_right_token_get_401(served: tuple[HTTPServer, str]) -> None:
    server, token = served
    headers = {"Accept": "application/json, text/event-stream"}
    missing = httpx2.post(server.url, json=INIT, headers=headers, timeout=10)
    wrong = httpx2.post(
        server.url, json=INIT, headers={**headers, "Authorization": "Bearer nope"}, timeout=10
    )
    other_scheme = httpx2.post(
        server.url, json=INIT, headers={**headers, "Authorization": f"Basic {token}"}, timeout=10
    )
    right = httpx2.post(
        server.url, json=INIT, headers={**headers, "Authorization": f"Bearer {token}"}, timeout=10
    )
    assert [missing.status_code, wrong.status_code, other_scheme.status_code] == [401, 401, 401]
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert token not in missing.text and token not in wrong.text
    assert right.status_code == 200


def test_the_official_client_works_with_the_token(served: tuple[HTTPServer, str]) -> None:
    server, token = served

    async def main():
        with anyio.fail_after(30):
            async with http_session(server.url, token) as session:
                tools = {t.name for t in (await session.list_tools()).tools}
                users = await session.call_tool("wildix__list_users", {})
                return tools, users

    tools, users = anyio.run(main)
    assert {"execute_lua", "lua_read_doc", "aircall__list_calls"} <= tools
    assert not users.is_error and users.structured_content["users"]


def test_a_runaway_script_never_blocks_the_others(served: tuple[HTTPServer, str]) -> None:
    server, token = served
    finished: dict[str, float] = {}
    results: dict[str, object] = {}

    ended: dict[str, float] = {}

    async def run(label: str, code: str, limits: dict[str, float] | None = None) -> None:
        async with http_session(server.url, token) as session:
            started = time.perf_counter()
            result = await session.call_tool("execute_lua", {"code": code, **(limits or {})})
            ended[label] = time.perf_counter()
            finished[label] = ended[label] - started
            results[label] = result

    async def main() -> None:
        with anyio.fail_after(40):
            await run("warm-up", NORMAL)  # the demo simulators are built on first use
            async with anyio.create_task_group() as tg:
                tg.start_soon(run, "runaway", "while true do end", {"timeout_s": 6})
                await anyio.sleep(0.5)
                for i in range(3):
                    tg.start_soon(run, f"normal-{i}", NORMAL)
            await run("after", "return 1")

    anyio.run(main)
    runaway = results["runaway"]
    assert runaway.is_error and runaway.structured_content["error"]["type"] == "time_limit"
    for i in range(3):
        normal = results[f"normal-{i}"]
        assert not normal.is_error, text_of(normal)
        # done while the runaway still ran (its limit is 6 s): it never waited for it
        assert ended[f"normal-{i}"] < ended["runaway"], finished
    assert finished["runaway"] >= 6
    assert results["after"].structured_content["result"] == 1
