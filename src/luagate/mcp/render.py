"""The readable text blocks that accompany structured results, capped in size.

An MCP client shows the text to the model; the structured content carries the whole value. Text is
cut at a UTF-8 character boundary, never inside a character, and the cut is always visible.
"""

from __future__ import annotations

import json

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TEXT_LIMIT = 64 * 1024
"""Bytes of text one tool result carries (the structured content is not cut)."""


def truncate_utf8(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` in at most ``limit`` UTF-8 bytes plus a marker saying how much was cut."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    cut = limit
    while cut > 0 and (data[cut] & 0xC0) == 0x80:  # a continuation byte: step back
        cut -= 1
    kept = data[:cut].decode("utf-8", "replace")
    return kept + f"\n[… truncated: {len(data) - cut} more bytes of {len(data)} not shown]"


def to_json(value: Any, indent: int | None = 2) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=False, default=str)


def execution_text(envelope: dict[str, Any], limit: int = TEXT_LIMIT) -> str:
    """An execution envelope as text: status, output, error with its line, result, calls."""
    status = "succeeded" if envelope["success"] else "failed"
    lines = [f"Script {status} in {envelope['duration_ms']:.1f} ms."]
    error = envelope.get("error")
    if error:
        where = f" (line {error['line']})" if error.get("line") is not None else ""
        lines.append(f"Error [{error['type']}]{where}: {error['message']}")
    output = envelope.get("output") or ""
    if output:
        marker = " (truncated by the output limit)" if envelope.get("output_truncated") else ""
        lines += ["", f"Output{marker}:", output.rstrip("\n")]
    if envelope["success"]:
        lines += ["", "Return value:", to_json(envelope.get("result"))]
    calls = envelope.get("calls") or []
    if calls:
        lines += ["", f"Calls made ({len(calls)}):"]
        for call in calls:
            account = f" [{call['account']}]" if call.get("account") else ""
            outcome = "ok" if call["ok"] else f"failed: {call.get('error')}"
            lines.append(f"- {call['path']}{account} {outcome}, {call['duration_ms']:.1f} ms")
    return truncate_utf8("\n".join(lines), limit)


def call_text(envelope: dict[str, Any], limit: int = TEXT_LIMIT) -> str:
    """A call envelope as text: the data as JSON, or the error."""
    if envelope["success"]:
        return truncate_utf8(to_json(envelope["data"]), limit)
    error = envelope["error"] or {}
    return truncate_utf8(
        f"{envelope['function']} failed [{error.get('type')}]: {error.get('message')}", limit
    )


def catalog_text(catalog: dict[str, Any]) -> str:
    """The short docs catalog (``docs.list()``) as a few lines."""
    lines = ["Guides:"]
    lines += [f"- {g['page']}: {g['title']}" for g in catalog["guides"]]
    for provider in catalog["providers"]:
        lines += ["", f"{provider['title']} (page {provider['page']}):"]
        lines += [f"- {f['page']} [{f['kind']}]: {f['summary']}" for f in provider["functions"]]
    lines += [
        "",
        "Read a page with lua_read_doc(page); search with lua_search_docs(query). In Lua, call "
        "app.integrations.<provider>.<function>({...}) through execute_lua.",
    ]
    return "\n".join(lines)
