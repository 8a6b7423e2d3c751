"""The pieces of the MCP surface that need no client: text rendering, the policy ceiling in the
gateway, ``luagate mcp-config``, and the CLI staying free of the ``mcp`` import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from luagate.accounts.store import AccountStore
from luagate.cli import main
from luagate.errors import PolicyError
from luagate.gateway import policy
from luagate.gateway.gateway import Gateway
from luagate.mcp.render import execution_text, truncate_utf8


def test_truncation_keeps_whole_characters_and_says_so() -> None:
    text = "é" * 100  # two bytes each
    cut = truncate_utf8(text, 51)
    kept, _, marker = cut.partition("\n")
    assert kept == "é" * 25  # 50 bytes: the 51st byte would split a character
    assert "truncated: 150 more bytes of 200" in marker
    assert truncate_utf8("short", 51) == "short"
    assert "\ufffd" not in truncate_utf8("€" * 50, 100)


def test_execution_text_shows_error_line_and_calls() -> None:
    envelope = {
        "success": False,
        "duration_ms": 3.2,
        "output": "hi\n",
        "output_truncated": False,
        "result": None,
        "error": {"type": "runtime", "message": "boom", "line": 4},
        "calls": [
            {
                "path": "app.integrations.aircall.list_calls",
                "account": "demo",
                "ok": True,
                "error": None,
                "duration_ms": 1.0,
            }
        ],
    }
    text = execution_text(envelope)
    assert "Error [runtime] (line 4): boom" in text
    assert "Output:\nhi" in text and "aircall.list_calls [demo] ok" in text
    assert "Return value" not in text


def test_a_ceiling_only_narrows() -> None:
    assert (
        policy.narrowed({"read": "allow", "write": "allow"}, {"write": "deny"})["write"] == "deny"
    )
    assert policy.narrowed({"write": "deny"}, {"write": "allow"})["write"] == "deny"
    assert policy.narrowed({"write": "allow"}, {"write": "ask"})["write"] == "ask"
    assert policy.narrowed({"write": "ask"}, None) == {"write": "ask"}


def test_the_gateway_ceiling_refuses_writes_even_with_force(tmp_path: Path) -> None:
    store = AccountStore(home=tmp_path, environ={"LUAGATE_HOME": str(tmp_path)})
    store.set_policy("aircall", write="allow")
    gateway = Gateway(store, notify=None, ceiling={"write": "deny"})
    assert gateway.effective_policy("aircall")["write"] == "deny"
    with pytest.raises(PolicyError, match="--write deny"):
        gateway.check(
            "aircall.create_contact",
            {"first_name": "A", "phone_numbers": [{"label": "W", "value": "+33612345678"}]},
            force=True,
        )
    gateway.check("aircall.list_calls", {})  # reads untouched
    envelope = gateway.call(
        "aircall.create_contact",
        {"first_name": "A", "phone_numbers": [{"label": "W", "value": "+33612345678"}]},
        force=True,
    )
    assert envelope["error"]["type"] == "policy"
    assert Gateway(store, notify=None).effective_policy("aircall")["write"] == "allow"


def test_mcp_config_prints_ready_snippets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mcp-config", "--client", "claude-desktop", "--functions"]) == 0
    config = json.loads(capsys.readouterr().out)
    entry = config["mcpServers"]["luagate"]
    assert [*entry["args"][-2:]] == ["serve", "--functions"]
    assert main(["mcp-config", "--client", "claude-code", "--write", "deny"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("claude mcp add luagate -- ") and line.endswith("serve --write deny")
    assert main(["mcp-config", "--http"]) == 0
    entry = json.loads(capsys.readouterr().out)["mcpServers"]["luagate"]
    assert entry["url"] == "http://127.0.0.1:8765/mcp"
    assert entry["headers"]["Authorization"] == "Bearer ${LUAGATE_MCP_TOKEN}"


def test_the_lua_command_never_imports_the_mcp_sdk(tmp_path: Path) -> None:
    code = (
        "import sys; from luagate.cli import main; "
        "rc = main(['lua', '-e', 'return 1', '--in-process']); "
        "print(rc, any(m == 'mcp' or m.startswith('mcp.') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"LUAGATE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert out.stdout.split()[-2:] == ["0", "False"], out.stderr


def test_the_quick_argument_check_never_accepts_what_the_schema_refuses(tmp_path: Path) -> None:
    from jsonschema import Draft202012Validator

    from luagate.mcp.server import build_server
    from luagate.mcp.tools import _plainly_valid

    server = build_server(Gateway(AccountStore(home=tmp_path), notify=None))
    samples = [
        {},
        {"code": "return 1"},
        {"code": ""},
        {"code": 42},
        {"code": None},
        {"code": "x", "timeout_s": 0.5, "memory_mb": 8, "max_calls": 3, "output_bytes": 10},
        {"code": "x", "timeout_s": 0},
        {"code": "x", "timeout_s": -1.5},
        {"code": "x", "timeout_s": True},
        {"code": "x", "timeout_s": "5"},
        {"code": "x", "max_calls": 2.0},
        {"code": "x", "max_calls": 2.5},
        {"code": "x", "max_calls": float("nan")},
        {"code": "x", "speed": 3},
        {"query": "calls"},
        {"query": ""},
        {"query": "calls", "limit": 50},
        {"query": "calls", "limit": 51},
        {"query": "calls", "limit": 0},
        {"query": "calls", "limit": False},
        {"page": "overview"},
        {"page": ["overview"]},
    ]
    quick = 0
    for tool in server.tool_defs.values():
        validator = Draft202012Validator(tool.input_schema)
        for arguments in samples:
            if _plainly_valid(tool.input_schema, arguments):
                quick += 1
                assert validator.is_valid(arguments), (tool.name, arguments)
    assert quick == 7  # the well-formed calls take the quick path


def test_the_pipe_transport_reads_lines_and_writes_through_a_full_pipe() -> None:
    import os

    import anyio

    from luagate.mcp.stdio import PipeLines, PipeWriter

    async def main() -> tuple[list[str], bytes]:
        read_fd, write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        e_acute = "é".encode()
        os.write(write_fd, b'{"a": 1}\n{"b": "' + e_acute[:1])  # a character split across reads
        os.write(write_fd, e_acute[1:] + b'"}\n{"c": 3}')
        os.close(write_fd)
        lines = [line async for line in PipeLines(read_fd)]
        os.close(read_fd)

        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        big = "x" * (1 << 20)  # far more than a pipe holds
        received = bytearray()

        def drain() -> None:
            while chunk := os.read(read_fd, 1 << 16):
                received.extend(chunk)

        writer = PipeWriter(write_fd)
        async with anyio.create_task_group() as tg:
            tg.start_soon(anyio.to_thread.run_sync, drain)
            await writer.write(big)
            await writer.write("\n")
            await writer.flush()
            os.close(write_fd)
        os.close(read_fd)
        return lines, bytes(received)

    lines, received = anyio.run(main)
    assert lines == ['{"a": 1}\n', '{"b": "é"}\n', '{"c": 3}']
    assert received == b"x" * (1 << 20) + b"\n"


def _call(n: int) -> dict[str, object]:
    return {
        "path": "app.integrations.aircall.list_users",
        "account": "demo",
        "ok": True,
        "error": None,
        "duration_ms": 1.5 + n,
    }


def test_a_large_output_is_cut_and_the_rest_of_the_text_survives() -> None:
    from luagate.mcp.render import TEXT_LIMIT

    output = "x" * 70_000 + "é" * 10_000 + "\n"  # far beyond the text block, characters split
    succeeded = {
        "success": True,
        "duration_ms": 12.0,
        "output": output,
        "output_truncated": False,
        "result": "IMPORTANT-RESULT",
        "error": None,
        "calls": [_call(0)],
    }
    text = execution_text(succeeded)
    assert len(text.encode()) <= TEXT_LIMIT
    assert text.startswith("Script succeeded in 12.0 ms.\n\nOutput:\nxxx")
    assert "[… truncated: " in text and f"of {len(output.encode()) - 1} not shown]" in text
    assert text.endswith(
        'Return value:\n"IMPORTANT-RESULT"\n\nCalls made (1):\n'
        "- app.integrations.aircall.list_users [demo] ok, 1.5 ms"
    )
    assert "\ufffd" not in text

    failed = {**succeeded, "success": False, "result": None, "output_truncated": True}
    failed["error"] = {"type": "runtime", "message": "boom", "line": 7}
    text = execution_text(failed)
    assert len(text.encode()) <= TEXT_LIMIT
    assert "Error [runtime] (line 7): boom\n\nOutput (truncated by the output limit):\n" in text
    assert "Return value" not in text and "Calls made (1):" in text


def test_the_execution_text_keeps_within_its_limit_whatever_is_large() -> None:
    envelope = {
        "success": True,
        "duration_ms": 1.0,
        "output": "o" * 50_000,
        "output_truncated": False,
        "result": {"big": "r" * 100_000},
        "error": None,
        "calls": [_call(n) for n in range(5_000)],
    }
    text = execution_text(envelope, limit=20_000)
    assert len(text.encode()) <= 20_000
    assert "\nOutput:\nooo" in text and "\nReturn value:\n{" in text
    assert "\nCalls made (5000):\n- app.integrations.aircall.list_users [demo] ok" in text
    assert text.count("[… truncated: ") == 2  # the output and the return value
    assert "more calls not shown; the structured content has them all]" in text


def _write_function():
    from luagate.providers.registry import provider_specs

    aircall = next(p for p in provider_specs() if p.name == "aircall")
    return next(f for f in aircall.functions if f.name == "create_contact")


def _refusal(own: str, ceiling: dict[str, str] | None) -> str:
    with pytest.raises(PolicyError) as e:
        policy.check(
            _write_function(), {"write": own}, account=None, force=False, ask=None, ceiling=ceiling
        )
    return e.value.message


def test_a_servers_refusal_names_its_cause_and_only_what_its_operator_can_do() -> None:
    # the server's --write ask is the cause: the provider itself allows writes
    message = _refusal("allow", {"write": "ask"})
    assert "started with --write ask (aircall's own write policy is 'allow')" in message
    assert "no one to ask" in message
    assert message.endswith("restart luagate serve with --write allow.")
    assert "--force" not in message and "luagate configure" not in message
    # the provider's own policy is the cause
    message = _refusal("deny", {"write": "allow"})
    assert "aircall's write policy is 'deny'" in message and "started with" not in message
    assert message.endswith(
        "luagate configure aircall --write allow (the running server applies it from the next"
        " call)."
    )
    assert "restart" not in message
    assert "--force" not in message
    message = _refusal("ask", {"write": "allow"})
    assert "aircall's write policy is 'ask'" in message and "--force" not in message
    # both
    message = _refusal("ask", {"write": "deny"})
    assert "aircall's write policy is 'ask' and this server was started with --write deny" in (
        message
    )
    assert message.endswith(
        "luagate configure aircall --write allow, and restart luagate serve with --write allow."
    )
    # the CLI (no ceiling) still offers --force, which it has
    assert "(or --force for one call)" in _refusal("deny", None)
    assert "Allow this call with --force" in _refusal("ask", None)


def test_a_limit_request_above_the_ceiling_keeps_the_ceiling() -> None:
    from luagate.errors import UsageError
    from luagate.lua.limits import MAXIMA, MIB, Limits

    base = Limits(timeout_s=20, memory_bytes=32 * MIB, max_calls=50, output_bytes=4096)
    assert base.narrowed(timeout_s=700_000, memory_bytes=2e6 * MIB) == base  # above the maxima
    assert base.narrowed(timeout_s=float("inf"), max_calls=1e20, output_bytes=10**30) == base
    assert base.narrowed(memory_bytes=MAXIMA["memory_bytes"] + 1).memory_bytes == 32 * MIB
    lower = base.narrowed(timeout_s=0.5, max_calls=3)
    assert (lower.timeout_s, lower.max_calls, lower.memory_bytes) == (0.5, 3, 32 * MIB)
    for value, says in [
        (0, "must be a positive number, got 0"),
        (-1, "must be a positive number, got -1"),
        (float("nan"), "must be a positive number, got nan"),
        ("5", "must be a number, got '5'"),
        (True, "must be a number, got True"),
    ]:
        with pytest.raises(UsageError, match=f"limit timeout_s {says}"):
            base.narrowed(timeout_s=value)


def test_mcp_config_refuses_http_for_claude_desktop(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mcp-config", "--client", "claude-desktop", "--http"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--http does not work with --client claude-desktop" in captured.err
    assert "luagate mcp-config --client claude-desktop (no --http" in captured.err
    assert "connector" in captured.err
    assert main(["mcp-config", "--http", "localhost:8765"]) == 2  # no scheme: not a URL
    assert "http:// or https:// URL" in capsys.readouterr().err


def test_mcp_config_over_http_carries_the_server_options_into_its_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    options = ["--functions", "--write", "deny", "--provider", "aircall"]
    assert main(["mcp-config", "--http", *options]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["mcpServers"]["luagate"]["type"] == "http"
    serve = captured.err.splitlines()[-1].strip()
    assert serve.endswith(" serve --http --functions --write deny --provider aircall"), serve
    assert "$LUAGATE_MCP_TOKEN" in captured.err
    url = "http://10.0.0.5:9000/mcp"
    args = ["mcp-config", "--client", "claude-code", "--http", url, "--provider", "wildix"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"claude mcp add --transport http luagate {url} ")
    assert captured.err.splitlines()[-1].endswith(
        " serve --http --host 10.0.0.5 --port 9000 --provider wildix"
    )


def test_a_cancel_handle_kills_the_runs_worker_at_once() -> None:
    import threading

    from mcp_helpers import live_children, running, wait_until

    from luagate import default_executor
    from luagate.lua.echo_host import EchoHost
    from luagate.lua.fork_server import shared_fork_server
    from luagate.lua.isolated import Cancel
    from luagate.lua.limits import Limits

    executor = default_executor(isolated=True)
    forever = Limits(timeout_s=600)  # far beyond any wait below
    done: list[object] = []
    cancel = Cancel()
    runner = threading.Thread(
        target=lambda: done.append(
            executor.run("while true do end", EchoHost(), forever, cancel=cancel)
        )
    )
    runner.start()
    assert wait_until(lambda: bool(live_children(shared_fork_server().pid)))
    (worker,) = live_children(shared_fork_server().pid)
    cancel.cancel()
    runner.join(60)
    assert done, "the run went on after its cancel"
    (execution,) = done
    assert execution.error.type == "cancelled" and not execution.success
    assert wait_until(lambda: not running(worker))

    # cancelled before it starts: no worker at all; after it ended: nothing changes
    cancel = Cancel()
    cancel.cancel()
    assert executor.run("return 1", EchoHost(), cancel=cancel).error.type == "cancelled"
    cancel = Cancel()
    finished = executor.run("return 1", EchoHost(), cancel=cancel)
    cancel.cancel()
    assert finished.success and finished.result == 1


def test_warm_up_readies_tls_for_configured_accounts_only(tmp_path: Path, monkeypatch) -> None:
    from luagate.http import endpoint
    from luagate.mcp.server import warm_up

    monkeypatch.setattr(endpoint, "_tls", [])  # as in a fresh server process
    home = tmp_path / "home"
    store = AccountStore(home=home, environ={"LUAGATE_HOME": str(home)})
    gateway = Gateway(store, notify=None)
    warm_up(gateway)  # demo accounts only: simulators in-process, no TLS
    assert endpoint._tls == []
    store.configure(
        gateway.provider("wildix"), "office", set_values={"pbx_url": "acme", "access_token": "t"}
    )
    warm_up(Gateway(store, notify=None))
    assert len(endpoint._tls) == 1  # the CA bundle was read before any script's first call
