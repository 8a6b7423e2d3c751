"""Aircall's records as the agent-facing contract describes them.

Every real field is kept; the contract's extra fields are derived, never invented:
- a call's ``from``/``to`` come from ``raw_digits`` (the external party) and the Aircall number's
  ``digits``, by direction; an anonymous end is left out (nil in Lua: the reference's examples
  write ``call.from or "unknown"``);
- a user's ``first_name``/``last_name`` are the API's when it sends them, else ``name`` split at
  its first space (Aircall's v2 users carry only ``name``);
- a number's ``number`` is its ``digits``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

ANONYMOUS = "anonymous"


def call(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    raw = record.get("raw_digits")
    external = raw if isinstance(raw, str) and raw and raw.lower() != ANONYMOUS else None
    number = record.get("number")
    own = number.get("digits") if isinstance(number, dict) else None
    ends = (own, external) if record.get("direction") == "outbound" else (external, own)
    # an unknown end is left out (nil in Lua), so that `call.from or "unknown"` reads naturally
    for key, value in zip(("from", "to"), ends, strict=True):
        if value is not None:
            out[key] = value
        else:
            out.pop(key, None)
    return out


def user(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    name = record.get("name") if isinstance(record.get("name"), str) else ""
    first, _, last = name.strip().partition(" ")
    if not out.get("first_name"):
        out["first_name"] = first
    if not out.get("last_name"):
        out["last_name"] = last.strip()
    if not out.get("name"):
        out["name"] = f"{out['first_name']} {out['last_name']}".strip()
    return out


def number(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out.setdefault("number", record.get("digits"))
    return out


def contact(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out.setdefault("phone_numbers", [])
    out.setdefault("emails", [])
    return out
