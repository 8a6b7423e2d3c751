"""The HTTP settings a provider account may carry, read the same way for every provider:
``base_url`` (where its API is), ``rate_limit`` (a budget shared by everyone using the same
credentials) and ``request_timeout``. A bad value is a ``not_configured`` error naming the
provider and the field (and never echoing a password)."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import urlsplit

from ..errors import NotConfiguredError, UsageError
from .ratelimit import parse_rate, shared_budget

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .ratelimit import RateBudget

DEFAULT_TIMEOUT_S = 30.0
EMBEDDED_SCHEME = "embedded"  # ``embedded://<provider>``: the built-in simulator, in-process
BASE_URL_FORM = "http(s)://host[:port]"
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?|[\w]+"  # letters, digits, dashes (underscores tolerated)
_NETLOC = re.compile(r"(?P<host>\[[^\]]*\]|[^:]*)(?::(?P<port>\d*))?")
_HOST = re.compile(rf"(?:\[[0-9A-Fa-f:.]+\]|(?:{_LABEL})(?:\.(?:{_LABEL}))*\.?)")


def check_base_url(
    provider: str,
    text: str,
    *,
    field: str = "base_url",
    account: str | None = None,
    allow_embedded: bool = True,
) -> str:
    """``text`` as a usable API base URL, ``http(s)://host[:port]`` (a path may follow), without
    a trailing slash; else a :class:`NotConfiguredError` naming the provider, the account (when
    given) and the field, the expected form, and the given value with any password masked.

    ``embedded://<provider>`` (the built-in simulator, in-process) passes when ``allow_embedded``.
    It only reads the text (nothing is resolved or contacted), so ``luagate configure`` can call it
    before storing a value.
    """
    given = text if isinstance(text, str) else ""
    value = given.strip()
    where = f"{provider} account {account!r}" if account else f"{provider} account"

    def refuse(why: str) -> NotConfiguredError:
        return NotConfiguredError(
            f"{where}: field {field} {why}; expected {BASE_URL_FORM} (for example "
            f"https://api.example.com or http://127.0.0.1:8080), got {masked_url(given)!r}"
        )

    if not value:
        raise refuse("is empty")
    if "@" in value:
        raise refuse(
            "must not carry credentials (user:password@); put them in the account's credential "
            "fields"
        )
    if any(ch.isspace() or not ch.isprintable() for ch in value):
        raise refuse("must not contain spaces or control characters")
    if "://" not in value:
        raise refuse("is not a URL: it has no scheme (http:// or https://)")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise refuse("has an invalid host") from None
    scheme = parts.scheme.lower()
    if scheme == EMBEDDED_SCHEME and allow_embedded:
        name = (parts.netloc + parts.path).strip("/")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise refuse("names no built-in simulator (embedded://<provider>)")
        return f"{EMBEDDED_SCHEME}://{name}"
    if scheme not in ("http", "https"):
        raise refuse(f"must use http or https, not {parts.scheme or 'no scheme'!r}")
    found = _NETLOC.fullmatch(parts.netloc)
    if found is None:
        raise refuse("has an invalid host or port")
    if not _HOST.fullmatch(found["host"]):
        raise refuse("has no valid host name")
    port = found["port"]
    if port is not None and not (port and 0 < int(port) <= 65535):
        raise refuse("has an invalid port (a port is 1 to 65535)")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise refuse("must not carry a query (?...) or a fragment (#...)")
    return f"{scheme}://{parts.netloc}{parts.path}".rstrip("/")


def masked_url(text: str) -> str:
    """``text`` with the password of a ``user:password@`` part replaced by ``***`` (a user name
    alone, often a token, is masked whole). Everything up to the last ``@`` counts, so a password
    holding ``/``, ``?`` or ``#`` is masked too."""
    if not isinstance(text, str) or "@" not in text:
        return text if isinstance(text, str) else repr(text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    userinfo, _, host = rest.rpartition("@")
    user, colon, _ = userinfo.partition(":")
    shown = f"{user}:***" if colon and user else "***"
    return f"{scheme}{sep}{shown}@{host}"


def rate_budget(provider: str, text: str, identity: str) -> RateBudget | None:
    """The process-wide budget for ``text`` (``"120/min"``; empty: none), one per ``identity``
    (who the credentials are: hashed here, never kept or printed)."""
    if not text:
        return None
    limit, window = _rate(provider, text)
    key = hashlib.sha256(identity.encode()).hexdigest()
    return shared_budget(f"{provider}:{key}", limit, window)


def _rate(provider: str, text: str) -> tuple[int, float]:
    try:
        return parse_rate(text)
    except UsageError as e:
        raise NotConfiguredError(f"{provider} account field rate_limit: {e.message}") from None


def request_timeout(provider: str, text: str) -> float:
    """Seconds to wait for one answer (``text`` empty: the default)."""
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise NotConfiguredError(
            f"{provider} account field request_timeout must be a number of seconds greater than"
            f" 0 and at most 3600, got {text!r}"
        )
    return value


def check_setting(provider: str, field: str, value: str, account: str | None = None) -> bool:
    """Check one stored value of a shared HTTP setting before it is stored (``luagate
    configure``); False if ``field`` is none of them. Raises NotConfiguredError."""
    if field == "base_url":
        check_base_url(provider, value, account=account)
    elif field == "rate_limit":
        _rate(provider, value.strip())  # parsed only: no budget is made for a value not stored
    elif field == "request_timeout":
        request_timeout(provider, value.strip())
    else:
        return False
    return True
