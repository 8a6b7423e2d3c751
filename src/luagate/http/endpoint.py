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

Bounds a server cannot stretch: the body is read in chunks against the attempt's own time (the
request timeout, or what is left before the caller's deadline), so a server that drips its answer
byte by byte cannot hold a call past it, and an answer over ``MAX_RESPONSE_BYTES`` is refused. A
server's wait (``Retry-After``, a reset header) beyond ``MAX_SERVER_WAIT_S`` is not believed.
A successful answer must be a JSON object (or empty). No message quotes a credential, even one a
provider echoes back.
"""

from __future__ import annotations

import json
import random
import re
import ssl
import threading
import time
from contextlib import contextmanager
from email.utils import parsedate_to_datetime

import httpx

from .. import __version__
from ..errors import (
    LuagateError,
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
    from collections.abc import Iterator
    from typing import Any

    from .context import CallContext
    from .ratelimit import RateBudget

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({500, 502, 503, 504})
USER_AGENT = f"luagate/{__version__}"
TELL_AFTER_S = 1.0  # waits at least this long get a progress line
MAX_429_WAITS = 3  # 429 answers in a row waited out for one request; the next one fails
MAX_429_WAIT_S = 120.0  # waiting out 429s, in all, for one call without a deadline
MAX_SERVER_WAIT_S = 3600.0  # a server's Retry-After or reset further away is not believed
MAX_RETRY_AFTER_S = 30.0  # a 5xx asking for a longer pause than this is not retried
MAX_RESPONSE_BYTES = 32 * 1024 * 1024  # the largest answer read (a page is ~1 MB at most)
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


_tls: list[ssl.SSLContext] = []


def tls_context() -> ssl.SSLContext:
    """The process's one TLS context (the CA bundle is read once, not once per origin)."""
    if not _tls:
        import certifi

        _tls.append(ssl.create_default_context(cafile=certifi.where()))
    return _tls[0]


def _pool(origin: str, transport: httpx.BaseTransport | None) -> httpx.Client:
    """One pooled client per origin (and per in-process transport), shared by all accounts."""
    key = (origin, id(transport) if transport is not None else 0)
    with _pools_lock:
        client = _pools.get(key)
        if client is None:
            client = _pools[key] = httpx.Client(
                transport=transport,
                verify=tls_context() if transport is None else True,
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
        secrets: tuple[str, ...] = (),
    ) -> None:
        # a NotConfiguredError naming the field, never echoing a password
        self.base_url = check_base_url(provider, base_url, field=url_field, allow_embedded=False)
        url = httpx.URL(self.base_url)
        self.origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self.provider = provider
        self.headers = _sendable(provider, headers)
        # what no message may quote: the header values, the credentials inside them, and the
        # secrets they were made from (a provider may echo a token back in its error)
        hidden = set(secrets)
        for value in self.headers.values():
            hidden.update((value, value.partition(" ")[2]))
        self._hidden = sorted((h for h in hidden if len(h) >= 4), key=len, reverse=True)
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
        try:
            return self._request(method, path, context, params, json_body)
        except ProviderError as e:  # whatever the server said, no credential goes further
            redacted = self._redacted(e.message)
            if redacted != e.message:
                e.message = redacted
                e.args = (redacted,)
            raise

    def _request(
        self, method: str, path: str, context: CallContext, params: Any, json_body: Any
    ) -> Reply:
        method = method.upper()
        idempotent = method in IDEMPOTENT
        client = _pool(self.origin, self.transport)
        url = self.base_url + path
        started = time.monotonic()
        attempt = 0
        limited = 0
        error: ProviderError | None = None
        while True:
            self._take_budget(context)
            try:
                timeout = self._timeout(context, method, path)
            except UpstreamTimeoutError:
                if error is None:
                    raise
                raise _tried(error, attempt, started) from None  # the cause, not the clock
            context.requests += 1
            retry_after: float | None = None
            try:
                response = self._exchange(
                    client, method, url, params, json_body, timeout, context, path
                )
            except httpx.InvalidURL as e:  # nothing was sent: an argument made it unsendable
                raise ValidationError(
                    f"{self._who(context)}: {method} {_clipped(path)} cannot be sent ({e}): an "
                    f"argument is too long for a URL (at most {MAX_URL_CHARS:,} characters)"
                ) from None
            except httpx.TimeoutException as e:
                retriable = idempotent or isinstance(e, _UNSENT)
                error = UpstreamTimeoutError(
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
                        data = _json(response)
                    except (ValueError, RecursionError):
                        retriable = idempotent
                        error = UpstreamError(
                            f"{self._who(context)} answered {method} {path} with a body that "
                            f"is not valid JSON: {body_excerpt(response)}"
                            + ("" if idempotent else f" ({NOT_RESENT_DONE})"),
                            status,
                        )
                    else:
                        if data is None or isinstance(data, dict):
                            return Reply(status, data, response.headers)
                        raise UpstreamError(
                            f"{self._who(context)} answered {method} {path} with JSON that is "
                            f"not an object ({_kind(data)}): {body_excerpt(response)}",
                            status,
                        )
                elif status == 404 and method == "DELETE" and attempt > 0:
                    # an earlier attempt, whose answer was lost, deleted it: done
                    return Reply(status, None, response.headers)
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
            if retry_after is not None and retry_after > MAX_RETRY_AFTER_S:
                _add(error, f" (it asks to retry after {_duration(retry_after)}; not waited)")
                raise _tried(error, attempt, started)
            delay = retry_after if retry_after is not None else self.retry.delay(attempt)
            remaining = context.remaining()
            if remaining is not None and delay >= remaining - 0.05:
                raise _tried(error, attempt, started)
            attempt += 1
            context.retries += 1
            if delay >= TELL_AFTER_S:
                context.tell(
                    f"{self._who(context)}: {method} {path} failed ({error.type}); trying again"
                    f" in {delay:.1f} s"
                )
            time.sleep(delay)

    def _exchange(
        self,
        client: httpx.Client,
        method: str,
        url: str,
        params: Any,
        json_body: Any,
        timeout: float,
        context: CallContext,
        path: str,
    ) -> httpx.Response:
        """Send one request and read its answer within ``timeout`` in all: the body is read in
        chunks and the clock checked after each, so a dripping server cannot stretch it."""
        request = client.build_request(
            method, url, params=params, json=json_body, headers=self.headers, timeout=timeout
        )
        ends = time.monotonic() + timeout
        response = client.send(request, stream=True)
        if response.is_stream_consumed:
            return response  # answered from memory (an in-process transport): already whole
        try:
            chunks = []
            size = 0
            for chunk in response.iter_raw():
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise UpstreamError(
                        f"{self._who(context)} answered {method} {path} with more than"
                        f" {MAX_RESPONSE_BYTES // (1024 * 1024)} MiB; luagate reads at most that",
                        response.status_code,
                    )
                chunks.append(chunk)
                if time.monotonic() > ends and size < _content_length(response):
                    raise httpx.ReadTimeout("the answer took longer than allowed", request=request)
        finally:
            response.close()
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=b"".join(chunks),
            request=request,
        )

    # -- pieces -------------------------------------------------------------------------------

    def _redacted(self, text: str) -> str:
        """``text`` without any header value, credential or secret of the account in it."""
        for secret in self._hidden:
            if secret in text:
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
        if wait is None or wait > MAX_SERVER_WAIT_S:  # none, or not believable: back off
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
            if number > 1e11:  # a UNIX timestamp in milliseconds
                number /= 1000
            if number > 1e9:  # a UNIX timestamp
                return max(0.0, number - time.time()) + 0.05
            return max(0.0, number)
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN: no advice
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _content_length(response: httpx.Response) -> float:
    """The declared body length, or infinity when the server declared none."""
    try:
        return int(response.headers.get("content-length", ""))
    except ValueError:
        return float("inf")


def _kind(data: Any) -> str:
    return {list: "an array", str: "a string", bool: "a boolean"}.get(type(data), "a number")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 1e6 else "a very long time"


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


@contextmanager
def unreadable_answers(provider: str, function: str, context: CallContext) -> Iterator[None]:
    """Around a provider client's shaping of answers: once a request has been answered, a
    ``KeyError``/``TypeError``/``AttributeError``/``ValueError`` means the answer was not shaped
    as the API documents (``{"calls": {...}}`` where a list belongs), an ``upstream`` error, not
    luagate's own failure. Before any request, it stays what it is."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as e:
        if context.requests == 0 or isinstance(e, LuagateError):
            raise
        raise UpstreamError(
            f"{provider} answered {function} with data luagate could not read: it is not shaped"
            f" as {provider}'s API documents ({type(e).__name__}: {_short(str(e))})"
        ) from e
