"""The operator's limits for one script execution.

Limits are set by whoever runs luagate (flags, config, the Python API). A script has no way to read
or change them; an agent may ask for *lower* limits through :meth:`Limits.narrowed`, never higher.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from ..errors import UsageError

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Hard limits for one execution. Every field is a ceiling, checked by the sandbox."""

    timeout_s: float = 30.0
    """Wall-clock seconds for the whole execution, host calls included."""
    memory_bytes: int = 64 * MIB
    """Memory the script's Lua state may allocate."""
    output_bytes: int = 1 * MIB
    """Bytes of printed output kept; past this the output is truncated and the script stopped."""
    max_calls: int = 1000
    """Host calls (``app.*``) one execution may make."""
    value_bytes: int = 8 * MIB
    """Size of one value crossing the bridge (call arguments, JSON text, the returned result)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UsageError(f"limit {f.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise UsageError(f"limit {f.name} must be a positive number, got {value!r}")
        if self.memory_bytes < 1 * MIB:
            raise UsageError(f"limit memory_bytes must be at least 1 MiB, got {self.memory_bytes}")

    def narrowed(self, **requested: float | int | None) -> Limits:
        """These limits lowered by a request; a request above a ceiling keeps the ceiling.

        Used where an agent may choose its own limits: it can only ask for less.
        """
        unknown = set(requested) - {f.name for f in fields(self)}
        if unknown:
            raise UsageError(f"unknown limit {sorted(unknown)[0]!r}; known: "
                             + ", ".join(f.name for f in fields(self)))
        changes = {
            name: min(getattr(self, name), type(getattr(self, name))(value))
            for name, value in requested.items()
            if value is not None
        }
        return replace(self, **changes)

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float | int]) -> Limits:
        return cls(**data)
