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
