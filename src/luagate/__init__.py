"""luagate: an integration runtime for AI agents.

Agents write short Lua scripts; luagate runs them in a sandbox whose only door is the host
namespace (``app.*``). The Python API::

    from luagate import run_lua
    execution = run_lua('print("hi") return app.echo({n = 1})')
    execution.success, execution.output, execution.result

Heavy modules load on first use, so ``import luagate`` stays cheap.
"""

from __future__ import annotations

__version__ = "0.1.0"

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from typing import Any

    from .accounts.store import AccountStore
    from .lua.envelope import Execution
    from .lua.host import Host, HostReply
    from .lua.isolated import Cancel
    from .lua.limits import Limits

__all__ = [
    "AccountStore",
    "Cancel",
    "Gateway",
    "HostReply",
    "Limits",
    "__version__",
    "default_executor",
    "run_lua",
]

_executors: dict[str, Any] = {}


def default_executor(isolated: bool = True) -> Any:
    """The process-wide executor: isolated (a worker per script) or in-process."""
    key = "isolated" if isolated else "in_process"
    if key not in _executors:
        if isolated:
            import atexit

            from .lua.fork_server import shared_fork_server
            from .lua.isolated import IsolatedExecutor

            executor = IsolatedExecutor(shared_fork_server())
            atexit.register(executor.close)
        else:
            from .lua.executor import InProcessExecutor

            executor = InProcessExecutor()
        _executors[key] = executor
    return _executors[key]


def run_lua(
    code: str | bytes,
    *,
    host: Host | None = None,
    limits: Limits | None = None,
    isolated: bool = True,
    on_output: Any = None,
) -> Execution:
    """Run one Lua script and return its execution envelope (never raises for script errors).

    ``host`` defaults to the gateway's (``app.integrations.*`` and ``docs.*``, with the accounts
    configured for this user); :class:`luagate.lua.echo_host.EchoHost` is a small test host.
    ``limits``: a :class:`Limits`, a dict of limits, or None. A wrong Python type for an
    argument raises ``TypeError`` before anything runs; an exception from ``on_output`` stops
    the script and is re-raised from here as it was.
    """
    if not isinstance(isolated, bool):
        from .lua.run import given

        raise TypeError(f"run_lua: isolated must be True or False, got {given(isolated)}")
    if host is None:
        from .gateway.gateway import Gateway
        from .gateway.lua_host import GatewayHost

        host = GatewayHost(Gateway())
    return default_executor(isolated).run(code, host, limits, on_output)


def __getattr__(name: str) -> Any:
    if name == "Limits":
        from .lua.limits import Limits

        return Limits
    if name == "Gateway":
        from .gateway.gateway import Gateway

        return Gateway
    if name == "AccountStore":
        from .accounts.store import AccountStore

        return AccountStore
    if name == "Cancel":
        from .lua.isolated import Cancel

        return Cancel
    if name == "HostReply":
        from .lua.host import HostReply

        return HostReply
    raise AttributeError(f"module 'luagate' has no attribute {name!r}")
