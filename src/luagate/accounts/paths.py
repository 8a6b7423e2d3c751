"""Where luagate keeps its files: ``$LUAGATE_HOME``, else the user's config directory."""

from __future__ import annotations

import os
from pathlib import Path


def luagate_home(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("LUAGATE_HOME"):
        return Path(env["LUAGATE_HOME"]).expanduser()
    base = env.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "luagate"
