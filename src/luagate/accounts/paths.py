"""Where luagate keeps its files: ``$LUAGATE_HOME``, else the user's config directory.

Paths are plain strings (``os.path``): pathlib, with the urllib and ipaddress modules it
imports, is a measurable share of the CLI's start-up.
"""

from __future__ import annotations

import os


def luagate_home(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    if env.get("LUAGATE_HOME"):
        return os.path.expanduser(env["LUAGATE_HOME"])
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "luagate")


HOME_MODE = 0o700
"""luagate's home is created readable and writable by its owner only (``luagate doctor`` warns
when an existing one is not)."""


def not_a_directory(home: str) -> str:
    return (
        f"luagate's home {home} is a file, not a directory: point LUAGATE_HOME at a directory"
        " (it holds config.json and the secret key)"
    )


def ensure_home(home: str) -> None:
    """Create luagate's home (mode 0700) if it does not exist; an existing one is left as it
    is. Fails as a ``secret_store`` error that says what is in the way."""
    from ..errors import SecretStoreError

    try:
        os.makedirs(home, mode=HOME_MODE, exist_ok=True)
    except FileExistsError:  # a file where the directory should be
        raise SecretStoreError(not_a_directory(home)) from None
    except OSError as e:
        raise SecretStoreError(f"cannot create {home}: {e.strerror}") from None
