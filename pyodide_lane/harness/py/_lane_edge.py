"""The Pyodide implementation of the scenario contract (``tests/scenarios/scenario_contract.py``).

Runs in the lane's client interpreter (the one running pytest). The Workers live in their own
interpreters; this side reaches them only through the ``grove_lane`` JS module the harness
registers, the way a client reaches a deployment: requests in, responses out. ``env`` is the
Worker's JS env wrapped by the real SDK, so direct binding access converts values exactly as
app code's does.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import grove_lane
import pytest
from pyodide.ffi import jsnull
from workers.rpc import _EnvWrapper

from workers import python_from_rpc


def _contract() -> Any:
    """tests/scenarios/scenario_contract.py (pytest puts its folder on sys.path when it collects
    a scenario; lane-only tests may run without any)."""
    try:
        import scenario_contract
    except ModuleNotFoundError:
        sys.path.append(os.path.join(os.getcwd(), "tests", "scenarios"))
        import scenario_contract
    return scenario_contract


class PyodideEdge:
    lane = "pyodide"
    capabilities = frozenset()

    def __init__(self) -> None:
        info = grove_lane.info.to_py()
        self.main = info["main"]
        self.root_domain = info["rootDomain"]
        self.workers = info["workers"]
        self.modules = info["modules"]

    def url(self, tenant: str, path: str = "/") -> str:
        return f"https://{tenant}.{self.root_domain}{path}"

    def now_ms(self) -> int:
        # miniflare runs on workerd's real clock, the same wall clock as this process.
        return int(time.time() * 1000)

    async def settle(self) -> None:
        # Alarms due now fire on workerd's own timer: give them a moment, then wait for
        # the work they started.
        await asyncio.sleep(0.05)
        await self.drain()

    @property
    def env(self) -> Any:
        return _EnvWrapper(grove_lane.env(self.main))

    def env_of(self, worker: str) -> Any:
        return _EnvWrapper(grove_lane.env(worker))

    def require(self, capability: str) -> None:
        if capability not in self.capabilities:
            pytest.skip(_contract().CAPABILITY_REASONS[capability])

    async def fetch(
        self,
        method: str,
        url: str,
        headers: dict[str, str] | None = None,
        body: bytes | str | None = None,
        worker: str | None = None,
    ) -> Any:
        c = _contract()
        if isinstance(body, str):
            body = body.encode("utf-8")
        from pyodide.ffi import to_js

        js_headers = to_js([[k, v] for k, v in (headers or {}).items()])
        js_body = to_js(body) if body is not None else None
        reply = await grove_lane.fetch(worker or self.main, method, url, js_headers, js_body)
        if reply.error not in (None, jsnull):
            raise c.WorkerThrew(reply.error)
        return c.EdgeResponse(
            int(reply.status), c.headers_dict(reply.headers.to_py()), bytes(reply.body.to_bytes())
        )

    async def scheduled(self, cron: str, worker: str | None = None) -> Any:
        return python_from_rpc(await grove_lane.scheduled(worker, cron))

    async def do_sql(self, binding: str, name: str, sql: str, worker: str | None = None) -> list[dict[str, Any]]:
        rows = await grove_lane.doSql(worker or self.main, binding, name, sql)
        return [dict(r) for r in python_from_rpc(rows)]

    async def drain(self) -> None:
        await grove_lane.drain()

    async def advance(self, ms: int) -> None:
        self.require("simulated_clock")
