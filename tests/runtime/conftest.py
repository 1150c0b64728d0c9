"""Fixtures for the binding contract tests: one RuntimeServices on the simulated clock."""

from __future__ import annotations

import pytest

from local_runtime.clock import SimulatedClock
from local_runtime.services import RuntimeServices


@pytest.fixture
def services(tmp_path, clock: SimulatedClock) -> RuntimeServices:
    return RuntimeServices(state_dir=tmp_path / "state", clock=clock)
