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


DEFAULT_HTTP_URL = "http://127.0.0.1:8765/mcp"
"""Where ``luagate serve --http`` listens unless told otherwise."""

NO_HTTP_FOR_DESKTOP = (
    "--http does not work with --client claude-desktop: claude_desktop_config.json only "
    "starts local servers over stdio, and it does not expand ${LUAGATE_MCP_TOKEN} in headers. "
    "For Claude Desktop, let it start luagate over stdio: luagate mcp-config --client "
    "claude-desktop (no --http, no token needed). A server it must reach over HTTP is added "
    "in its settings as a connector, not in this file."
)


def check_http_url(url: str) -> str | None:
    """Why ``url`` cannot be a server's address, or None when it can."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (a bad port raises)
    except ValueError:
        return f"--http takes the server's URL; the port in {url!r} is not a number in 0-65535"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"--http takes the server's http:// or https:// URL, got {url!r}"
    return None


def http_serve_command(url: str, args: list[str], *, home: str | None = None) -> str:
    """The shell line that starts the ``luagate serve --http`` an HTTP snippet connects to:
    ``args`` (``serve`` and its options) with ``--http``, and ``--host``/``--port`` when
    ``url`` (checked by :func:`check_http_url`) is not the default address. The server reads
    its token from ``$LUAGATE_MCP_TOKEN``, as the client does."""
    from urllib.parse import urlsplit

    command = [*luagate_command(), args[0], "--http"]
    parts = urlsplit(url)
    if parts.scheme == "http":  # https: a proxy in front, whose address says nothing of ours
        if parts.hostname != "127.0.0.1":
            command += ["--host", str(parts.hostname)]
        if (parts.port or 80) != 8765:
            command += ["--port", str(parts.port or 80)]
    command += args[1:]
    env = f"LUAGATE_HOME={shlex.quote(os.path.abspath(home))} " if home else ""
    return env + shlex.join(command)


def snippet(
    client: str, args: list[str], *, http_url: str | None = None, home: str | None = None
) -> str:
    """The configuration text for ``client``; with ``http_url``, for the HTTP server (the
    token stays a placeholder: no secret is ever printed). ``home``: the ``LUAGATE_HOME`` the
    server must read (the one this command sees), passed in the server's environment."""
    command = luagate_command()
    if http_url is not None:
        if client == "claude-desktop":
            raise ValueError(NO_HTTP_FOR_DESKTOP)
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
