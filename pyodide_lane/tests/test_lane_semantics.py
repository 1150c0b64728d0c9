"""Self-tests of the lane's Durable Object semantics (the local runtime's rules, see
pyodide_lane/harness/durable_objects.mjs), through the proof Worker's PairDO.

The input gate follows workerd (local_runtime/gates.py states the rule): it is closed only while
a storage operation is outstanding and while a critical section (blockConcurrencyWhile,
storage.transaction) runs. An event does not hold it for its whole duration. The tests after
the first three mirror the input-gate tests of tests/runtime/test_durable_objects.py.
"""

from __future__ import annotations

import asyncio

import pytest


def pairs(edge):
    return edge.env_of("grove-conversion-proof").PAIRS


async def test_events_interleave_at_external_io(edge):
    stub = pairs(edge).getByName("gate-io")
    first, second = await asyncio.gather(stub.trace("a", "io"), stub.trace("b", "io"))
    assert second == ["a:start", "b:start", "a:end", "b:end"]


async def test_events_do_not_interleave_at_storage(edge):
    # A storage await keeps the gate shut until the caller has resumed.
    stub = pairs(edge).getByName("gate-storage")
    first, second = await asyncio.gather(stub.trace("a", "storage"), stub.trace("b", "storage"))
    assert second == ["a:start", "a:end", "b:start", "b:end"]


async def test_one_instance_per_id_and_deterministic_ids(edge):
    ns = pairs(edge)
    assert ns.idFromName("x").toString() == ns.idFromName("x").toString()
    assert ns.idFromName("x").toString() != ns.idFromName("y").toString()
    await ns.getByName("same").trace("a", "storage")
    assert await ns.getByName("same").trace("b", "storage") == ["a:start", "a:end", "b:start", "b:end"]


async def test_an_event_awaiting_a_future_another_event_resolves_completes(edge):
    # The follower awaits a future the leader resolves after its own (non-storage) I/O: the
    # leader's I/O completion must get back in while the follower is suspended. (With a gate
    # held for a whole event, the two deadlock.)
    stub = pairs(edge).getByName("waiters")
    results = await asyncio.wait_for(asyncio.gather(stub.leader(), stub.follower()), timeout=10)
    assert results == ["leader", "done"]
    # Delivered the other way round too.
    stub = pairs(edge).getByName("waiters-2")
    results = await asyncio.wait_for(asyncio.gather(stub.follower(), stub.leader()), timeout=10)
    assert results == ["done", "leader"]


@pytest.mark.parametrize("how", ["sleep", "future"])
async def test_any_non_storage_await_lets_another_event_in(edge, how):
    # asyncio.sleep(0) (a timer in Pyodide) or a future is a point where a second event may be
    # delivered: the gate is shut only by storage and critical sections.
    stub = pairs(edge).getByName(f"pauser-{how}")
    await asyncio.gather(stub.pause("a", how), stub.pause("b", how))
    log = await stub.get_log()
    assert log.index("b:start") < log.index("a:end"), log


async def test_tight_storage_read_modify_write_loops_never_interleave(edge):
    # After an I/O point, the four events meet (a future the last one resolves: each woken event
    # must stay itself for the storage rule, not become the one that woke it), then loop.
    stub = pairs(edge).getByName("tally")
    rounds = 25
    await asyncio.gather(
        stub.tally("a", rounds, 4),
        stub.tally("b", rounds, 4),
        stub.tally("c", rounds, 4),
        stub.spin(rounds, 4),
    )
    assert await stub.count() == 3 * rounds  # no lost update
    steps = await stub.get_steps()
    reads = [i for i, entry in enumerate(steps) if entry.endswith(":read")]
    assert len(reads) == 3 * rounds
    for i in reads:
        # Between a read and its write (two storage awaits) nothing else ran.
        assert steps[i + 1] == steps[i].replace(":read", ":write"), steps[i - 2 : i + 3]
    # ...while between iterations the events did interleave (the test is not vacuous).
    first_a = steps.index("a:read")
    last_a = len(steps) - 1 - steps[::-1].index("a:write")
    assert {"b:read", "c:read", "spin"} <= set(steps[first_a:last_a]), steps


async def test_block_concurrency_while_blocks_even_across_io(edge):
    stub = pairs(edge).getByName("exclusive")
    await asyncio.gather(stub.exclusive("a"), stub.quick("b"))
    log = await stub.get_log()
    # The callback ran alone, across its two I/O awaits: neither "b" nor the completion of the
    # calling event's own I/O got in (workerd: a critical section blocks its parent scope).
    assert log[:2] == ["a:block-start", "a:block-end"], log
    assert sorted(log[2:]) == ["a:own-io-done", "b:quick"], log


async def test_block_concurrency_while_holds_other_events_io_completions(edge):
    stub = pairs(edge).getByName("held")
    # "a" is mid-I/O when "b" starts a critical section; a's I/O completes inside it.
    await asyncio.gather(stub.slow_io("a"), stub.slow_block("b"))
    assert await stub.get_log() == ["a:start", "b:block-start", "b:block-end", "a:end"]


async def test_block_concurrency_while_sections_take_turns(edge):
    stub = pairs(edge).getByName("turns")
    await stub.two_blocks()
    assert await stub.get_log() == ["first:start", "first:end", "second:start", "second:end"]


async def test_failing_block_concurrency_while_resets_the_object(edge):
    stub = pairs(edge).getByName("broken")
    await stub.quick("before")
    assert await stub.get_log() == ["before:quick"]
    with pytest.raises(Exception, match="load failed"):
        await stub.failing_block()
    assert await stub.get_log() == []  # the next event went to a new instance


@pytest.mark.parametrize("fail", [False, True])
async def test_storage_transaction_is_a_critical_section(edge, fail):
    stub = pairs(edge).getByName(f"txn-{fail}")
    await asyncio.gather(stub.txn(fail), stub.other_write())
    log = await stub.get_log()
    # The other event waited for the whole transaction, I/O included...
    assert log[:2] == ["txn:start", "txn:end"] and "other" in log[2:], log
    assert ("txn:rolled-back" in log) == fail, log
    # ...so its write never sat in the transaction's savepoint, even when that rolled back.
    assert await stub.read("other") == 1
    assert await stub.read("k") == (None if fail else "from txn")


async def test_a_durable_object_runs_in_another_isolate_than_its_caller(edge):
    # Production never runs an object in its caller's isolate: module state is not shared.
    first = (await edge.fetch("GET", "https://proof.example/isolate", worker="grove-conversion-proof")).json()
    again = (await edge.fetch("GET", "https://proof.example/isolate", worker="grove-conversion-proof")).json()
    assert first["ok"] and again["ok"]
    assert first["value"]["worker"] != first["value"]["object"]
    assert again["value"]["object"] == first["value"]["object"]  # one isolate holds the objects
