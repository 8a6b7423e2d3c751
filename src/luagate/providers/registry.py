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


_modules: dict[tuple[str, str], Any] = {}


def _part(name: str, part: str) -> Any:
    """``luagate.providers.<name>.<part>``, or None if the provider has no such module (looked
    up once: the gateway asks on every call)."""
    key = (name, part)
    if key not in _modules:
        try:
            _modules[key] = importlib.import_module(f"luagate.providers.{name}.{part}")
        except ModuleNotFoundError as e:
            if e.name not in (f"luagate.providers.{name}.{part}", f"luagate.providers.{name}"):
                raise
            _modules[key] = None
    return _modules[key]


def provider_client(name: str) -> object | None:
    """The provider's client (``luagate.providers.<name>.client.CLIENT``), if this build has one."""
    module = _part(name, "client")
    return None if module is None else module.CLIENT


def demo_account(name: str) -> dict[str, str] | None:
    """Credentials of the provider's ``demo`` account, served by its simulator in-process
    (``luagate.providers.<name>.demo.CREDENTIALS``), if the provider has one."""
    module = _part(name, "demo")
    return None if module is None else dict(module.CREDENTIALS)


def provider_checks(name: str) -> Callable[[str, dict[str, Any]], None] | None:
    """The provider's own checks of a validated call (``luagate.providers.<name>.checks.check``:
    what its API refuses beyond the spec, e.g. a contact without a phone number), if it has
    any. Light modules: a dry run runs them, so that it agrees with a real call."""
    module = _part(name, "checks")
    return None if module is None else module.check


def provider_account_check(name: str) -> Callable[..., None] | None:
    """``check_account_field(field, value, account)`` of the provider's checks module: what a
    value must be before ``luagate configure`` stores it (raises NotConfiguredError)."""
    return getattr(_part(name, "checks"), "check_account_field", None)
