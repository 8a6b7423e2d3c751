"""A Wildix PBX's records as the agent-facing contract describes them.

The PBX sends every value as a string. Counts and durations become integers; ids stay strings
(they are keys, not quantities). Every field the PBX sends is kept, under its own name, except a
call's ``duration``, which the contract defines as talk time; the contract's fields are added:
- a call record's ``status`` comes from ``disposition``; ``duration`` is the talk time
  (``billsec``, else the PBX's total) and the PBX's own total moves to ``total_duration``;
  ``from``/``to`` are ``from_number``/``to_number`` (else ``src``/``dst``); empty times and
  names become null;
- an extension is a colleague seen through its ``extension``: ``id`` and ``number`` are the
  extension number (so an id from ``list_extensions`` works in ``get_extension``), ``user_id`` is
  the colleague's own id;
- a user is a colleague, with empty optional fields as null.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

STATUS = {
    "ANSWERED": "answered",
    "NO ANSWER": "no_answer",
    "BUSY": "busy",
    "FAILED": "failed",
    "CONGESTION": "failed",
}
_INTEGERS = ("billsec", "duration")
_NULLABLE_CALL = ("from_name", "to_name", "answer", "timezone")
_NULLABLE_USER = ("email", "department", "mobilePhone", "officePhone", "language", "login")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        try:
            return int(float(str(value)))
        except ValueError:
            return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def call(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for name in _INTEGERS:
        if name in out:
            out[name] = _int(out[name])
    billsec, total = out.get("billsec"), out.get("duration")
    talk = billsec if billsec is not None else total
    disposition = str(record.get("disposition") or "").upper()
    status = STATUS.get(disposition)
    if status is None:
        status = "answered" if (billsec or 0) > 0 else "no_answer"
    out["id"] = str(record.get("id", ""))
    out["status"] = status
    out["duration"] = talk if talk is not None else 0
    out["total_duration"] = total
    out["from"] = _text(record.get("from_number")) or _text(record.get("src")) or ""
    out["to"] = _text(record.get("to_number")) or _text(record.get("dst")) or ""
    for name in _NULLABLE_CALL:
        out[name] = _text(record.get(name))
    return out


def user(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out["id"] = str(record.get("id", ""))
    out["name"] = str(record.get("name") or "")
    out["extension"] = str(record.get("extension") or "")
    out["role"] = str(record.get("role") or "")
    for name in _NULLABLE_USER:
        out[name] = _text(record.get(name))
    return out


def extension(record: dict[str, Any]) -> dict[str, Any]:
    number = str(record.get("extension") or "")
    name = str(record.get("name") or "")
    return {
        "id": number,
        "number": number,
        "name": name,
        "user_id": str(record.get("id", "")),
        "user_name": name,
        "email": _text(record.get("email")),
        "department": _text(record.get("department")),
    }
