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
