"""One provider account's door to its API: every request a provider client makes goes through
:meth:`Endpoint.request`.

Per request: wait for the account's rate budget (before sending), send with a timeout bounded by
the caller's deadline, then sort the outcome. A 429 pauses every user of the budget until the
server's reset and is tried again. Connection errors, timeouts and 5xx are tried again with
backoff and jitter — but only for idempotent methods; a POST is re-sent only when it cannot have
reached the server (the connection was never made) or the server refused it unprocessed (429).
Everything else becomes a typed error from :mod:`.error_mapping`.
"""

from __future__ import annotations

import json
import random
import threading
import time
from email.utils import parsedate_to_datetime

import httpx

from .. import __version__
from ..errors import (
    NetworkError,
    ProviderError,
    RateLimitedError,
    UpstreamError,
    UpstreamTimeoutError,
)
from .error_mapping import error_for_status, provider_words

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .context import CallContext
    from .ratelimit import RateBudget

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
USER_AGENT = f"luagate/{__version__}"
TELL_AFTER_S = 1.0  # waits at least this long get a progress line


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
        max_rate_limited: int = 8,
        auth_hint: str = "",
    ) -> None:
        url = httpx.URL(base_url)
        if url.userinfo:
            raise ValueError("a base URL must not carry credentials")
        self.base_url = str(url).rstrip("/")
        self.origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.provider = provider
        self.headers = headers
        self.budget = budget
        self.transport = transport
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.reset_headers = reset_headers
        self.max_rate_limited = max_rate_limited
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
            except httpx.TimeoutException as e:
                unsent = isinstance(e, httpx.ConnectTimeout | httpx.PoolTimeout)
                retriable = idempotent or unsent
                error: ProviderError = UpstreamTimeoutError(
                    f"{self._who(context)} did not answer {method} {path} within "
                    f"{timeout:.1f} s"
                    + (
                        ""
                        if idempotent or unsent
                        else " (not re-sent: the request may have been carried out)"
                    )
                )
            except httpx.TransportError as e:
                retriable = idempotent or isinstance(e, httpx.ConnectError)
                error = NetworkError(
                    f"{self._who(context)}: could not complete {method} {path} with "
                    f"{self.origin} ({type(e).__name__}: {_short(str(e))})"
                )
            else:
                status = response.status_code
                if status == 429:
                    limited += 1
                    self._wait_for_reset(response, limited, context)
                    continue
                if 200 <= status < 300:
                    try:
                        return Reply(status, _json(response), response.headers)
                    except ValueError:
                        retriable = idempotent
                        error = UpstreamError(
                            f"{self._who(context)} answered {method} {path} with a body that "
                            f"is not valid JSON: {provider_words(response)}",
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
            limited = 0
            if not retriable or attempt >= self.retry.retries:
                raise error
            delay = retry_after if retry_after is not None else self.retry.delay(attempt)
            remaining = context.remaining()
            if remaining is not None and delay >= remaining - 0.05:
                raise error
            attempt += 1
            context.retries += 1
            time.sleep(delay)

    # -- pieces -------------------------------------------------------------------------------

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
            self._sleep_for_rate(wait, context, budget.describe(), told)
            told = told or wait >= TELL_AFTER_S

    def _wait_for_reset(self, response: httpx.Response, limited: int, context: CallContext) -> None:
        if limited > self.max_rate_limited:
            raise RateLimitedError(
                f"{self._who(context)} kept answering 429 Too Many Requests "
                f"({limited} times in a row): {provider_words(response)}",
                429,
            )
        wait = self._reset_wait(response)
        if wait is None:
            wait = min(30.0, 2.0 ** (limited - 1))
        if self.budget is not None:
            self.budget.hold_until(time.monotonic() + wait)
        self._sleep_for_rate(wait, context, "the server's rate limit", False)

    def _sleep_for_rate(self, wait: float, context: CallContext, what: str, told: bool) -> None:
        remaining = context.remaining()
        if remaining is not None and wait > remaining:
            raise RateLimitedError(
                f"{self._who(context)}: {what} is spent; the next request may go in {wait:.1f} s, "
                f"after the deadline ({max(remaining, 0):.1f} s left)"
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


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."
