"""From a failed HTTP exchange to a typed, readable error.

The message says who answered what: the provider, the account, the status and the provider's own
words — its JSON ``error``/``troubleshoot``/``message``/``reason`` fields, or the title of an HTML
error page, never the page itself. Credentials never reach a message: requests are described by
method and path only, and bodies are cut short.
"""

from __future__ import annotations

import html
import json
import re

from ..errors import (
    AuthError,
    NotFoundError,
    ProviderError,
    RejectedError,
    UpstreamError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    import httpx

MAX_DETAIL = 300
_MESSAGE_KEYS = ("error", "troubleshoot", "message", "reason", "detail", "error_description")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_HEADING = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def provider_words(response: httpx.Response) -> str:
    """What the provider said, in at most a few hundred characters."""
    body = response.content
    if not body:
        return ""
    if _is_html(response):
        return body_excerpt(response)
    try:
        data = json.loads(body)
    except ValueError:
        return "a body that is not JSON: " + body_excerpt(response)
    return _json_summary(data)


def body_excerpt(response: httpx.Response) -> str:
    """A body as a person reads it in an error: an HTML page by its title, other text cut short
    (for a body that is not the JSON expected)."""
    text = response.content[:20000].decode("utf-8", "replace")
    if _is_html(response):
        return _html_summary(text)
    return _cut(_SPACE.sub(" ", text)) or "an empty body"


def _is_html(response: httpx.Response) -> bool:
    kind = response.headers.get("content-type", "")
    return "html" in kind or response.content[:200].lstrip()[:1] == b"<"


def _json_summary(data: object) -> str:
    if isinstance(data, dict):
        parts: list[str] = []
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in parts:
                parts.append(value.strip())
            elif isinstance(value, dict):  # {"error": {"message": ...}}
                inner = _json_summary(value)
                if inner:
                    parts.append(inner)
        if parts:
            return _cut(": ".join(parts))
    return _cut(json.dumps(data, ensure_ascii=False))


def _html_summary(text: str) -> str:
    found = _TITLE.search(text) or _HEADING.search(text)
    if found:
        words = _SPACE.sub(" ", html.unescape(_TAG.sub("", found.group(1)))).strip()
        if words:
            return f"an HTML error page titled {_cut(words)!r}"
    return "an HTML error page"


def _cut(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def error_for_status(
    response: httpx.Response, *, provider: str, account: str | None, hint: str = ""
) -> ProviderError:
    """The typed error for a non-success response."""
    status = response.status_code
    words = provider_words(response)
    request = response.request
    what = f"{request.method} {request.url.path}"
    who = f"{provider}" + (f" (account {account!r})" if account else "")
    said = f": {words}" if words else ""
    if status in (401, 403):
        message = f"{who} refused the credentials ({status}{said})"
        return AuthError(message + (f". {hint}" if hint else ""), status)
    if status == 404:
        return NotFoundError(f"{who}: {what} found nothing ({status}{said})", status)
    if status in (400, 422):
        return RejectedError(f"{who} rejected {what} ({status}{said})", status)
    if status >= 500:
        return UpstreamError(f"{who} failed on {what} ({status}{said})", status)
    return UpstreamError(f"{who} answered {what} with {status}{said}", status)
