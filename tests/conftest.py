"""Shared fixtures: both executors, one of each per test session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from luagate.lua.echo_host import EchoHost
from luagate.lua.envelope import Execution
from luagate.lua.executor import InProcessExecutor
from luagate.lua.isolated import IsolatedExecutor
from luagate.lua.limits import Limits


@pytest.fixture(scope="session")
def isolated_executor() -> Iterator[IsolatedExecutor]:
    executor = IsolatedExecutor()
    yield executor
    executor.close()


@pytest.fixture(scope="session", params=["isolated", "in_process"])
def any_executor(request: pytest.FixtureRequest, isolated_executor: IsolatedExecutor):
    """Each test using this runs once per executor: behaviour must not depend on isolation."""
    return isolated_executor if request.param == "isolated" else InProcessExecutor()


@pytest.fixture
def run(any_executor):
    def run(code: str, **limits: float) -> Execution:
        return any_executor.run(code, EchoHost(), Limits(**limits) if limits else None)

    return run
