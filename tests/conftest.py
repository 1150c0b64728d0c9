"""Shared fixtures: the repository's Workers on the local runtime, with a simulated clock.

Everything runs for real: SQLite files under pytest's tmp_path, the app imported as workerd
imports it, requests through the same ASGI server `grove dev` uses.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

import local_runtime  # noqa: F401  (puts the local `workers` SDK on sys.path)
from grove_dev.platform import Platform, start_platform
from local_runtime.clock import SimulatedClock
from local_runtime.server import LocalServer

TEST_SECRETS = {"JWT_SECRET": "test-secret-not-for-production"}


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def platform(tmp_path, clock) -> Platform:
    p = start_platform(tmp_path / "state", clock=clock, secrets=TEST_SECRETS)
    yield p
    p.runtime.close()


@pytest.fixture
async def client(platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=LocalServer(platform.runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://autumn.localhost:8787") as c:
        yield c
