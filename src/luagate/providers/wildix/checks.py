"""What a Wildix account or call must satisfy before anything is sent (a light module: no HTTP
client, so ``luagate configure`` and dry runs can use it)."""

from __future__ import annotations

from ...http.account_settings import check_base_url, check_setting

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def check(function: str, args: dict[str, Any]) -> None:
    """Calls: the spec's validation and the client's own checks say everything (nothing more)."""


def check_account_field(field: str, value: str, account: str | None = None) -> None:
    """A value about to be stored in an account: ``pbx_url`` must name a PBX (a bare name, or
    an http(s) URL), the shared HTTP settings must parse. Raises NotConfiguredError."""
    if field == "pbx_url":
        from .client import pbx_origin

        check_base_url("wildix", pbx_origin(value), field="pbx_url", account=account)
    else:
        check_setting("wildix", field, value, account)
