"""The gateway: the one way in for every surface (Lua, CLI, Python, MCP).

A call goes: resolve ``provider.function`` and the account → validate the arguments against the
spec → apply the provider's read/write policy (``force`` bypasses only that) → stop here on a dry
run → load the account's credentials → the provider's client → audit. :meth:`Gateway.call`
returns the call envelope; :meth:`Gateway.invoke` is the same path raising typed errors, for the
Lua bridge.
"""

from __future__ import annotations

import os
import time

from ..errors import (
    InternalError,
    LuagateError,
    NotAvailableError,
    NotConfiguredError,
    UnknownFunctionError,
)
from ..http.context import CallContext  # light: no httpx
from ..providers.registry import (
    demo_account,
    provider_checks,
    provider_client,
    provider_specs,
)
from ..suggest import close_matches
from . import policy
from .audit import AUDIT_FILE, AuditLog

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

    from ..accounts.store import AccountStore
    from ..catalog.docs import Docs
    from ..catalog.spec import FunctionSpec, ProviderSpec
    from ..lua.deadline import Deadline
    from ..lua.envelope import Execution
    from ..lua.isolated import Cancel
    from ..lua.limits import Limits

DEMO_ACCOUNT = "demo"
_announced: set[str] = set()  # providers whose demo account this process has announced

FOLLOW_EVERY_S = 0.1
"""How often, at most, a gateway checks whether config.json changed (:meth:`Gateway.refresh`):
a ``stat`` per call measured 8–30 µs against a 100 µs budget for the whole call; a person's
``luagate configure`` in another terminal applies within this."""


def _to_stderr(message: str) -> None:
    import sys

    # one write per line: notices come from several threads (e.g. a server warming up while it
    # prints its own lines), and print() writes the text and its newline separately
    sys.stderr.write(f"luagate: {message}\n")
    sys.stderr.flush()


class Resolved:
    """A call that passed every check: what to call, on which account, with what."""

    __slots__ = ("account", "args", "function", "permission_bypassed", "provider")

    def __init__(
        self,
        provider: ProviderSpec,
        function: FunctionSpec,
        account: str | None,
        args: dict[str, Any],
        permission_bypassed: bool,
    ) -> None:
        self.provider = provider
        self.function = function
        self.account = account
        self.args = args
        self.permission_bypassed = permission_bypassed


class Gateway:
    def __init__(
        self,
        store: AccountStore | None = None,
        *,
        clients: dict[str, Any] | None = None,
        providers: tuple[ProviderSpec, ...] | None = None,
        ask: Callable[[FunctionSpec, str | None], bool] | None = None,
        audit: AuditLog | None = None,
        surface: str = "python",
        notify: Callable[[str], None] | None = _to_stderr,
        ceiling: dict[str, str] | None = None,
    ) -> None:
        from ..accounts.store import AccountStore

        if store is None:
            store = AccountStore()
        elif not isinstance(store, AccountStore):
            raise TypeError(
                "Gateway: store must be a luagate.AccountStore (AccountStore(home=...)) or "
                f"None, got {_given(store)}"
            )
        if clients is not None and not isinstance(clients, dict):
            raise TypeError(
                "Gateway: clients must be a dict of provider name to client, or None, "
                f"got {_given(clients)}"
            )
        for name, callback in (("ask", ask), ("notify", notify)):
            if callback is not None and not callable(callback):
                raise TypeError(
                    f"Gateway: {name} must be a callable or None, got {_given(callback)}"
                )
        self.store = store
        # every provider this gateway knows; ``providers`` are the ones switched on, the only
        # ones scripts, agents and their docs see (``luagate configure P --disable`` switches
        # one off, keeping its accounts)
        self.all_providers = providers if providers is not None else provider_specs()
        self.providers = tuple(p for p in self.all_providers if store.enabled(p.name))
        self._by_name = {p.name: p for p in self.all_providers}
        self._clients = dict(clients or {})
        self.ask = ask
        self.surface = surface
        self.notify = notify  # progress lines and notices for people (stderr by default)
        self._demos: dict[str, dict[str, str] | None] = {}
        self._own_audit = audit is None
        self._followed_at = time.monotonic()  # config.json was just read (or is read lazily)
        self.audit = audit or AuditLog(os.path.join(store.home, AUDIT_FILE), store.audit_enabled())
        self._docs: Docs | None = None
        # the most this surface lets through, per kind (e.g. ``{"write": "deny"}``): it narrows
        # every provider's policy and is never widened, not even by ``force``
        self.ceiling = dict(ceiling or {})

    def refresh(self) -> None:
        """Follow config.json when another process changed it (``luagate configure`` beside a
        running ``serve``, or a long-lived Python gateway): accounts, credentials, the default
        account, policy, the audit switch and which providers are on apply from the next call
        or script: called before each, at most every :data:`FOLLOW_EVERY_S`; one ``stat`` when
        nothing changed. (An MCP server's list of tools stays as it was built at its start.)"""
        if not self.store.refresh():
            return
        providers = tuple(p for p in self.all_providers if self.store.enabled(p.name))
        if providers != self.providers:
            self.providers = providers
            self._docs = None  # the docs describe the providers that are on
        if self._own_audit:
            self.audit.enabled = self.store.audit_enabled()

    def _follow(self) -> None:
        """:meth:`refresh`, at most every :data:`FOLLOW_EVERY_S`."""
        now = time.monotonic()
        if now - self._followed_at >= FOLLOW_EVERY_S:
            self._followed_at = now
            self.refresh()

    def effective_policy(self, provider: str) -> dict[str, str]:
        """The provider's read/write policy as this gateway applies it (under its ceiling)."""
        return policy.narrowed(self.store.policy(provider), self.ceiling)

    @property
    def docs(self) -> Docs:
        """The agent-facing docs (built on first use: most runs never read them)."""
        if self._docs is None:
            from ..catalog.docs import Docs
            from .context import context_page

            self._docs = Docs(self.providers, context=lambda: context_page(self))
        return self._docs

    # -- resolving ----------------------------------------------------------------------------

    def provider(self, name: str, *, disabled: bool = False) -> ProviderSpec:
        """The provider named ``name``; a switched-off one only when ``disabled`` allows it
        (configuring it), else a ``not_available`` error that says how to switch it on."""
        spec = self._by_name.get(name)
        if spec is None:
            raise UnknownFunctionError(
                _suggest(f"Unknown provider {name!r}.", name, list(self._by_name), "Providers")
            )
        if not disabled and spec not in self.providers:
            raise NotAvailableError(
                f"{name} is switched off on this machine (its accounts are kept); to use it: "
                f"luagate configure {name} --enable"
            )
        return spec

    def function(
        self, full_name: str, *, disabled: bool = False
    ) -> tuple[ProviderSpec, FunctionSpec]:
        """A function by its full name; of a switched-off provider only when ``disabled``
        allows it (the operator's views: its schema, its flags)."""
        name = full_name.strip().removeprefix("app.integrations.")
        provider_name, _, function_name = name.partition(".")
        provider = self.provider(provider_name, disabled=disabled)
        if not function_name:
            raise UnknownFunctionError(
                f"Name a function: {provider.name}.<function>. Functions: "
                + ", ".join(f.name for f in provider.functions)
            )
        spec = provider.function(function_name)
        if spec is None:
            names = [f.name for f in provider.functions]
            raise UnknownFunctionError(
                _suggest(
                    f"Unknown function {provider.name}.{function_name}.",
                    function_name,
                    names,
                    f"{provider.title} functions",
                    prefix=f"{provider.name}.",
                )
            )
        return provider, spec

    def accounts(self, provider: ProviderSpec) -> list[str]:
        """The provider's accounts, default first; with none configured, its ``demo`` account
        (served by the provider's simulator in-process) when it has one."""
        accounts = self.store.accounts(provider)
        if not accounts and self._demo(provider.name) is not None:
            return [DEMO_ACCOUNT]
        return accounts

    def is_demo(self, provider: ProviderSpec, account: str | None) -> bool:
        """Is ``account`` the built-in one? Never a configured account (``configure`` refuses
        the name; one from the environment or an older file is an account like any other)."""
        return (
            account == DEMO_ACCOUNT
            and not self.store.accounts(provider)
            and self._demo(provider.name) is not None
        )

    def _demo(self, provider: str) -> dict[str, str] | None:
        if provider not in self._demos:
            self._demos[provider] = demo_account(provider)
        return self._demos[provider]

    def account(self, provider: ProviderSpec, account: str | None) -> str:
        accounts = self.accounts(provider)
        if account in (None, "default"):
            chosen = self.store.default_account(provider, accounts)
            if chosen is None:
                raise NotConfiguredError(_configure_hint(provider, "default", "has no account"))
            return chosen
        if account not in accounts:
            from ..accounts.store import check_account_name

            check_account_name(provider, account)  # a name no account could have: usage
            if accounts == ["demo"] and self.is_demo(provider, "demo"):
                known = "only the built-in 'demo' (a simulated company)"
            else:
                known = ", ".join(accounts) if accounts else "none"
            if account == DEMO_ACCOUNT:  # a name configure refuses: no "to add it"
                tail = (
                    f" Accounts: {known}. The built-in 'demo' account (a simulated company)"
                    f" exists only while {provider.name} has no account configured."
                )
            else:
                tail = f" Accounts: {known}. To add it, " + _fix(
                    provider, account, provider.credential_sets[0], "run"
                )
            raise NotConfiguredError(
                _suggest(
                    f"{provider.name} has no account {account!r}.",
                    account,
                    accounts,
                    "Accounts",
                    tail=tail,
                )
            )
        return account

    def credentials(self, provider: ProviderSpec, account: str) -> dict[str, str]:
        if self.is_demo(provider, account):
            self._announce_demo(provider)
            return dict(self._demo(provider.name) or {})
        values = self.store.credentials(provider, account)
        for field, variable in self.store.missing_env_references(provider, account):
            raise NotConfiguredError(
                f"{provider.name} account {account!r}: {field} refers to the environment "
                f"variable {variable}, which is not set"
            )
        for group in provider.credential_sets:
            if all(values.get(name) for name in group):
                return values
        raise NotConfiguredError(
            _configure_hint(provider, account, "is missing credentials", have=set(values))
        )

    def check(
        self,
        function_name: str,
        args: Any = None,
        *,
        account: str | None = None,
        force: bool = False,
    ) -> Resolved:
        """Everything short of calling the provider: resolve, validate, account, policy."""
        from ..catalog.validate import validate

        self._follow()
        provider, function = self.function(function_name)
        checked = validate(function, args)
        provider_check = provider_checks(provider.name)
        if provider_check is not None:  # what the provider refuses beyond the spec
            provider_check(function.name, checked)
        chosen = self.account(provider, account)
        bypassed = policy.check(
            function,
            self.store.policy(provider.name),
            account=chosen,
            force=force,
            ask=self.ask,
            ceiling=self.ceiling,
        )
        return Resolved(provider, function, chosen, checked, bypassed)

    def _announce_demo(self, provider: ProviderSpec) -> None:
        if provider.name in _announced or self.notify is None:
            return
        _announced.add(provider.name)
        group = provider.credential_sets[0]
        self.notify(
            f"{provider.name} has no account configured, so its calls go to the built-in "
            f"'demo' account: a simulated {provider.title} company, no real API is called. "
            f"To use yours: {configure_command(provider, 'default', group)}"
        )

    # -- calling ------------------------------------------------------------------------------

    def invoke(
        self,
        resolved: Resolved,
        deadline: Deadline | None = None,
        context: CallContext | None = None,
    ) -> Any:
        """Call the provider for a checked call; raises typed errors. ``context`` (made here when
        not given) collects what the call cost: requests, retries, rate-limit waits."""
        if context is None:
            context = CallContext(account=resolved.account, deadline=deadline, notify=self.notify)
        credentials = self.credentials(resolved.provider, resolved.account)
        client = self._client(resolved.provider.name)
        return client.call(resolved.function, resolved.args, credentials, context)

    def _client(self, provider: str) -> Any:
        client = self._clients.get(provider)
        if client is None:
            client = provider_client(provider)
            if client is None:
                raise NotAvailableError(
                    f"{provider}: this build of luagate has no {provider} client yet; "
                    "--dry-run checks a call without making it"
                )
            self._clients[provider] = client
        return client

    def call(
        self,
        function: str,
        args: Any = None,
        account: str | None = None,
        dry_run: bool = False,
        force: bool = False,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """One call, as the envelope ``{function, success, data, error, meta, duration_ms}``.

        ``args`` is the function's arguments (None: none); what the function refuses in them is
        a failed envelope (``validation``), never an exception. ``timeout`` (seconds) bounds the
        whole call, rate-limit waits and retries included: a wait that would end past it fails
        at once with a ``rate_limited`` error.

        A wrong Python type or value for ``function``, ``account``, ``dry_run``, ``force`` or
        ``timeout`` is the caller's programming error: ``TypeError``/``ValueError``, raised
        before anything runs (no envelope, nothing audited)."""
        if not isinstance(function, str):
            raise TypeError(
                "Gateway.call: function must be a str naming a function (e.g. "
                f"'aircall.list_calls'), got {_given(function)}"
            )
        if account is not None and not isinstance(account, str):
            raise TypeError(
                f"Gateway.call: account must be a str (an account's name) or None, "
                f"got {_given(account)}"
            )
        _require_bool("Gateway.call", "dry_run", dry_run)
        _require_bool("Gateway.call", "force", force)
        _check_timeout(timeout)
        started = time.perf_counter()
        resolved: Resolved | None = None
        spec: FunctionSpec | None = None
        data: Any = None
        error: LuagateError | None = None
        context: CallContext | None = None
        try:
            _, spec = self.function(function)
            resolved = self.check(function, args, account=account, force=force)
            if dry_run:
                self.credentials_present(resolved)
                data = {"would_call": resolved.function.full_name, "args": resolved.args}
            else:
                deadline = None
                if timeout is not None:
                    from ..lua.deadline import Deadline

                    deadline = Deadline.after(timeout)
                context = CallContext(
                    account=resolved.account, deadline=deadline, notify=self.notify
                )
                data = self.invoke(resolved, context=context)
        except LuagateError as e:
            error = e
        except Exception as e:  # a bug must still produce an envelope
            error = InternalError(f"{function} failed inside luagate ({type(e).__name__})")
        duration_ms = (time.perf_counter() - started) * 1000
        name = spec.full_name if spec else function
        self.record(name, resolved, duration_ms, error, dry_run)
        return {
            "function": name,
            "success": error is None,
            "data": data,
            "error": None if error is None else error.to_dict(),
            "meta": {
                "account": resolved.account if resolved else account,
                "operation": spec.kind if spec else None,
                "dry_run": dry_run,
                "permission_bypassed": bool(resolved and resolved.permission_bypassed),
                **(context.meta() if context else {"rate_limited_ms": 0.0, "requests": 0}),
            },
            "duration_ms": round(duration_ms, 3),
        }

    def credentials_present(self, resolved: Resolved) -> None:
        """For a dry run: would the account have what it needs? (Nothing is decrypted.)"""
        if self.is_demo(resolved.provider, resolved.account):
            return
        stored = self.store.stored_fields(resolved.provider, resolved.account)
        self.store.check_plain_secrets(resolved.provider, resolved.account)
        for group in resolved.provider.credential_sets:
            if all(stored.get(name) for name in group):
                return
        raise NotConfiguredError(
            _configure_hint(
                resolved.provider, resolved.account, "is missing credentials", have=set(stored)
            )
        )

    def record(
        self,
        function: str,
        resolved: Resolved | None,
        duration_ms: float,
        error: LuagateError | None,
        dry_run: bool = False,
    ) -> None:
        self.audit.record(
            function=function,
            account=resolved.account if resolved else None,
            kind=resolved.function.kind if resolved else None,
            duration_ms=round(duration_ms, 3),
            outcome="ok" if error is None else error.type,
            dry_run=dry_run,
            permission_bypassed=bool(resolved and resolved.permission_bypassed),
            surface=self.surface,
        )

    # -- Lua ----------------------------------------------------------------------------------

    def run_lua(
        self,
        code: str | bytes,
        *,
        limits: Limits | None = None,
        isolated: bool = True,
        force: bool = False,
        on_output: Callable[[str], None] | None = None,
        cancel: Cancel | None = None,
    ) -> Execution:
        """Run a script whose ``app.integrations`` and ``docs`` are this gateway's. ``cancel``
        (isolated runs only) lets another thread stop it: its worker is killed at once.

        ``limits`` is a :class:`~luagate.lua.limits.Limits`, a dict of limits, or None (the
        defaults). A wrong Python type for ``code``, ``limits``, ``isolated``, ``force``,
        ``on_output`` or ``cancel`` raises ``TypeError`` before anything runs; an exception
        from ``on_output`` stops the script and is re-raised from here as it was."""
        from .. import default_executor
        from .lua_host import GatewayHost

        _require_bool("Gateway.run_lua", "isolated", isolated)
        _require_bool("Gateway.run_lua", "force", force)
        if cancel is not None:
            from ..lua.isolated import Cancel

            if not isinstance(cancel, Cancel):
                raise TypeError(
                    "Gateway.run_lua: cancel must be a luagate.Cancel or None, "
                    f"got {_given(cancel)}"
                )
        self._follow()  # the script sees the accounts and providers as they are now
        host = GatewayHost(self, force=force)
        if cancel is None:
            return default_executor(isolated).run(code, host, limits, on_output)
        if not isolated:
            raise ValueError("only an isolated run can be cancelled")
        return default_executor(True).run(code, host, limits, on_output, cancel)


def _given(value: Any) -> str:
    from ..lua.run import given  # only when there is an error to report

    return given(value)


def _require_bool(where: str, name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be True or False, got {_given(value)}")


def _check_timeout(timeout: Any) -> None:
    """``Gateway.call``'s timeout: None (no limit) or a number of seconds above 0, as
    ``luagate call --timeout`` takes it."""
    if timeout is None:
        return
    expected = "a number of seconds above 0, or None for no limit"
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise TypeError(f"Gateway.call: timeout must be {expected}, got {_given(timeout)}")
    if not 0 < timeout < float("inf"):  # nan too
        raise ValueError(f"Gateway.call: timeout must be {expected}, got {_given(timeout)}")


def _suggest(
    message: str,
    name: str,
    names: list[str],
    label: str,
    *,
    prefix: str = "",
    tail: str | None = None,
) -> str:
    close = close_matches(name, names, n=3, cutoff=0.5)
    if close:
        message += " Did you mean: " + ", ".join(prefix + c for c in close) + "?"
    if tail is not None:
        return message + tail
    return message + f" {label}: " + (", ".join(names) if names else "none") + "."


def _configure_hint(
    provider: ProviderSpec, account: str, problem: str, have: set[str] | None = None
) -> str:
    """What is wrong with an account, and the exact command that fixes it."""
    group = provider.credential_sets[0]
    if have:
        # the alternative the account is closest to completing
        group = max(provider.credential_sets, key=lambda g: len(have & set(g)))
    missing = [n for n in group if n not in (have or set())]
    subject = (
        f"{provider.name} {problem}"
        if account == "default" and not have
        else (f"{provider.name} account {account!r} {problem}")
    )
    needs = " (needs " + ", ".join(missing) + ")" if have is not None else ""
    # only what is missing: re-setting a stored secret would replace it
    return f"{subject}{needs}. " + _fix(provider, account, missing or group, "Run")


def _fix(provider: ProviderSpec, account: str, fields: Iterable[str], verb: str) -> str:
    command = configure_command(provider, account, fields)
    return (
        f"{verb}: {command}  — secrets can also come from stdin: "
        f"luagate configure {provider.name} --account {account} --stdin-json"
    )


def configure_command(provider: ProviderSpec, account: str, fields: Iterable[str]) -> str:
    """The exact command that stores ``fields``: secrets as ``env:`` references, so that no
    secret has to be typed into a command line."""
    parts = [f"luagate configure {provider.name}", f"--account {account}"]
    for name in fields:
        field = provider.credential(name)
        if field is not None and field.secret:
            parts.append(f"--set {name}=env:{provider.name.upper()}_{name.upper()}")
        else:
            parts.append(f"--set {name}=<{name}>")
    return " ".join(parts)
