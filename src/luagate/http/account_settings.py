"""The HTTP settings a provider account may carry, read the same way for every provider:
``rate_limit`` (a budget shared by everyone using the same credentials) and ``request_timeout``.
A bad value is a ``not_configured`` error naming the provider and the field."""

from __future__ import annotations

import hashlib

from ..errors import NotConfiguredError, UsageError
from .ratelimit import parse_rate, shared_budget

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .ratelimit import RateBudget

DEFAULT_TIMEOUT_S = 30.0


def rate_budget(provider: str, text: str, identity: str) -> RateBudget | None:
    """The process-wide budget for ``text`` (``"120/min"``; empty: none), one per ``identity``
    (who the credentials are: hashed here, never kept or printed)."""
    if not text:
        return None
    try:
        limit, window = parse_rate(text)
    except UsageError as e:
        raise NotConfiguredError(f"{provider} account field rate_limit: {e.message}") from None
    key = hashlib.sha256(identity.encode()).hexdigest()
    return shared_budget(f"{provider}:{key}", limit, window)


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
            f"{provider} account field request_timeout must be a number of seconds (0 to 3600), "
            f"got {text!r}"
        )
    return value
