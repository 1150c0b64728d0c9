"""Durable Objects in the local runtime: ids, the input gate, RPC conversion, alarms,
eviction, blockConcurrencyWhile and stub.fetch, against real SQLite files under tmp_path."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from local_runtime.bindings.durable_objects import DurableObjectNamespace
from local_runtime.clock import SimulatedClock
from local_runtime.conversion import JsException
from local_runtime.scheduler import Scheduler
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices
from workers import DurableObject, Request, Response

# --- Durable Object classes used by the tests ----------------------------------------------------


class CounterDO(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        env.events.append(("construct", "CounterDO"))
        self.memory = "fresh"
        self.profile = {"name": "Ada", "tags": ["x"]}
        ctx.storage.sql.exec(
            "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"
        )

    async def incr(self) -> int:
        value = await self.ctx.storage.get("n") or 0
        await self.ctx.storage.put("n", value + 1)  # an await on storage between read and write
        return value + 1

    async def remember(self, note: str) -> None:
        self.memory = note
        self.ctx.storage.sql.exec("INSERT INTO notes (body) VALUES (?)", note)
        await self.ctx.storage.put("last", {"note": note})

    async def recall(self) -> dict[str, Any]:
        notes = [
            row.body for row in self.ctx.storage.sql.exec("SELECT body FROM notes ORDER BY id")
        ]
        return {"memory": self.memory, "notes": notes, "last": await self.ctx.storage.get("last")}

    def get_profile(self) -> dict[str, Any]:
        return self.profile

    def echo(self, *args: Any) -> list[Any]:
        return list(args)

    def describe(self, value: Any) -> list[str]:
        return [type(value).__name__, str(value)]

    def pair(self) -> tuple[int, int]:
        return (1, 2)

    def fail(self, kind: str) -> None:
        if kind == "value":
            raise ValueError("bad value")
        raise Exception("plain failure")

    def _private(self) -> str:
        return "secret"

    async def call_self(self) -> int:
        # A stub call to this very object: I/O for this event, so no deadlock.
        me = self.env.COUNTER.get(self.ctx.id)
        return await me.incr() + 100

    async def explode(self) -> None:
        self.ctx.abort("reset requested")


class RecorderDO(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.log: list[str] = []

    async def work(self, tag: str, via: str) -> None:
        self.log.append(f"{tag}:start")
        if via == "rpc":
            await self.env.PEER.getByName("peer").ping()
        elif via == "io":
            async with self.env.services.io():
                await asyncio.sleep(0)
        else:
            await self.ctx.storage.put(tag, await self.ctx.storage.get(tag))
        self.log.append(f"{tag}:end")

    def get_log(self) -> list[str]:
        return self.log

    async def exclusive(self, tag: str) -> None:
        async def slow() -> None:
            self.log.append(f"{tag}:block-start")
            await self.env.PEER.getByName("peer").ping()  # I/O: still no other event gets in
            await self.env.PEER.getByName("peer").ping()
            self.log.append(f"{tag}:block-end")

        blocked = self.ctx.blockConcurrencyWhile(slow)
        # This event's own I/O would open the gate, but not while the callback runs.
        await self.env.PEER.getByName("peer").ping()
        self.log.append(f"{tag}:own-io-done")
        await blocked

    def quick(self, tag: str) -> None:
        self.log.append(f"{tag}:quick")


class PeerDO(DurableObject):
    async def ping(self) -> str:
        await asyncio.sleep(0)
        return "pong"


class GateDO(DurableObject):
    """Events that probe where the input gate lets other code in."""

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.log: list[str] = []
        self.trace: list[str] = []
        self._ready: asyncio.Future[str] | None = None

    def get_log(self) -> list[str]:
        return self.log

    def get_trace(self) -> list[str]:
        return self.trace

    def _signal(self) -> asyncio.Future[str]:
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        return self._ready

    async def leader(self) -> str:
        ready = self._signal()
        async with self.env.services.io():  # like a D1 call
            await asyncio.sleep(0.01)
        ready.set_result("done")
        return "leader"

    async def follower(self) -> str:
        return await self._signal()  # resolved by another event of this object

    async def pause(self, tag: str, how: str) -> None:
        self.log.append(f"{tag}:start")
        if how == "sleep":
            await asyncio.sleep(0)
        else:
            future = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(future.set_result, None)
            await future
        self.log.append(f"{tag}:end")

    async def tally(self, tag: str, rounds: int) -> None:
        async with self.env.services.io():  # an I/O point: the other events start meanwhile
            await asyncio.sleep(0)
        for _ in range(rounds):
            self.trace.append(f"{tag}:read")
            value = await self.ctx.storage.get("n") or 0
            await self.ctx.storage.put("n", value + 1)
            self.trace.append(f"{tag}:write")
            await asyncio.sleep(0)  # a non-storage await: here others may run

    async def spin(self, rounds: int) -> None:
        for _ in range(rounds):
            self.trace.append("spin")
            await asyncio.sleep(0)

    async def count(self) -> int:
        return await self.ctx.storage.get("n")

    async def slow_io(self, tag: str) -> None:
        self.log.append(f"{tag}:start")
        async with self.env.services.io():
            await asyncio.sleep(0.005)
        self.log.append(f"{tag}:end")

    async def slow_block(self, tag: str) -> None:
        async def block() -> None:
            self.log.append(f"{tag}:block-start")
            async with self.env.services.io():
                await asyncio.sleep(0.02)
            self.log.append(f"{tag}:block-end")

        await self.ctx.blockConcurrencyWhile(block)

    async def two_blocks(self) -> None:
        async def block(tag: str) -> None:
            self.log.append(f"{tag}:start")
            await self.env.PEER.getByName("peer").ping()
            self.log.append(f"{tag}:end")

        first = self.ctx.blockConcurrencyWhile(lambda: block("first"))
        second = self.ctx.blockConcurrencyWhile(lambda: block("second"))
        await asyncio.gather(first, second)

    async def start_block(self) -> str:
        async def block() -> None:
            self.log.append("block-start")
            async with self.env.services.io():
                await self.env.release.wait()  # the test lets it finish
            self.log.append("block-end")

        self.ctx.blockConcurrencyWhile(block)  # not awaited
        return "started"

    async def txn(self, fail: bool) -> None:
        async def body(txn: Any) -> None:
            self.log.append("txn:start")
            await txn.put("k", "from txn")
            await self.env.PEER.getByName("peer").ping()  # I/O inside the transaction
            self.log.append("txn:end")
            if fail:
                raise RuntimeError("undo")

        try:
            await self.ctx.storage.transaction(body)
        except RuntimeError:
            self.log.append("txn:rolled-back")

    async def other_write(self) -> None:
        self.log.append("other")
        await self.ctx.storage.put("other", 1)

    async def read(self, key: str) -> Any:
        return await self.ctx.storage.get(key)


class LoaderDO(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.loaded = False
        env.events.append("construct")
        ctx.blockConcurrencyWhile(self._load)

    async def _load(self) -> None:
        self.env.events.append("load:start")
        await self.env.PEER.getByName("peer").ping()  # I/O inside the constructor's block
        await self.env.PEER.getByName("peer").ping()
        self.loaded = True
        self.env.events.append("load:end")

    def is_loaded(self) -> bool:
        self.env.events.append("call")
        return self.loaded


class BrokenLoaderDO(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        env.events.append("construct")
        ctx.blockConcurrencyWhile(self._load)

    async def _load(self) -> None:
        if len(self.env.events) < 2:
            raise RuntimeError("load failed")

    def hello(self) -> str:
        return "hello"


class AlarmDO(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        env.events.append("construct")

    async def arm(self, at_ms: int) -> None:
        await self.ctx.storage.setAlarm(at_ms)

    async def current_alarm(self) -> int | None:
        return await self.ctx.storage.getAlarm()

    async def alarm(self, alarm_info: Any) -> None:
        attempts = self.env.attempts
        self.env.events.append(f"alarm for {self.ctx.id.name}")
        attempts.append(
            (
                self.env.services.now_ms(),
                alarm_info.retryCount,
                alarm_info.isRetry,
                await self.ctx.storage.getAlarm(),
            )
        )
        mode = self.env.alarm_mode
        if mode == "fail-3" and len(attempts) <= 3:
            raise RuntimeError("flaky alarm")
        if mode == "always-fail":
            raise RuntimeError("broken alarm")
        if mode == "reschedule-then-fail":
            await self.ctx.storage.setAlarm(self.env.services.now_ms() + 60_000)
            raise RuntimeError("failed after rescheduling")


class FetchDO(DurableObject):
    async def fetch(self, request: Request) -> Response:
        body = await request.json()
        return Response.json(
            {
                "method": request.method.value,
                "url": request.url,
                "got": body,
                "auth": request.headers.get("authorization"),
            },
            status=201,
            headers={"x-object": str(self.ctx.id)},
        )


class NoFetchDO(DurableObject):
    def hello(self) -> str:
        return "hi"


class WaiterDO(DurableObject):
    async def later(self) -> str:
        async def background() -> None:
            await asyncio.sleep(0.01)
            await self.ctx.storage.put("done", True)

        self.ctx.waitUntil(background())
        return "responded"

    async def is_done(self) -> bool:
        return bool(await self.ctx.storage.get("done"))


# --- harness -----------------------------------------------------------------------------------


class Harness:
    """One runtime's worth of services, scheduler, env and namespaces (as LocalRuntime wires them)."""

    def __init__(self, state_dir: Path, clock: SimulatedClock | None = None) -> None:
        self.clock = clock or SimulatedClock()
        self.services = RuntimeServices(state_dir, self.clock)
        self.scheduler = Scheduler(self.clock)
        self.env = SimpleNamespace(events=[], attempts=[], alarm_mode="ok", services=self.services)

    def bind(
        self, binding: str, cls: type, class_name: str | None = None
    ) -> DurableObjectNamespace:
        namespace = DurableObjectNamespace(
            self.services, self.scheduler, class_name or cls.__name__, lambda: cls, lambda: self.env
        )
        setattr(self.env, binding, namespace)
        return namespace


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return Harness(tmp_path / "state")


# --- ids -----------------------------------------------------------------------------------------


def test_ids_are_deterministic_64_hex_and_round_trip(harness: Harness, tmp_path: Path) -> None:
    ns = harness.bind("COUNTER", CounterDO)
    a1, a2, b = ns.idFromName("alice"), ns.idFromName("alice"), ns.idFromName("bob")
    assert re.fullmatch(r"[0-9a-f]{64}", a1.toString())
    assert a1.equals(a2) and a1 == a2 and str(a1) == a1.toString()
    assert not a1.equals(b)
    assert a1.name == "alice"
    # Same class in another runtime (a restart): same id. Another class: another id.
    other_runtime = Harness(tmp_path / "other").bind("COUNTER", CounterDO)
    assert other_runtime.idFromName("alice") == a1
    assert harness.bind("PEER", PeerDO).idFromName("alice") != a1

    parsed = ns.idFromString(a1.toString())
    assert parsed.equals(a1) and parsed.name is None
    assert ns.idFromString(a1.toString().upper()) == a1
    with pytest.raises(TypeError, match="64 hex digits"):
        ns.idFromString("abc")
    unique = {ns.newUniqueId().toString() for _ in range(5)}
    assert len(unique) == 5 and all(len(u) == 64 for u in unique)
    with pytest.raises(TypeError):
        ns.get(harness.env.PEER.idFromName("x"))


# --- the input gate ---------------------------------------------------------------------------------


async def test_concurrent_rpcs_never_interleave_storage_work(harness: Harness) -> None:
    ns = harness.bind("COUNTER", CounterDO)
    stub = ns.getByName("counter")
    results = await asyncio.gather(*(stub.incr() for _ in range(50)))
    assert sorted(results) == list(range(1, 51))  # every read saw the previous write
    assert await stub.incr() == 51
    stats = harness.services.stats
    assert stats.get("do.requests") == 51
    assert stats.get("do.instances_created") == 1
    assert harness.env.events.count(("construct", "CounterDO")) == 1


@pytest.mark.parametrize("via", ["rpc", "io"])
async def test_external_io_lets_a_second_event_in(harness: Harness, via: str) -> None:
    harness.bind("PEER", PeerDO)
    stub = harness.bind("RECORDER", RecorderDO).getByName("rec")
    await asyncio.gather(stub.work("a", via), stub.work("b", via))
    log = await stub.get_log()
    # While "a" awaited non-storage I/O, "b" was delivered.
    assert log.index("b:start") < log.index("a:end"), log


async def test_storage_awaits_keep_the_gate_shut(harness: Harness) -> None:
    stub = harness.bind("RECORDER", RecorderDO).getByName("rec")
    await asyncio.gather(stub.work("a", "storage"), stub.work("b", "storage"))
    assert await stub.get_log() == ["a:start", "a:end", "b:start", "b:end"]


async def test_an_event_awaiting_a_future_another_event_resolves_completes(
    harness: Harness,
) -> None:
    # The follower awaits a future the leader resolves after its own (non-storage) I/O: the
    # leader's I/O completion must get back in while the follower is suspended.
    stub = harness.bind("GATE", GateDO).getByName("waiters")
    results = await asyncio.wait_for(asyncio.gather(stub.leader(), stub.follower()), timeout=2)
    assert results == ["leader", "done"]
    # Delivered the other way round too.
    stub = harness.env.GATE.getByName("waiters-2")
    results = await asyncio.wait_for(asyncio.gather(stub.follower(), stub.leader()), timeout=2)
    assert results == ["done", "leader"]


@pytest.mark.parametrize("how", ["sleep", "future"])
async def test_any_non_storage_await_lets_another_event_in(harness: Harness, how: str) -> None:
    # Production: the gate is shut only during storage operations and critical sections, so
    # awaiting asyncio.sleep(0) (a timer in Pyodide) or a future is a point where a second
    # event may be delivered.
    stub = harness.bind("GATE", GateDO).getByName("pauser")
    await asyncio.gather(stub.pause("a", how), stub.pause("b", how))
    log = await stub.get_log()
    assert log.index("b:start") < log.index("a:end"), log


async def test_tight_storage_read_modify_write_loops_never_interleave(harness: Harness) -> None:
    stub = harness.bind("GATE", GateDO).getByName("tally")
    rounds = 40
    await asyncio.gather(
        stub.tally("a", rounds), stub.tally("b", rounds), stub.tally("c", rounds), stub.spin(rounds)
    )
    assert await stub.count() == 3 * rounds  # no lost update
    trace = await stub.get_trace()
    reads = [i for i, entry in enumerate(trace) if entry.endswith(":read")]
    assert len(reads) == 3 * rounds
    for i in reads:
        # Between a read and its write (two storage awaits) nothing else ran.
        assert trace[i + 1] == trace[i].replace(":read", ":write"), trace[i - 2 : i + 3]
    # ...while between iterations the events did interleave (the test is not vacuous).
    first_a = trace.index("a:read")
    last_a = len(trace) - 1 - trace[::-1].index("a:write")
    assert {"b:read", "c:read", "spin"} <= set(trace[first_a:last_a])


async def test_an_object_may_call_itself_through_a_stub(harness: Harness) -> None:
    stub = harness.bind("COUNTER", CounterDO).getByName("self-caller")
    assert await asyncio.wait_for(stub.call_self(), timeout=2) == 101


# --- blockConcurrencyWhile -----------------------------------------------------------------------------


async def test_block_concurrency_while_in_constructor_holds_off_first_events(
    harness: Harness,
) -> None:
    harness.bind("PEER", PeerDO)
    stub = harness.bind("LOADER", LoaderDO).getByName("loader")
    results = await asyncio.gather(stub.is_loaded(), stub.is_loaded(), stub.is_loaded())
    assert results == [True, True, True]
    assert harness.env.events == ["construct", "load:start", "load:end", "call", "call", "call"]


async def test_block_concurrency_while_blocks_even_across_io(harness: Harness) -> None:
    harness.bind("PEER", PeerDO)
    stub = harness.bind("RECORDER", RecorderDO).getByName("rec")
    await asyncio.gather(stub.exclusive("a"), stub.quick("b"))
    log = await stub.get_log()
    # The callback ran alone, across its two I/O awaits: neither "b" nor the completion of the
    # calling event's own I/O got in (workerd: a critical section blocks its parent scope).
    assert log[:2] == ["a:block-start", "a:block-end"], log
    # Afterwards both resume, in the order they started waiting ("b" was queued first).
    assert sorted(log[2:]) == ["a:own-io-done", "b:quick"], log


async def test_block_concurrency_while_holds_other_events_io_completions(
    harness: Harness,
) -> None:
    stub = harness.bind("GATE", GateDO).getByName("held")
    # "a" is mid-I/O when "b" starts a critical section; a's I/O completes inside it.
    await asyncio.gather(stub.slow_io("a"), stub.slow_block("b"))
    assert await stub.get_log() == ["a:start", "b:block-start", "b:block-end", "a:end"]


async def test_block_concurrency_while_sections_take_turns(harness: Harness) -> None:
    harness.bind("PEER", PeerDO)
    stub = harness.bind("GATE", GateDO).getByName("turns")
    await stub.two_blocks()
    assert await stub.get_log() == ["first:start", "first:end", "second:start", "second:end"]


async def test_an_events_result_does_not_wait_for_its_block(harness: Harness) -> None:
    # The event returns while the critical section it started is still running (the result is
    # not held back by it); the section alone keeps the next event out.
    harness.env.release = asyncio.Event()
    ns = harness.bind("GATE", GateDO)
    stub = ns.getByName("unawaited")
    assert await asyncio.wait_for(stub.start_block(), timeout=2) == "started"
    next_event = asyncio.ensure_future(stub.get_log())
    for _ in range(5):
        await asyncio.sleep(0)
    assert not next_event.done()
    harness.env.release.set()
    assert await asyncio.wait_for(next_event, timeout=2) == ["block-start", "block-end"]


@pytest.mark.parametrize("fail", [False, True])
async def test_storage_transaction_is_a_critical_section(harness: Harness, fail: bool) -> None:
    harness.bind("PEER", PeerDO)
    stub = harness.bind("GATE", GateDO).getByName(f"txn-{fail}")
    await asyncio.gather(stub.txn(fail), stub.other_write())
    log = await stub.get_log()
    # The other event waited for the whole transaction, I/O included...
    assert log[:2] == ["txn:start", "txn:end"] and log[-1] == "other", log
    # ...so its write never sat in the transaction's savepoint, even when that rolled back.
    assert await stub.read("other") == 1
    assert await stub.read("k") == (None if fail else "from txn")


async def test_failing_block_concurrency_while_resets_the_object(harness: Harness) -> None:
    stub = harness.bind("BROKEN", BrokenLoaderDO).getByName("x")
    with pytest.raises(JsException, match="RuntimeError: load failed"):
        await stub.hello()
    assert harness.env.events == ["construct"]
    assert await stub.hello() == "hello"  # the next event runs the constructor again
    assert harness.env.events == ["construct", "construct"]


# --- RPC conversion ---------------------------------------------------------------------------------


async def test_rpc_arguments_and_results_follow_the_sdk_rules(harness: Harness) -> None:
    stub = harness.bind("COUNTER", CounterDO).getByName("rpc")

    with pytest.raises(TypeError, match=r"^<class 'tuple'> cannot be sent over RPC\.$"):
        stub.echo((1, 2))  # refused when the call is made, before anything is sent
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        stub.echo(bytearray(b"x"))
    with pytest.raises(JsException, match=r"TypeError: <class 'tuple'> cannot be sent over RPC\."):
        await stub.pair()

    profile = await stub.get_profile()
    assert isinstance(profile, JsDict) and profile.name == "Ada" and profile.tags == ["x"]
    profile.name = "Eve"
    profile.tags.append("y")
    again = await stub.get_profile()
    assert again == {"name": "Ada", "tags": ["x"]}  # the object's state was not touched

    when = dt.datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=dt.UTC)
    echoed = await stub.echo(
        2.0, 2.5, {"k": {1, 2}}, b"\x01", when, None, {1: "int key"}, flag=True
    )
    assert echoed[0] == 2 and isinstance(echoed[0], int)  # a JS number that is an integer
    assert echoed[1] == 2.5
    assert echoed[2].k == {1, 2}
    assert echoed[3] == b"\x01"
    assert echoed[4] == dt.datetime(2026, 3, 4, 5, 6, 7, 891_000)  # a JS Date: ms, naive UTC
    assert echoed[5] is None
    assert echoed[6] == {"1": "int key"}  # Object.fromEntries made the key a string
    assert echoed[7] == {"flag": True}  # keyword arguments arrive as one trailing object
    # An exception argument arrives as Exception(JS Error.toString()).
    assert await stub.describe(ValueError("boom")) == ["Exception", "Error: boom"]


async def test_errors_cross_the_boundary_with_their_message(harness: Harness) -> None:
    stub = harness.bind("COUNTER", CounterDO).getByName("errors")
    with pytest.raises(JsException, match="^ValueError: bad value$") as info:
        await stub.fail("value")
    assert info.value.remote is True
    assert "ValueError" in (info.value.remote_traceback or "")
    with pytest.raises(JsException, match="^plain failure$"):
        await stub.fail("plain")
    for name in ("missing", "_private", "memory", "ctx"):
        with pytest.raises(
            JsException, match=f'^The RPC receiver does not implement the method "{name}".$'
        ):
            await getattr(stub, name)()


async def test_abort_resets_the_instance(harness: Harness) -> None:
    stub = harness.bind("COUNTER", CounterDO).getByName("aborted")
    await stub.remember("before abort")
    with pytest.raises(JsException, match="reset requested"):
        await stub.explode()
    recalled = await stub.recall()
    assert recalled.memory == "fresh" and recalled.notes == ["before abort"]


# --- eviction ---------------------------------------------------------------------------------------


async def test_evicted_object_keeps_sqlite_data_and_loses_memory(harness: Harness) -> None:
    ns = harness.bind("COUNTER", CounterDO)
    stub = ns.getByName("evictee")
    await stub.remember("first note")
    assert (await stub.recall()).memory == "first note"
    assert ns.live_instances() == 1

    ns.evict(stub.id)
    assert ns.live_instances() == 0
    recalled = await stub.recall()
    assert recalled == {"memory": "fresh", "notes": ["first note"], "last": {"note": "first note"}}
    assert harness.env.events.count(("construct", "CounterDO")) == 2
    assert harness.services.stats.get("do.instances_created") == 2

    # The test hook hands over the live object (constructing it only if needed).
    live = await ns.instance_for_test(stub)
    assert isinstance(live, CounterDO) and live.memory == "fresh"
    assert harness.services.stats.get("do.instances_created") == 2

    # A whole new runtime on the same state dir (a restart) sees the same data.
    restarted = Harness(harness.services.state_dir, harness.clock)
    assert (await restarted.bind("COUNTER", CounterDO).getByName("evictee").recall()).notes == [
        "first note"
    ]


# --- alarms --------------------------------------------------------------------------------------------


async def test_failing_alarm_is_retried_with_backoff_then_succeeds(harness: Harness) -> None:
    harness.env.alarm_mode = "fail-3"
    stub = harness.bind("ALARM", AlarmDO).getByName("alarmed")
    start_ms = harness.clock.now_ms()
    await stub.arm(start_ms + 10_000)
    assert await stub.current_alarm() == start_ms + 10_000

    await harness.scheduler.advance(5_000)
    assert harness.env.attempts == []  # not yet due
    await harness.scheduler.advance(200_000)

    first = start_ms + 10_000
    assert [(at, retry, is_retry) for at, retry, is_retry, _ in harness.env.attempts] == [
        (first, 0, False),
        (first + 2_000, 1, True),
        (first + 2_000 + 4_000, 2, True),
        (first + 2_000 + 4_000 + 8_000, 3, True),
    ]
    # The alarm is cleared before each run: the handler sees no pending alarm.
    assert all(seen is None for *_, seen in harness.env.attempts)
    assert await stub.current_alarm() is None
    assert harness.services.stats.get("do.alarms") == 4
    assert harness.services.stats.get("do.alarm_retries") == 3


async def test_alarm_gives_up_after_six_retries(harness: Harness) -> None:
    harness.env.alarm_mode = "always-fail"
    stub = harness.bind("ALARM", AlarmDO).getByName("doomed")
    await stub.arm(harness.clock.now_ms())
    await harness.scheduler.advance(3_600_000)
    assert [retry for _, retry, _, _ in harness.env.attempts] == [0, 1, 2, 3, 4, 5, 6]
    assert await stub.current_alarm() is None


async def test_alarm_set_by_a_failing_handler_replaces_the_retry(harness: Harness) -> None:
    harness.env.alarm_mode = "reschedule-then-fail"
    stub = harness.bind("ALARM", AlarmDO).getByName("rescheduler")
    start_ms = harness.clock.now_ms()
    await stub.arm(start_ms + 1_000)
    await harness.scheduler.advance(30_000)
    assert [at for at, *_ in harness.env.attempts] == [start_ms + 1_000]  # no 2 s retry
    assert await stub.current_alarm() == start_ms + 61_000


async def test_alarm_survives_eviction_and_restart(harness: Harness) -> None:
    ns = harness.bind("ALARM", AlarmDO)
    stub = ns.getByName("durable-alarm")
    due_ms = harness.clock.now_ms() + 60_000
    await stub.arm(due_ms)
    ns.evict_all()

    # A new runtime (new scheduler, no live objects) on the same state dir and clock.
    restarted = Harness(harness.services.state_dir, harness.clock)
    restarted_ns = restarted.bind("ALARM", AlarmDO)
    assert restarted_ns.restore_alarms() == 1
    await restarted.scheduler.advance(60_000)
    assert [at for at, *_ in restarted.env.attempts] == [due_ms]
    # The alarm woke a fresh instance, which knows the name it was made from (as in production).
    assert restarted.env.events == ["construct", "alarm for durable-alarm"]
    assert harness.env.attempts == []  # the old runtime's scheduler never ran


async def test_set_alarm_needs_an_alarm_handler(harness: Harness) -> None:
    class NoAlarmDO(DurableObject):
        async def arm(self) -> None:
            await self.ctx.storage.setAlarm(1)

    stub = harness.bind("NOALARM", NoAlarmDO).getByName("x")
    with pytest.raises(JsException, match=r"must have an alarm\(\) handler"):
        await stub.arm()


# --- fetch, waitUntil ------------------------------------------------------------------------------------


async def test_stub_fetch_round_trip(harness: Harness) -> None:
    ns = harness.bind("FETCH", FetchDO)
    stub = ns.getByName("fetcher")
    response = await stub.fetch(
        "https://do.internal/items?x=1",
        method="POST",
        body='{"n": 1}',
        headers={"Authorization": "Bearer t"},
    )
    assert isinstance(response, Response)
    assert response.status == 201
    assert response.headers["x-object"] == stub.id.toString()
    assert await response.json() == {
        "method": "POST",
        "url": "https://do.internal/items?x=1",
        "got": {"n": 1},
        "auth": "Bearer t",
    }
    request = Request("https://do.internal/again", method="PUT", body="[2]")
    assert (await (await stub.fetch(request)).json())["got"] == [2]

    with pytest.raises(TypeError, match="Fetch API cannot load"):
        await stub.fetch("/relative")
    no_fetch = harness.bind("NOFETCH", NoFetchDO).getByName("x")
    with pytest.raises(JsException, match=r"^Handler does not export a fetch\(\) function\.$"):
        await no_fetch.fetch("https://do.internal/")
    assert await no_fetch.hello() == "hi"


async def test_wait_until_runs_after_the_response(harness: Harness) -> None:
    ns = harness.bind("WAITER", WaiterDO)
    stub = ns.getByName("w")
    assert await stub.later() == "responded"
    assert await stub.is_done() is False
    await ns.drain()
    assert await stub.is_done() is True
