"""What every local binding shares: the clock, the counters, the latency model, the state dir.

Bindings never read time, count operations or open files on their own: they go through one
``RuntimeServices`` so that a test or benchmark controls all of it in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from local_runtime.clock import Clock, SimulatedClock
from local_runtime.faults import Faults
from local_runtime.gates import ExternalIo, external_io
from local_runtime.latency import LatencyProfile, current_trace
from local_runtime.stats import Stats


@dataclass
class RuntimeServices:
    state_dir: Path
    clock: Clock = field(default_factory=SimulatedClock)
    stats: Stats = field(default_factory=Stats)
    # None: no modelled latency (the default for tests); a profile: benchmarks.
    latency: LatencyProfile | None = None
    # Failures tests inject at named points (local_runtime/faults.py).
    faults: Faults = field(default_factory=Faults)
    # The data centre the next requests are served in. The Cache API and KV's cached reads are
    # per location; "" is the one location of a plain run. Tests and benchmarks switch it to
    # simulate several (``LocalRuntime.location``).
    location: str = ""

    def __post_init__(self) -> None:
        self.state_dir = Path(self.state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)

    def path(self, *parts: str) -> Path:
        """A file path under the state dir, creating its parent folder."""
        p = self.state_dir.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def io(self) -> ExternalIo:
        """``async with services.io():`` around one non-storage I/O operation of a binding (see
        ``gates.ExternalIo``); an armed fault point for I/O fires here."""
        self.faults.at_io()
        return external_io()

    def model(self, op: str) -> None:
        """Charge the modelled latency of ``op`` (e.g. ``"d1_query"``) to the current request."""
        if self.latency is None:
            return
        ms = self.latency.for_op(op)
        trace = current_trace.get()
        if trace is not None:
            trace.add(op, ms)
        if isinstance(self.clock, SimulatedClock) and ms:
            self.clock.advance(ms)
