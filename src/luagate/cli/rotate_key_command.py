"""``luagate rotate-key``: re-encrypt every stored secret under a new key.

With the key in ``$LUAGATE_HOME/secret.key`` a new key is generated (or taken from
``LUAGATE_NEW_SECRET_KEY``) and written there. With the key in ``LUAGATE_SECRET_KEY``, luagate
cannot change the variable: the new key must come from ``LUAGATE_NEW_SECRET_KEY``, and the
variable is then updated by whoever sets it.
"""

from __future__ import annotations

import os

from . import common

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import Any

NEW_KEY_ENV = "LUAGATE_NEW_SECRET_KEY"


def add_parser(commands: Any) -> None:
    p = commands.add_parser(
        "rotate-key",
        help="re-encrypt stored secrets under a new key",
        description="Re-encrypt every stored secret under a new key: generated and written to "
        f"the key file, or taken from {NEW_KEY_ENV} (required when the current key comes "
        "from LUAGATE_SECRET_KEY).",
    )
    p.add_argument("--json", action="store_true", help="print JSON (and nothing else)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..errors import SecretStoreError

    new_key = os.environ.get(NEW_KEY_ENV) or None
    if new_key is not None:
        from ..accounts.secrets import _fernet_module

        try:
            _fernet_module().Fernet(new_key.strip().encode())
        except ValueError:
            raise SecretStoreError(
                f"{NEW_KEY_ENV} is not a valid Fernet key (32 url-safe base64 bytes); nothing "
                "was changed"
            ) from None
        new_key = new_key.strip()
    store = common.build_gateway().store
    from_env = store.secrets.key_from_env
    count = store.rotate_key(new_key)
    result: dict[str, Any] = {
        "reencrypted": count,
        "key": NEW_KEY_ENV if from_env else str(store.secrets.key_path),
    }
    if from_env:
        result["next"] = f"set LUAGATE_SECRET_KEY to the value of {NEW_KEY_ENV}"
    if args.json:
        common.emit_json(result)
        return common.EXIT_OK
    common.out(f"re-encrypted {count} secret{'' if count == 1 else 's'} under a new key")
    if from_env:
        common.out(f"next: {result['next']}; the old key no longer decrypts them")
    else:
        common.out(f"the new key is in {result['key']}")
    return common.EXIT_OK
