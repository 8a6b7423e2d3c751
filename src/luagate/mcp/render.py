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
    """An execution envelope as text: status, output, error with its line, result, calls.

    Within ``limit`` bytes, what matters most survives: the status and the error whole (its
    message up to a quarter of the room), then the return value and the calls made, and the
    output in whatever room they leave (at least a quarter of it, when it is that long) — each
    section cut, when it must be, at a character boundary with a visible marker.
    """
    status = "succeeded" if envelope["success"] else "failed"
    head = [f"Script {status} in {envelope['duration_ms']:.1f} ms."]
    error = envelope.get("error")
    if error:
        where = f" (line {error['line']})" if error.get("line") is not None else ""
        line = f"Error [{error['type']}]{where}: {error['message']}"
        head.append(_fit(line, limit // 4))
    output = (envelope.get("output") or "").rstrip("\n")
    marker = " (truncated by the output limit)" if envelope.get("output_truncated") else ""
    output_title = f"Output{marker}:"
    result = to_json(envelope.get("result")) if envelope["success"] else None
    calls = envelope.get("calls") or []
    call_lines = [_call_line(call) for call in calls]
    calls_title = f"Calls made ({len(calls)}):"

    # the room left once the fixed parts are in: the head, each section's title and the blank
    # line before it, the newlines between lines
    fixed = "\n".join(head)
    if output:
        fixed += f"\n\n{output_title}\n"
    if result is not None:
        fixed += "\n\nReturn value:\n"
    if calls:
        fixed += f"\n\n{calls_title}\n"
    room = max(limit - _size(fixed), 0)
    wanted = [
        _size(result) if result is not None else 0,
        _size("\n".join(call_lines)),
    ]
    reserve = min(_size(output), room // 4)
    result_room, calls_room = _share(wanted, room - reserve)
    if result is not None:
        result = _fit(result, result_room)
    calls_text = _fit_lines(call_lines, calls_room)
    output = _fit(output, room - (_size(result) if result is not None else 0) - _size(calls_text))

    lines = list(head)
    if output:
        lines += ["", output_title, output]
    if result is not None:
        lines += ["", "Return value:", result]
    if calls:
        lines += ["", calls_title, calls_text]
    return "\n".join(lines)


def _call_line(call: dict[str, Any]) -> str:
    account = f" [{call['account']}]" if call.get("account") else ""
    outcome = "ok" if call["ok"] else f"failed: {call.get('error')}"
    return f"- {call['path']}{account} {outcome}, {call['duration_ms']:.1f} ms"


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


MARKER_ROOM = 80
"""Bytes the truncation marker takes, at most (its two counts have up to 20 digits each)."""


def _fit(text: str, room: int) -> str:
    """``text`` in at most ``room`` bytes: whole, or cut with the marker."""
    if _size(text) <= room:
        return text
    return truncate_utf8(text, max(room - MARKER_ROOM, 0))


def _fit_lines(lines: list[str], room: int) -> str:
    """Whole lines in at most ``room`` bytes, then how many more there are."""
    text = "\n".join(lines)
    if _size(text) <= room:
        return text
    kept: list[str] = []
    used = MARKER_ROOM
    for line in lines:
        used += _size(line) + 1
        if used > room:
            break
        kept.append(line)
    more = len(lines) - len(kept)
    return "\n".join(
        [*kept, f"[… {more} more calls not shown; the structured content has them all]"]
    )


def _share(wanted: list[int], room: int) -> list[int]:
    """``room`` shared among sections that want ``wanted`` bytes: a section that wants less
    than an equal share gets it all, and the others share the rest equally."""
    shares = [0] * len(wanted)
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    left = max(room, 0)
    for n, i in enumerate(order):
        shares[i] = min(wanted[i], left // (len(order) - n))
        left -= shares[i]
    return shares


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
