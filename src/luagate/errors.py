"""Every error luagate reports, in one family.

Each class's ``type`` is the ``error.type`` users see in envelopes, so a script, a CLI user and an
MCP client all read the same word for the same failure. Errors are raised where they are detected
and carry a message a person can act on; none ever carries a secret.
"""

from __future__ import annotations


class LuagateError(Exception):
    """Base of every error luagate raises on purpose."""

    type = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"type": self.type, "message": self.message}


class UsageError(LuagateError):
    """A command or API was called the wrong way (bad flag, missing file)."""

    type = "usage"


# --- what a script did -------------------------------------------------------------------------


class ScriptSyntaxError(LuagateError):
    """The script does not compile."""

    type = "syntax"


class ScriptRuntimeError(LuagateError):
    """The script raised an error (``error(...)`` or a Lua runtime error) and did not catch it."""

    type = "runtime"


class InvalidValueError(LuagateError):
    """A value cannot cross the bridge: a cycle, a function, NaN, invalid UTF-8, too deep."""

    type = "invalid_value"


class UnknownNameError(LuagateError):
    """A script used a name under ``app`` that does not exist (a provider, an account or a
    function); the message lists what exists there."""

    type = "unknown_name"


# --- what a call asked for ----------------------------------------------------------------------


class ValidationError(LuagateError):
    """Arguments do not match the function's spec (names the parameter, expected and given)."""

    type = "validation"


class UnknownFunctionError(LuagateError):
    """No such provider or function (called by name, outside Lua); the message lists what
    exists."""

    type = "unknown_function"


class PolicyError(LuagateError):
    """The provider's policy refuses this kind of call (deny, or ask with no one to ask)."""

    type = "policy"


class NotConfiguredError(LuagateError):
    """The account does not exist or lacks credentials; the message gives the exact command
    to fix it."""

    type = "not_configured"


class SecretStoreError(LuagateError):
    """Stored secrets cannot be read or written (missing or wrong key, bad file permissions)."""

    type = "secret_store"


class NotAvailableError(LuagateError):
    """The function is declared but cannot be used here: the operator switched its provider
    off, or this build cannot carry it out."""

    type = "not_available"


# --- sandbox limits: each breach has its own type ----------------------------------------------


class LimitError(LuagateError):
    """A limit set by the operator was reached; the script is stopped."""

    type = "limit"


class TimeoutLimitError(LimitError):
    """The wall-clock limit was reached (``time_limit``: a provider that does not answer in
    time is ``timeout``, an ordinary error a script can catch)."""

    type = "time_limit"


class MemoryLimitError(LimitError):
    """The script's Lua state needed more memory than allowed."""

    type = "memory_limit"


class OutputLimitError(LimitError):
    """The script printed more than allowed; the output is truncated with a marker."""

    type = "output_limit"


class CallLimitError(LimitError):
    """The script made more host calls than allowed."""

    type = "call_limit"


class ValueTooLargeError(LimitError):
    """A value crossing the bridge (arguments, JSON, the result) exceeded the size limit. What
    comes in that large (a host's answer, json.decode's text) stops the script; what the script
    sends out (json.encode's value, a call's arguments) is refused, and pcall can catch that."""

    type = "value_too_large"


class WorkerLostError(LuagateError):
    """The isolated worker process ended without reporting (crashed or was killed by the OS)."""

    type = "worker_lost"


class InternalError(LuagateError):
    """A bug in luagate itself; the message says what failed."""

    type = "internal"


LIMIT_ERRORS: dict[str, type[LimitError]] = {
    cls.type: cls
    for cls in (
        TimeoutLimitError,
        MemoryLimitError,
        OutputLimitError,
        CallLimitError,
        ValueTooLargeError,
    )
}


# --- what a provider's API answered (the HTTP layer maps every failure to one of these) --------


class ProviderError(LuagateError):
    """A provider's API refused or failed a request; the message carries the provider's own
    words (never a credential)."""

    type = "upstream"

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ProviderError):
    """The provider refused the account's credentials (401/403)."""

    type = "auth"


class NotFoundError(ProviderError):
    """The provider has no such record (404)."""

    type = "not_found"


class RejectedError(ProviderError):
    """The provider rejected the request's content (400/422): the call's ``validation`` type,
    with the provider's own explanation."""

    type = "validation"


class RateLimitedError(ProviderError):
    """The provider's rate limit held the call back longer than it could wait."""

    type = "rate_limited"


class UpstreamError(ProviderError):
    """The provider failed (5xx, an HTML error page, a body that is not JSON) or answered in a
    way luagate cannot use."""

    type = "upstream"


class NetworkError(ProviderError):
    """The provider could not be reached (DNS, refused or dropped connection, TLS)."""

    type = "network"


class UpstreamTimeoutError(ProviderError):
    """The provider did not answer in time. Not a sandbox limit: a script can catch it."""

    type = "timeout"
