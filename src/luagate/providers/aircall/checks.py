"""What Aircall refuses in a contact write, checked before any request is sent.

Aircall answers 400 ``Invalid payload`` to a contact without a phone number, to more than 20
entries in a list, to an entry without a label or a value, to a phone number that is not in
international (E.164) form and to an email that is not an address. luagate refuses the same calls
itself, before sending anything, with a ``validation`` error that names the parameter and the
entry (``phone_numbers[2].value``), the form expected and the value given; so a refused call
never half-happens. The simulator answers with the same rules (:func:`is_phone`,
:func:`is_email`), as the real API does.

This module is light (no HTTP client): :func:`check` is what a dry run needs to agree with a
real call.
"""

from __future__ import annotations

import re

from ...catalog.validate import shown
from ...errors import ValidationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_ENTRIES = 20  # phone numbers or emails per contact
TEXT_FIELDS = ("first_name", "last_name", "company_name", "information")
PHONE_FORM = (
    'a phone number in international (E.164) form: "+", the country code, then the number, '
    'like "+33612345678" (spaces, dots, dashes and parentheses are allowed; 7 to 15 digits)'
)
EMAIL_FORM = 'an email address like "jane@example.com"'
PHONE_EXAMPLE = '{ { label = "Work", value = "+33612345678" } }'
# The agent-facing reference's own create_contact example writes this text where its source had an
# address (a web page's stand-in for a hidden email). That example must run unchanged, so this
# exact text, and nothing like it, passes as an email.
REFERENCE_EMAIL = "[email protected]"

_PHONE_CHARS = re.compile(r"\+[\d\s().-]+")
_SEPARATORS = re.compile(r"[\s().-]")
_LOCAL = re.compile(r"[^@\s\"(),:;<>\[\\\]]+")
_DOMAIN_LABEL = re.compile(r"[^\W_](?:[\w-]*[^\W_])?")


def is_phone(value: object) -> bool:
    """An international number: ``+``, a country code that does not start with 0, 7 to 15
    digits in all (E.164), with optional spaces, dots, dashes and parentheses."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not _PHONE_CHARS.fullmatch(text):
        return False
    digits = _SEPARATORS.sub("", text[1:])
    return digits.isdigit() and digits[0] != "0" and 7 <= len(digits) <= 15


def is_email(value: object) -> bool:
    """``local@domain.tld``: one ``@``, no spaces, a domain of at least two dot-separated labels
    (letters, digits and inner dashes), at most 254 characters."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text == REFERENCE_EMAIL:
        return True
    if len(text) > 254 or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if not _LOCAL.fullmatch(local) or local.startswith(".") or local.endswith("."):
        return False
    if ".." in local:
        return False
    labels = domain.removesuffix(".").split(".")
    return (
        len(labels) >= 2
        and all(_DOMAIN_LABEL.fullmatch(label) and len(label) <= 63 for label in labels)
        and not labels[-1].isdigit()
    )


def check(function: str, args: dict[str, Any]) -> None:
    """Raise a :class:`ValidationError` for a call Aircall would refuse (``function`` is the
    short name, ``args`` the arguments as the spec validated them)."""
    where = f"aircall.{function}"
    if function not in ("create_contact", "update_contact"):
        return
    for name in TEXT_FIELDS:
        _not_blank(where, name, args.get(name))
    phones = args.get("phone_numbers")
    if function == "create_contact" and not phones:
        raise ValidationError(
            f"{where}: Aircall requires at least one phone number: give phone_numbers = "
            f"{PHONE_EXAMPLE}"
        )
    if phones is not None and not phones:
        raise ValidationError(
            f"{where}: phone_numbers cannot be empty: an Aircall contact keeps at least one phone "
            f"number (leave phone_numbers out to keep the current ones, or give the new ones: "
            f"phone_numbers = {PHONE_EXAMPLE})"
        )
    for name, valid, form in (
        ("phone_numbers", is_phone, PHONE_FORM),
        ("emails", is_email, EMAIL_FORM),
    ):
        entries = args.get(name)
        if entries is None:
            continue
        if len(entries) > MAX_ENTRIES:
            raise ValidationError(
                f"{where}: {name} may hold at most {MAX_ENTRIES} entries (Aircall's limit), "
                f"got {len(entries)}"
            )
        for i, entry in enumerate(entries, start=1):
            for key in ("label", "value"):
                _not_blank(where, f"{name}[{i}].{key}", entry.get(key))
            value = entry.get("value")
            if not valid(value):
                raise ValidationError(
                    f"{where}: {name}[{i}].value must be {form}, got {shown(value)}"
                )


def _not_blank(where: str, name: str, value: Any) -> None:
    if isinstance(value, str) and not value.strip():
        raise ValidationError(f"{where}: {name} must not be blank (Aircall rejects empty text)")


def check_account_field(field: str, value: str, account: str | None = None) -> None:
    """A value about to be stored in an account: the shared HTTP settings (``base_url``,
    ``rate_limit``, ``request_timeout``) must parse. Raises NotConfiguredError."""
    from ...http.account_settings import check_setting

    check_setting("aircall", field, value, account)
