"""The one injectable clock of the local runtime.

Every time-dependent thing (KV expiry, Cache API freshness, DO alarms, cron triggers, the
latency model and the application's own timestamps) reads a ``Clock``. ``RealClock`` is wall
time for `grove dev`; ``SimulatedClock`` moves only when told to, so tests and benchmarks run
hours of simulated time in milliseconds. Timers (alarms, crons) are fired by
``local_runtime.scheduler``, which advances a simulated clock timer by timer.
"""

from __future__ import annotations

import time
from typing import Protocol

# 2026-01-01T00:00:00Z: a fixed, realistic start so simulated runs are reproducible.
DEFAULT_SIMULATED_START_MS = 1_767_225_600_000


class Clock(Protocol):
    simulated: bool

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class RealClock:
    """Wall-clock time."""

    simulated = False

    def now_ms(self) -> int:
        return int(time.time() * 1000)


class SimulatedClock:
    """Time that moves only through ``set`` / ``advance`` (never backwards)."""

    simulated = True

    def __init__(self, start_ms: int = DEFAULT_SIMULATED_START_MS) -> None:
        self._now_ms = int(start_ms)

    def now_ms(self) -> int:
        return self._now_ms

    def set(self, now_ms: int) -> None:
        if now_ms < self._now_ms:
            raise ValueError(f"a simulated clock never goes backwards ({now_ms} < {self._now_ms})")
        self._now_ms = int(now_ms)

    def advance(self, ms: float) -> None:
        self.set(self._now_ms + int(ms))
