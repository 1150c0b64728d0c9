"""The harness reports each request's Worker time as ``elapsed_ms`` (``harness/lane.mjs``), the
figure ``bench/pyodide_requests.py`` compares between Workers: every reply carries it, and it is
positive and no longer than the client waited for the reply."""

from __future__ import annotations

import time

import grove_lane
from pyodide.ffi import to_js


async def test_each_reply_carries_the_workers_own_time(edge):
    started = time.perf_counter()
    reply = await grove_lane.fetch(edge.main, "GET", edge.url("nobody", "/"), to_js([]), None)
    waited_ms = (time.perf_counter() - started) * 1000
    assert int(reply.status) == 404  # no such tenant: the app answered
    assert 0 < float(reply.elapsed_ms) <= waited_ms + 1  # same clock (performance.now), 1 ms slack
