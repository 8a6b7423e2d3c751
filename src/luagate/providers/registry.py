"""Which providers exist. Adding a provider is adding a folder and its name here."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from ..catalog.spec import ProviderSpec

PROVIDER_NAMES = ("aircall", "wildix")

_specs: tuple[ProviderSpec, ...] | None = None


def provider_specs() -> tuple[ProviderSpec, ...]:
    """Every provider's spec, in a stable order (loaded once)."""
    global _specs
    if _specs is None:
        _specs = tuple(
            importlib.import_module(f"luagate.providers.{name}.spec").SPEC
            for name in PROVIDER_NAMES
        )
    return _specs


def provider_client(name: str) -> object | None:
    """The provider's client (``luagate.providers.<name>.client.CLIENT``), if this build has one."""
    try:
        module = importlib.import_module(f"luagate.providers.{name}.client")
    except ModuleNotFoundError as e:
        if e.name not in (f"luagate.providers.{name}.client", f"luagate.providers.{name}"):
            raise
        return None
    return module.CLIENT


def demo_account(name: str) -> dict[str, str] | None:
    """Credentials of the provider's ``demo`` account, served by its simulator in-process
    (``luagate.providers.<name>.demo.CREDENTIALS``), if the provider has one."""
    try:
        module = importlib.import_module(f"luagate.providers.{name}.demo")
    except ModuleNotFoundError as e:
        if e.name not in (f"luagate.providers.{name}.demo", f"luagate.providers.{name}"):
            raise
        return None
    return dict(module.CREDENTIALS)


_checks: dict[str, Any] = {}


def _checks_module(name: str) -> Any:
    """``luagate.providers.<name>.checks``, or None (looked up once: every call asks)."""
    if name not in _checks:
        try:
            _checks[name] = importlib.import_module(f"luagate.providers.{name}.checks")
        except ModuleNotFoundError as e:
            if e.name not in (f"luagate.providers.{name}.checks", f"luagate.providers.{name}"):
                raise
            _checks[name] = None
    return _checks[name]


def provider_checks(name: str) -> Callable[[str, dict[str, Any]], None] | None:
    """The provider's own checks of a validated call (``luagate.providers.<name>.checks.check``:
    what its API refuses beyond the spec, e.g. a contact without a phone number), if it has
    any. Light modules: a dry run runs them, so that it agrees with a real call."""
    module = _checks_module(name)
    return None if module is None else module.check


def provider_account_check(name: str) -> Callable[..., None] | None:
    """``check_account_field(field, value, account)`` of the provider's checks module: what a
    value must be before ``luagate configure`` stores it (raises NotConfiguredError)."""
    return getattr(_checks_module(name), "check_account_field", None)
