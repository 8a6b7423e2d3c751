"""One provider account's door to its API: every request a provider client makes goes through
:meth:`Endpoint.request`.

Per request: wait for the account's rate budget (before sending), send with a timeout bounded by
the caller's deadline, then sort the outcome. A 429 pauses every user of the budget until the
server's reset and is tried again — within bounds: a wait that would end past the caller's
deadline fails at once, and without a deadline at most ``MAX_429_WAITS`` 429s in a row are waited
out, for at most ``MAX_429_WAIT_S`` in all per call. Connection errors, timeouts and 5xx are
tried again with backoff and jitter — but only for idempotent methods; a POST is re-sent only when
it cannot have reached the server (the connection was never made) or the server refused it
unprocessed (429). A POST whose outcome is unknown (5xx, no answer in time, the connection lost
after sending) fails saying it was not re-sent and may have been carried out. Everything else
becomes a typed error from :mod:`.error_mapping`.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from email.utils import parsedate_to_datetime

import httpx

from .. import __version__
from ..errors import (
    NetworkError,
    NotConfiguredError,
    ProviderError,
    RateLimitedError,
    UpstreamError,
    UpstreamTimeoutError,
    ValidationError,
)
from .account_settings import check_base_url
from .error_mapping import body_excerpt, error_for_status, provider_words

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .context import CallContext
    from .ratelimit import RateBudget

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
USER_AGENT = f"luagate/{__version__}"
TELL_AFTER_S = 1.0  # waits at least this long get a progress line
MAX_429_WAITS = 3  # 429 answers in a row waited out for one request; the next one fails
MAX_429_WAIT_S = 120.0  # waiting out 429s, in all, for one call without a deadline
# What a failed request that may have changed something says, so that nobody blindly retries it
NOT_RESENT = "not re-sent: the request may have been carried out"
NOT_RESENT_DONE = "not re-sent: the request was carried out, but its answer could not be read"
# Transport failures that happen before any byte of the request left
_UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class RetryPolicy:
    """Up to ``retries`` more attempts, each after a random delay in [0, min(cap, base·2^n)]
    ("full jitter", so that clients that failed together do not come back together)."""

    def __init__(self, retries: int = 3, base_s: float = 0.25, cap_s: float = 4.0) -> None:
        self.retries = retries
        self.base_s = base_s
        self.cap_s = cap_s

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap_s, self.base_s * 2**attempt))


class Reply:
    """A successful response: status, parsed JSON body (None when empty), headers."""

    __slots__ = ("data", "headers", "status")

    def __init__(self, status: int, data: Any, headers: httpx.Headers) -> None:
        self.status = status
        self.data = data
        self.headers = headers


_pools: dict[tuple[str, int], httpx.Client] = {}
_pools_lock = threading.Lock()


def _pool(origin: str, transport: httpx.BaseTransport | None) -> httpx.Client:
    """One pooled client per origin (and per in-process transport), shared by all accounts."""
    key = (origin, id(transport) if transport is not None else 0)
    with _pools_lock:
        client = _pools.get(key)
        if client is None:
            client = _pools[key] = httpx.Client(
                transport=transport,
                limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
                follow_redirects=False,
            )
        return client


class Endpoint:
    def __init__(
        self,
        base_url: str,
        *,
        provider: str,
        headers: dict[str, str],
        budget: RateBudget | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 30.0,
        retry: RetryPolicy | None = None,
        reset_headers: tuple[str, ...] = (),
        max_rate_limited: int = MAX_429_WAITS,
        max_rate_wait_s: float = MAX_429_WAIT_S,
        auth_hint: str = "",
        url_field: str = "base_url",
    ) -> None:
        # a NotConfiguredError naming the field, never echoing a password
        self.base_url = check_base_url(provider, base_url, field=url_field, allow_embedded=False)
        url = httpx.URL(self.base_url)
        self.origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.provider = provider
        self.headers = _sendable(provider, headers)
        self.budget = budget
        self.transport = transport
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.reset_headers = reset_headers
        self.max_rate_limited = max_rate_limited
        self.max_rate_wait_s = max_rate_wait_s
        self.auth_hint = auth_hint

    # -- the one way to send ------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        context: CallContext,
        *,
        params: Any = None,
        json_body: Any = None,
    ) -> Reply:
        method = method.upper()
        idempotent = method in IDEMPOTENT
        client = _pool(self.origin, self.transport)
        url = self.base_url + path
        started = time.monotonic()
        attempt = 0
        limited = 0
        while True:
            self._take_budget(context)
            timeout = self._timeout(context, method, path)
            context.requests += 1
            retry_after: float | None = None
            try:
                response = client.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    headers=self.headers,
                    timeout=timeout,
                )
            except httpx.InvalidURL as e:  # nothing was sent: an argument made it unsendable
                raise ValidationError(
                    f"{self._who(context)}: {method} {_clipped(path)} cannot be sent ({e}): an "
                    f"argument is too long for a URL (at most {MAX_URL_CHARS:,} characters)"
                ) from None
            except httpx.TimeoutException as e:
                retriable = idempotent or isinstance(e, _UNSENT)
                error: ProviderError = UpstreamTimeoutError(
                    f"{self._who(context)} did not answer {method} {path} within {timeout:.1f} s"
                    + ("" if retriable else f" ({NOT_RESENT})")
                )
            except httpx.LocalProtocolError as e:  # nothing was sent: luagate's own request
                raise NetworkError(
                    f"{self._who(context)}: could not send {method} {path} to {self.origin}: "
                    f"the request is not valid HTTP ({_short(self._redacted(str(e)))})"
                ) from None
            except httpx.TransportError as e:
                retriable = idempotent or isinstance(e, _UNSENT)
                error = NetworkError(
                    f"{self._who(context)}: could not complete {method} {path} with "
                    f"{self.origin} ({type(e).__name__}: {_short(self._redacted(str(e)))})"
                    + ("" if retriable else f" ({NOT_RESENT})")
                )
            else:
                status = response.status_code
                if status == 429:
                    limited += 1
                    self._wait_for_reset(response, limited, context, method, path)
                    continue
                if 200 <= status < 300:
                    try:
                        return Reply(status, _json(response), response.headers)
                    except ValueError:
                        retriable = idempotent
                        error = UpstreamError(
                            f"{self._who(context)} answered {method} {path} with a body that "
                            f"is not valid JSON: {body_excerpt(response)}"
                            + ("" if idempotent else f" ({NOT_RESENT_DONE})"),
                            status,
                        )
                else:
                    error = error_for_status(
                        response,
                        provider=self.provider,
                        account=context.account,
                        hint=self.auth_hint,
                    )
                    retriable = idempotent and status in RETRY_STATUSES
                    retry_after = _retry_after(response)
                    if status >= 500 and not idempotent:
                        _add(error, f" ({NOT_RESENT})")
            limited = 0
            if not retriable or attempt >= self.retry.retries:
                raise _tried(error, attempt, started)
            delay = retry_after if retry_after is not None else self.retry.delay(attempt)
            remaining = context.remaining()
            if remaining is not None and delay >= remaining - 0.05:
                raise _tried(error, attempt, started)
            attempt += 1
            context.retries += 1
            time.sleep(delay)

    # -- pieces -------------------------------------------------------------------------------

    def _redacted(self, text: str) -> str:
        """``text`` without any header value (or the credential inside one) in it."""
        for value in self.headers.values():
            for secret in {value, value.partition(" ")[2]}:
                if len(secret) >= 4:
                    text = text.replace(secret, "***")
        return text

    def _who(self, context: CallContext) -> str:
        if context.account:
            return f"{self.provider} (account {context.account!r})"
        return self.provider

    def _timeout(self, context: CallContext, method: str, path: str) -> float:
        remaining = context.remaining()
        if remaining is None:
            return self.timeout_s
        if remaining <= 0.01:
            raise UpstreamTimeoutError(
                f"{self._who(context)}: no time left before the deadline to send {method} {path}"
            )
        return min(self.timeout_s, remaining)

    def _take_budget(self, context: CallContext) -> None:
        budget = self.budget
        if budget is None:
            return
        told = False
        while True:
            wait = budget.try_acquire()
            if wait <= 0:
                return
            held = budget.held_for()
            if held > 0:  # the server's 429 (maybe another call's): bounded like our own 429s
                self._check_server_wait(
                    min(wait, held), context, ": requests are on hold after the server's 429"
                )
                self._sleep_for_rate(wait, context, "the server's rate limit", told)
                context.server_wait_s += min(wait, held)
            else:
                self._sleep_for_rate(wait, context, budget.describe(), told)
            told = told or wait >= TELL_AFTER_S

    def _wait_for_reset(
        self,
        response: httpx.Response,
        limited: int,
        context: CallContext,
        method: str,
        path: str,
    ) -> None:
        """Wait out the server's 429 (its reset, else a growing pause), or fail at once when the
        wait would pass the deadline or the bounds kept without one."""
        wait = self._reset_wait(response)
        if wait is None:
            wait = min(30.0, 2.0 ** (limited - 1))
        if self.budget is not None:  # everyone sharing the budget respects the server's reset
            self.budget.hold_until(time.monotonic() + wait)
        who = self._who(context)
        said = f"429 ({provider_words(response) or 'Too Many Requests'})"
        still = f"the wait still required is {wait:.1f} s"
        if limited > self.max_rate_limited:
            raise RateLimitedError(
                f"{who} answered {method} {path} with {said} {limited} times in a row (luagate "
                f"waits out at most {self.max_rate_limited} in a row); {still}: try again after "
                "that",
                429,
            )
        self._check_server_wait(wait, context, f" answered {method} {path} with {said}")
        self._sleep_for_rate(wait, context, "the server's rate limit", False)
        context.server_wait_s += wait

    def _check_server_wait(self, wait: float, context: CallContext, what: str) -> None:
        """Fail at once when waiting ``wait`` more for the server's rate limit would end past
        the deadline, or, without one, past the total allowed per call."""
        who = self._who(context)
        still = f"the wait still required is {wait:.1f} s"
        remaining = context.remaining()
        if remaining is not None and wait > remaining:
            raise RateLimitedError(
                f"{who}{what}; {still}, but the call has only {max(remaining, 0):.1f} s left "
                "before its deadline",
                429,
            )
        spent = context.server_wait_s
        if remaining is None and spent + wait > self.max_rate_wait_s:
            raise RateLimitedError(
                f"{who}{what}; {still}, after {spent:.1f} s already spent waiting for its rate "
                f"limit (without a deadline luagate waits at most {self.max_rate_wait_s:g} s in "
                "all per call): try again after that",
                429,
            )

    def _sleep_for_rate(self, wait: float, context: CallContext, what: str, told: bool) -> None:
        remaining = context.remaining()
        if remaining is not None and wait > remaining:
            raise RateLimitedError(
                f"{self._who(context)}: rate limit reached ({what}); the next request may go "
                f"in {wait:.1f} s, but the call has only {max(remaining, 0):.1f} s left before "
                "its deadline"
            )
        if wait >= TELL_AFTER_S and not told:
            context.tell(f"{self._who(context)}: rate limit reached ({what}); waiting {wait:.1f} s")
        time.sleep(wait)
        context.rate_limited_ms += wait * 1000

    def _reset_wait(self, response: httpx.Response) -> float | None:
        """Seconds until the server accepts requests again, from its headers."""
        after = _retry_after(response)
        if after is not None:
            return after
        for name in self.reset_headers:
            value = response.headers.get(name)
            if value is None:
                continue
            try:
                number = float(value)
            except ValueError:
                continue
            if number > 1e9:  # a UNIX timestamp
                return max(0.0, number - time.time()) + 0.05
            return max(0.0, number)
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _json(response: httpx.Response) -> Any:
    if not response.content:
        return None
    return json.loads(response.content)


def _add(error: ProviderError, text: str) -> ProviderError:
    error.message += text
    error.args = (error.message,)
    return error


def _tried(error: ProviderError, attempt: int, started: float) -> ProviderError:
    """The final error of a request, saying how many attempts it took when it took several."""
    if attempt > 0:
        _add(error, f" ({attempt + 1} attempts, {time.monotonic() - started:.1f} s in all)")
    return error


MAX_URL_CHARS = 65536
"""The longest URL (and URL part) httpx builds; a longer one is ``httpx.InvalidURL``."""


def _clipped(path: str) -> str:
    return path if len(path) <= 80 else f"{path[:60]}... ({len(path):,} characters)"


_HEADER_VALUE = re.compile(r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$")
"""What an HTTP header value may be here: visible ASCII, inner spaces allowed."""


def _sendable(provider: str, headers: dict[str, str]) -> dict[str, str]:
    """The headers, or a NotConfiguredError naming (never showing) the value that cannot be
    sent: a credential with a space or line break at an end, a control character, or a letter
    outside ASCII would otherwise fail every request, with the value in the transport's error."""
    for name, value in headers.items():
        if not isinstance(value, str) or not _HEADER_VALUE.match(value):
            raise NotConfiguredError(
                f"{provider}: the account's credentials cannot be sent: the {name} header would"
                " hold a space or line break at an end, a control character or a character"
                " outside ASCII. Re-enter the credential without it (luagate configure"
                f" {provider.lower()} ...)"
            )
    return headers


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."
