"""The real ``luagate`` entry point in a subprocess, with its own home and none of the caller's
``LUAGATE_*`` settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def luagate(home: Path | str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LUAGATE_")}
    env["LUAGATE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "luagate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
