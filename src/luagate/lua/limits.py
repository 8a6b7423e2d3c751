"""The operator's limits for one script execution.

Limits are set by whoever runs luagate (flags, config, the Python API). A script has no way to read
or change them; an agent may ask for *lower* limits through :meth:`Limits.narrowed`, never higher.
"""

from __future__ import annotations

import math

from ..errors import UsageError

TYPE_CHECKING = False  # typing is not imported at run time: start-up is measured
if TYPE_CHECKING:
    from typing import Any


MIB = 1024 * 1024

DEFAULTS: dict[str, float | int] = {
    "timeout_s": 30.0,  # wall-clock seconds for the whole execution, host calls included
    "memory_bytes": 64 * MIB,  # memory the script's Lua state may allocate
    "output_bytes": 1 * MIB,  # printed output kept; then truncated with a marker, script stopped
    "max_calls": 1000,  # host calls (app.*) one execution may make
    "value_bytes": 8 * MIB,  # one value crossing the bridge: arguments, JSON text, the result
}

MAXIMA: dict[str, float | int] = {
    "timeout_s": 7 * 24 * 3600.0,  # a week
    "memory_bytes": 1024**4,  # 1 TiB
    "output_bytes": 1024**3,  # 1 GiB (kept in memory)
    "max_calls": 10_000_000,
    "value_bytes": 256 * MIB,  # frames between the processes are up to 8x this
}
"""The largest value each limit accepts: beyond these a number means a mistake (``inf``,
``1e13`` MiB), not a wish, and would overflow what enforces it (clocks, rlimits, allocators)."""


class Limits:
    """Hard limits for one execution. Every field is a ceiling, checked by the sandbox."""

    __slots__ = tuple(DEFAULTS)

    timeout_s: float
    memory_bytes: int
    output_bytes: int
    max_calls: int
    value_bytes: int

    def __init__(self, **values: float | int) -> None:
        unknown = set(values) - set(DEFAULTS)
        if unknown:
            raise UsageError(f"unknown limit {sorted(unknown)[0]!r}; known: {', '.join(DEFAULTS)}")
        for name, default in DEFAULTS.items():
            value = values.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UsageError(f"limit {name} must be a number, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise UsageError(f"limit {name} must be a positive number, got {value!r}")
            if value > MAXIMA[name]:
                raise UsageError(f"limit {name} must be at most {MAXIMA[name]:g}, got {value:g}")
            object.__setattr__(self, name, type(default)(value))
        if self.memory_bytes < MIB:
            raise UsageError(f"limit memory_bytes must be at least 1 MiB, got {self.memory_bytes}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Limits are read-only; use narrowed()")

    def narrowed(self, **requested: float | int | None) -> Limits:
        """These limits lowered by a request; a request above a ceiling keeps the ceiling.

        Used where an agent may choose its own limits: it can only ask for less. Any positive
        number is a fair request — one above the ceiling, however large (``inf`` too), keeps
        the ceiling; what is not a positive number (``0``, ``-1``, ``nan``, ``"5"``) is refused.
        """
        unknown = set(requested) - set(DEFAULTS)
        if unknown:
            raise UsageError(f"unknown limit {sorted(unknown)[0]!r}; known: {', '.join(DEFAULTS)}")
        merged = self.to_dict()
        for name, value in requested.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UsageError(f"limit {name} must be a number, got {value!r}")
            if not value > 0:  # nan too
                raise UsageError(f"limit {name} must be a positive number, got {value!r}")
            if value < merged[name]:
                merged[name] = value
        return Limits(**merged)

    def to_dict(self) -> dict[str, float | int]:
        return {name: getattr(self, name) for name in DEFAULTS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Limits:
        return cls(**data)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Limits) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.to_dict().values()))

    def __repr__(self) -> str:
        return "Limits(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"
