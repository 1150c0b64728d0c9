"""The CPython implementation of the scenario contract (``scenario_contract.py``).

``edge`` is the repository's Workers on the local runtime (``grove_dev.platform.start_platform``)
with a simulated clock and a fresh state directory per test, driven the way the Pyodide lane
drives its Workers: ``Default.fetch`` and ``scheduled`` called directly, no HTTP server between.
The Pyodide implementation lives in ``pyodide_lane/harness/py/_lane_edge.py``; the Pyodide lane
runs these same files with ``--noconftest``. Scenario file names must be unique across
``tests/`` (no ``__init__.py`` files: pytest imports test modules by basename).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from scenario_contract import (
    CAPABILITY_REASONS,
    TEST_SECRETS,
    EdgeResponse,
    WorkerThrew,
    headers_dict,
)

from grove_dev.platform import Platform, start_platform
from local_runtime.clock import SimulatedClock
from workers import Request


class CPythonEdge:
    lane = "cpython"
    capabilities = frozenset({"simulated_clock", "queues"})

    def __init__(self, platform: Platform, clock: SimulatedClock) -> None:
        self.platform = platform
        self.runtime = platform.runtime
        self.clock = clock
        self.root_domain = self.runtime.worker().env.ROOT_DOMAIN

    def url(self, tenant: str, path: str = "/") -> str:
        return f"https://{tenant}.{self.root_domain}{path}"

    def now_ms(self) -> int:
        return self.clock.now_ms()

    async def settle(self) -> None:
        # Alarms due now fire when the simulated clock is told to run them.
        await self.runtime.advance(0)

    @property
    def env(self) -> Any:
        return self.runtime.worker().env

    def env_of(self, worker: str) -> Any:
        return self.runtime.worker(worker).env

    def require(self, capability: str) -> None:
        if capability not in self.capabilities:
            pytest.skip(CAPABILITY_REASONS[capability])

    async def fetch(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        worker: str | None = None,
    ) -> EdgeResponse:
        init: dict[str, Any] = {"method": method, "headers": dict(headers or {})}
        if body is not None:
            init["body"] = body
        try:
            response = await self.runtime.fetch(Request(url, **init), worker=worker)
        except Exception as exc:
            raise WorkerThrew(f"{type(exc).__name__}: {exc}") from exc
        return EdgeResponse(response.status, headers_dict(response.headers.items()), await response.bytes())

    async def scheduled(self, cron: str, worker: str | None = None) -> Any:
        return await self.runtime.scheduled(cron, worker=worker)

    async def do_sql(self, binding: str, name: str, sql: str, worker: str | None = None) -> list[dict[str, Any]]:
        namespace = getattr(self.runtime.worker(worker).env, binding)
        instance = await namespace.instance_for_test(namespace.get(namespace.idFromName(name)))
        return [dict(row) for row in instance.ctx.storage.sql.exec(sql)]

    async def drain(self) -> None:
        await self.runtime.drain()

    async def advance(self, ms: int) -> None:
        await self.runtime.advance(ms)


@pytest.fixture
def edge(tmp_path) -> Iterator[CPythonEdge]:
    clock = SimulatedClock()
    # The top-level environment, as `wrangler deploy` (and the Pyodide lane) use it.
    platform = start_platform(tmp_path / "state", clock=clock, env_name=None, secrets=TEST_SECRETS)
    yield CPythonEdge(platform, clock)
    platform.runtime.close()
