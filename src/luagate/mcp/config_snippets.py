"""Ready-to-paste client configuration for ``luagate mcp-config`` (no ``mcp`` import here)."""

from __future__ import annotations

import json
import os
import shlex
import sys

CLIENTS = ("claude-desktop", "claude-code", "generic")
TOKEN_PLACEHOLDER = "${LUAGATE_MCP_TOKEN}"


def luagate_command() -> list[str]:
    """How to start this luagate: its script next to this interpreter, else ``python -m``."""
    script = os.path.join(os.path.dirname(sys.executable), "luagate")
    if os.path.isfile(script) and os.access(script, os.X_OK):
        return [os.path.abspath(script)]
    return [os.path.abspath(sys.executable), "-m", "luagate"]


def serve_args(
    *, functions: bool = False, write: str | None = None, providers: list[str] | None = None
) -> list[str]:
    args = ["serve"]
    if functions:
        args.append("--functions")
    if write and write != "allow":
        args += ["--write", write]
    for provider in providers or ():
        args += ["--provider", provider]
    return args


def snippet(
    client: str, args: list[str], *, http_url: str | None = None, home: str | None = None
) -> str:
    """The configuration text for ``client``; with ``http_url``, for the HTTP server (the
    token stays a placeholder: no secret is ever printed). ``home``: the ``LUAGATE_HOME`` the
    server must read (the one this command sees), passed in the server's environment."""
    command = luagate_command()
    if http_url is not None:
        headers = {"Authorization": f"Bearer {TOKEN_PLACEHOLDER}"}
        if client == "claude-code":
            return (
                f"claude mcp add --transport http luagate {http_url} "
                f'--header "Authorization: Bearer $LUAGATE_MCP_TOKEN"'
            )
        entry = {"type": "http", "url": http_url, "headers": headers}
        return json.dumps({"mcpServers": {"luagate": entry}}, indent=2)
    env = {"LUAGATE_HOME": os.path.abspath(home)} if home else {}
    if client == "claude-code":
        flags = "".join(f"-e {shlex.quote(f'{k}={v}')} " for k, v in env.items())
        return f"claude mcp add {flags}luagate -- " + shlex.join([*command, *args])
    entry: dict[str, object] = {"command": command[0], "args": [*command[1:], *args]}
    if env:
        entry["env"] = env
    if client == "generic":
        entry = {"type": "stdio", **entry}
    return json.dumps({"mcpServers": {"luagate": entry}}, indent=2)


def where(client: str) -> str:
    """Where the snippet goes, for people (printed on stderr)."""
    if client == "claude-desktop":
        return (
            "Add this to Claude Desktop's claude_desktop_config.json (Settings → Developer → "
            "Edit Config; on macOS ~/Library/Application Support/Claude/, on Windows "
            "%APPDATA%\\Claude\\), merging with any servers already there, then restart it."
        )
    if client == "claude-code":
        return "Run this in a shell (add --scope project to share it through .mcp.json)."
    return "An mcpServers entry most MCP clients accept (e.g. a project's .mcp.json)."
