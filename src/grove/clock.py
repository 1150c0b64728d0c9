"""The application's one clock: every timestamp the app writes or compares comes from here.

Production reads wall time (workerd freezes it during a request's synchronous work, which is
fine for us). The local runtime installs its own clock, real or simulated, with ``use()``, so
tests and benchmarks can move time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

_source: Callable[[], int] = lambda: int(time.time() * 1000)  # noqa: E731


def now_ms() -> int:
    """Milliseconds since the Unix epoch."""
    return _source()


def use(source: Callable[[], int]) -> None:
    """Read time from ``source`` from now on (the local runtime's clock)."""
    global _source
    _source = source
