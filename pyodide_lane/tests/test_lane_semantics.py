"""Self-tests of the lane's Durable Object semantics (the local runtime's rules, see
pyodide_lane/harness/durable_objects.mjs), through the proof Worker's PairDO."""

from __future__ import annotations

import asyncio


def pairs(edge):
    return edge.env_of("grove-conversion-proof").PAIRS


async def test_events_interleave_at_external_io(edge):
    stub = pairs(edge).getByName("gate-io")
    first, second = await asyncio.gather(stub.trace("a", "io"), stub.trace("b", "io"))
    assert second == ["a:start", "b:start", "a:end", "b:end"]


async def test_events_do_not_interleave_at_storage(edge):
    stub = pairs(edge).getByName("gate-storage")
    first, second = await asyncio.gather(stub.trace("a", "storage"), stub.trace("b", "storage"))
    assert second == ["a:start", "a:end", "b:start", "b:end"]


async def test_one_instance_per_id_and_deterministic_ids(edge):
    ns = pairs(edge)
    assert ns.idFromName("x").toString() == ns.idFromName("x").toString()
    assert ns.idFromName("x").toString() != ns.idFromName("y").toString()
    await ns.getByName("same").trace("a", "storage")
    assert await ns.getByName("same").trace("b", "storage") == ["a:start", "a:end", "b:start", "b:end"]
