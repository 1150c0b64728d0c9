"""The latency model's request timeline: calls on one task add up; calls a request sends
together (``asyncio.gather``) overlap, and the request waits for the slowest."""

from __future__ import annotations

import asyncio

import pytest

from local_runtime.bindings.kv import KVNamespace
from local_runtime.latency import LatencyProfile, RequestTrace, current_trace
from local_runtime.services import RuntimeServices

# LatencyProfile's defaults: a KV write 30 ms, a KV read of a key this location holds 1 ms.
WRITE_MS, HOT_READ_MS = 30.0, 1.0


@pytest.fixture
def kv(tmp_path, clock):
    services = RuntimeServices(state_dir=tmp_path / "s", clock=clock, latency=LatencyProfile())
    namespace = KVNamespace(services, "KV", "timeline")
    yield namespace
    namespace.close()


async def _traced(work) -> RequestTrace:
    """Run ``work`` as one request's task, as ``LocalRuntime.fetch`` does."""
    trace = RequestTrace()

    async def request() -> None:
        token, timeline = current_trace.set(trace), trace.begin()
        try:
            await work()
        finally:
            RequestTrace.finish(timeline)
            current_trace.reset(token)

    await asyncio.get_running_loop().create_task(request())
    return trace


async def test_calls_one_after_another_add_up(kv):
    async def work() -> None:
        await kv.put("a", "1")
        await kv.put("b", "2")
        await kv.get("a")

    trace = await _traced(work)
    assert trace.modelled_ms == 2 * WRITE_MS + HOT_READ_MS
    assert trace.ops == {"kv_write": 2, "kv_read_hit": 1}


async def test_calls_sent_together_cost_the_slowest_then_the_request_goes_on(kv):
    async def work() -> None:
        await kv.put("a", "1")
        await asyncio.gather(kv.put("b", "2"), kv.get("a"), kv.put("c", "3"))
        await kv.get("b")

    trace = await _traced(work)
    assert trace.modelled_ms == WRITE_MS + WRITE_MS + HOT_READ_MS
    assert trace.ops == {"kv_write": 3, "kv_read_hit": 2}


async def test_a_branch_of_several_calls_is_as_long_as_its_chain(kv):
    async def two_writes() -> None:
        await kv.put("a", "1")
        await kv.put("b", "2")

    async def work() -> None:
        await asyncio.gather(two_writes(), kv.put("c", "3"), kv.put("d", "4"))

    trace = await _traced(work)
    assert trace.modelled_ms == 2 * WRITE_MS


async def test_nested_forks_join_into_their_branch(kv):
    async def branch() -> None:
        await kv.put("a", "1")
        await asyncio.gather(kv.put("b", "2"), kv.put("c", "3"))
        await kv.get("a")

    async def work() -> None:
        await asyncio.gather(branch(), kv.put("d", "4"))
        await kv.get("d")

    trace = await _traced(work)
    assert trace.modelled_ms == 2 * WRITE_MS + HOT_READ_MS + HOT_READ_MS


async def test_a_trace_set_outside_a_request_sums_its_calls(kv):
    trace = RequestTrace()
    token = current_trace.set(trace)
    try:
        await kv.put("a", "1")
        await kv.get("a")
    finally:
        current_trace.reset(token)
    assert trace.modelled_ms == WRITE_MS + HOT_READ_MS
