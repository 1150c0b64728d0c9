"""Durable Object storage (``ctx.storage``) on a real SQLite file: SQL API, KV API,
transactions, alarms, durability, and production's value-conversion quirks."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from local_runtime.bindings.do_storage import DurableObjectStorage, read_stored_alarm
from local_runtime.conversion import JsException
from local_runtime.gates import InputGate, external_io
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices
from workers import Request


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "do" / "Thing" / "object.sqlite"


@pytest.fixture
def storage(services: RuntimeServices, db_path: Path):
    store = DurableObjectStorage(services, db_path)
    yield store
    store.close()


# --- SQL API ----------------------------------------------------------------------------------


def test_sql_exec_cursor_shapes(storage: DurableObjectStorage) -> None:
    sql = storage.sql
    sql.exec("CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, score REAL)")
    insert = sql.exec(
        "INSERT INTO posts (id, title, score) VALUES (?, ?, ?), (?, ?, ?)",
        1,
        "one",
        1.5,
        2,
        "two",
        2.5,
    )
    assert insert.rowsWritten == 2
    assert insert.columnNames == []

    rows = list(sql.exec("SELECT id, title, score FROM posts ORDER BY id"))
    assert rows == [
        {"id": 1, "title": "one", "score": 1.5},
        {"id": 2, "title": "two", "score": 2.5},
    ]
    assert isinstance(rows[0], JsDict) and rows[0].title == "one"

    cursor = sql.exec("SELECT id, title FROM posts ORDER BY id")
    assert cursor.columnNames == ["id", "title"]
    assert cursor.next() == {"done": False, "value": {"id": 1, "title": "one"}}
    assert cursor.toArray() == [{"id": 2, "title": "two"}]  # the rest only: read once
    assert cursor.next() == {"done": True, "value": None}
    assert cursor.rowsRead == 2

    assert sql.exec("SELECT id, title FROM posts ORDER BY id").raw().toArray() == [
        [1, "one"],
        [2, "two"],
    ]
    assert sql.exec("SELECT title FROM posts WHERE id = ?", 2).one().title == "two"
    with pytest.raises(
        JsException, match="^Expected exactly one result from SQL query, but got no results.$"
    ):
        sql.exec("SELECT title FROM posts WHERE id = ?", 9).one()
    with pytest.raises(JsException, match="but got multiple results"):
        sql.exec("SELECT title FROM posts").one()
    # RETURNING gives rows from a write.
    assert sql.exec("DELETE FROM posts WHERE id = ? RETURNING title", 2).one() == {"title": "two"}


def test_multiple_statements_bind_to_the_last(storage: DurableObjectStorage) -> None:
    cursor = storage.sql.exec(
        """
        CREATE TABLE tags (name TEXT PRIMARY KEY); -- a comment; with a semicolon
        INSERT INTO tags VALUES ('a;b'), ('c');
        SELECT name FROM tags WHERE name = ?
        """,
        "a;b",
    )
    assert cursor.toArray() == [{"name": "a;b"}]
    with pytest.raises(JsException, match="only the last statement can have parameters"):
        storage.sql.exec("INSERT INTO tags VALUES (?); SELECT 1", "x")
    with pytest.raises(JsException, match="^SQL code did not contain a statement.$"):
        storage.sql.exec("  -- nothing here\n ; ")


def test_bindings_behave_like_js_values(storage: DurableObjectStorage) -> None:
    """workerd binds null | string | double | bytes; anything else becomes a string."""
    sql = storage.sql
    sql.exec("CREATE TABLE v (text_col TEXT, int_col INTEGER, any_col, blob_col BLOB)")
    sql.exec("INSERT INTO v VALUES (?, ?, ?, ?)", 5, 5, True, b"\x00\x01")
    row = sql.exec("SELECT text_col, int_col, any_col, blob_col, typeof(any_col) AS t FROM v").one()
    # An int is a JS number (a double): a TEXT column stores it as '5.0'.
    assert row.text_col == "5.0"
    assert row.int_col == 5
    # A boolean is coerced to a string, as production does (workers-sdk issue 9964).
    assert row.any_col == "true" and row.t == "text"
    assert row.blob_col == b"\x00\x01"
    # An integral REAL comes back as int (a JS number that is a safe integer); 2**60 as float.
    assert sql.exec("SELECT 2.0 AS x").one().x == 2
    assert isinstance(sql.exec("SELECT 2.0 AS x").one().x, int)
    assert isinstance(sql.exec("SELECT 1152921504606846976 AS big").one().big, float)
    # A dict argument reaches SQL as JS String({...}).
    assert sql.exec("SELECT ? AS s", {"a": 1}).one().s == "[object Object]"
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        sql.exec("SELECT ?", (1, 2))


def test_sql_limits(storage: DurableObjectStorage) -> None:
    sql = storage.sql
    placeholders = ", ".join("?" for _ in range(101))
    with pytest.raises(JsException, match="too many SQL variables"):
        sql.exec(f"SELECT {placeholders}", *range(101))
    assert (
        len(
            sql.exec(f"SELECT {', '.join('?' for _ in range(100))}", *range(100)).raw().toArray()[0]
        )
        == 100
    )
    with pytest.raises(JsException, match="^Wrong number of parameter bindings for SQL query.$"):
        sql.exec("SELECT ?", 1, 2)
    long_sql = "SELECT 1 -- " + "x" * 100_000
    with pytest.raises(JsException, match="SQLITE_TOOBIG"):
        sql.exec(long_sql)


async def test_authorizer_reserves_cf_tables_and_transactions(
    storage: DurableObjectStorage,
) -> None:
    sql = storage.sql
    await storage.put("k", "v")  # creates the hidden _cf_KV table
    with pytest.raises(JsException, match="^access to _cf_KV.key is prohibited: SQLITE_AUTH$"):
        sql.exec("SELECT * FROM _cf_KV")
    with pytest.raises(JsException, match="not authorized"):
        sql.exec("CREATE TABLE _cf_mine (x)")
    with pytest.raises(
        JsException, match=r"state.storage.transaction\(\) or state.storage.transactionSync\(\)"
    ):
        sql.exec("BEGIN TRANSACTION")
    with pytest.raises(JsException, match="transactionSync"):
        sql.exec("SAVEPOINT sp")
    with pytest.raises(JsException, match="not authorized"):
        sql.exec("SELECT sqlite_version()")
    with pytest.raises(JsException, match="not authorized"):
        sql.exec("PRAGMA journal_mode")
    names = [row.name for row in sql.exec("PRAGMA table_list")]
    assert "_cf_KV" in names  # visible, not readable (as documented)


def test_sqlite_errors_carry_the_result_code(storage: DurableObjectStorage) -> None:
    with pytest.raises(JsException, match="^no such table: missing: SQLITE_ERROR$"):
        storage.sql.exec("SELECT * FROM missing")
    storage.sql.exec("CREATE TABLE u (email TEXT UNIQUE)")
    storage.sql.exec("INSERT INTO u VALUES ('a@x')")
    with pytest.raises(JsException, match="^UNIQUE constraint failed: u.email: SQLITE_CONSTRAINT$"):
        storage.sql.exec("INSERT INTO u VALUES ('a@x')")


def test_database_size_and_counters(
    storage: DurableObjectStorage, services: RuntimeServices
) -> None:
    empty = storage.sql.databaseSize
    storage.sql.exec("CREATE TABLE big (body TEXT)")
    for _ in range(20):
        storage.sql.exec("INSERT INTO big VALUES (?)", "x" * 4000)
    assert storage.sql.databaseSize > empty + 20 * 4000
    before = services.stats.snapshot()
    storage.sql.exec("UPDATE big SET body = 'y'")
    read = storage.sql.exec("SELECT body FROM big").toArray()
    assert len(read) == 20
    after = services.stats.snapshot()
    assert after["do.storage_rows_written"] - before["do.storage_rows_written"] == 20
    assert after["do.storage_rows_read"] - before["do.storage_rows_read"] >= 20 + 20


# --- key-value API ----------------------------------------------------------------------------


async def test_kv_values_are_structured_clones(storage: DurableObjectStorage) -> None:
    profile = {"name": "Ada", "tags": ["a", "b"], "meta": {"$t": "not a tag", "n": 2.0}}
    await storage.put("profile", profile)
    await storage.put("blob", b"\x00\xff")
    await storage.put("when", dt.datetime(2026, 1, 2, 3, 4, 5, 678_901, tzinfo=dt.UTC))
    await storage.put("set", {1, 2})
    await storage.put("nothing", None)

    got = await storage.get("profile")
    assert got == {"name": "Ada", "tags": ["a", "b"], "meta": {"$t": "not a tag", "n": 2}}
    assert got.meta.n == 2 and isinstance(got.meta.n, int)  # 2.0 came back as a JS number
    got["name"] = "changed"
    assert (await storage.get("profile")).name == "Ada"  # a copy, not a reference
    profile["name"] = "mutated after put"
    assert (await storage.get("profile")).name == "Ada"
    assert await storage.get("blob") == b"\x00\xff"
    assert await storage.get("when") == dt.datetime(2026, 1, 2, 3, 4, 5, 678_000)  # ms, naive UTC
    assert await storage.get("set") == {1, 2}
    assert await storage.get("missing") is None

    many = await storage.get(["set", "missing", "nothing", "blob"])
    assert list(many) == ["blob", "nothing", "set"]
    assert many["nothing"] is None
    with pytest.raises(TypeError, match=r"<class 'tuple'> cannot be sent over RPC\."):
        await storage.put("t", (1, 2))
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await storage.put("obj", object())
    # A Request may cross RPC but cannot be stored (structured clone refuses it).
    with pytest.raises(TypeError, match='Could not serialize object of type "Request"'):
        await storage.put("req", Request("https://example.com/"))


async def test_kv_delete_and_list(storage: DurableObjectStorage) -> None:
    await storage.put({f"user:{i:02d}": i for i in range(10)} | {"post:1": "p", "zeta": "z"})
    assert await storage.delete("user:05") is True
    assert await storage.delete("user:05") is False
    assert await storage.delete(["user:06", "user:07", "nope"]) == 2

    everything = await storage.list()
    assert list(everything)[0] == "post:1" and list(everything)[-1] == "zeta"
    users = await storage.list(prefix="user:")
    assert list(users) == [
        "user:00",
        "user:01",
        "user:02",
        "user:03",
        "user:04",
        "user:08",
        "user:09",
    ]
    assert list(await storage.list(prefix="user:", reverse=True, limit=2)) == ["user:09", "user:08"]
    assert list(await storage.list(start="user:02", end="user:04")) == ["user:02", "user:03"]
    assert list(await storage.list(startAfter="user:08", prefix="user:")) == ["user:09"]
    assert isinstance(users, JsDict) and users["user:03"] == 3
    with pytest.raises(JsException, match="limit must be positive"):
        await storage.list(limit=0)
    with pytest.raises(JsException, match="Maximum number of keys is 128"):
        await storage.get([str(i) for i in range(129)])

    sync_kv = storage.kv
    sync_kv.put("sync", [1, 2])
    assert sync_kv.get("sync") == [1, 2]
    assert [k for k, _v in sync_kv.list(prefix="sy")] == ["sync"]


async def test_writes_are_committed_before_the_call_returns(
    storage: DurableObjectStorage, db_path: Path
) -> None:
    storage.sql.exec("CREATE TABLE t (x INTEGER)")
    storage.sql.exec("INSERT INTO t VALUES (1)")
    await storage.put("k", "v")
    # A second, independent connection sees both writes while the first is still open.
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("SELECT x FROM t").fetchall() == [(1,)]
        assert other.execute("SELECT key FROM _cf_KV").fetchall() == [("k",)]
    finally:
        other.close()


async def test_data_survives_reopening(services: RuntimeServices, db_path: Path) -> None:
    first = DurableObjectStorage(services, db_path)
    first.sql.exec("CREATE TABLE t (x TEXT)")
    first.sql.exec("INSERT INTO t VALUES ('kept')")
    await first.put("k", {"v": 1})
    first.close()
    second = DurableObjectStorage(services, db_path)
    try:
        assert second.sql.exec("SELECT x FROM t").one().x == "kept"
        assert (await second.get("k")).v == 1
    finally:
        second.close()


# --- transactions -------------------------------------------------------------------------------


async def test_transaction_sync_rolls_back_sql_and_kv(storage: DurableObjectStorage) -> None:
    storage.sql.exec("CREATE TABLE acct (id TEXT PRIMARY KEY, balance INTEGER NOT NULL)")
    storage.sql.exec("INSERT INTO acct VALUES ('a', 10), ('b', 0)")

    def transfer(amount: int) -> str:
        storage.sql.exec("UPDATE acct SET balance = balance - ? WHERE id = 'a'", amount)
        storage.sql.exec("UPDATE acct SET balance = balance + ? WHERE id = 'b'", amount)
        storage.kv.put("last", amount)
        if storage.sql.exec("SELECT balance FROM acct WHERE id = 'a'").one().balance < 0:
            raise ValueError("overdrawn")
        return "ok"

    assert storage.transactionSync(lambda: transfer(4)) == "ok"
    with pytest.raises(ValueError, match="overdrawn"):
        storage.transactionSync(lambda: transfer(100))
    balances = {r.id: r.balance for r in storage.sql.exec("SELECT id, balance FROM acct")}
    assert balances == {"a": 6, "b": 4}
    assert storage.kv.get("last") == 4

    async def not_sync() -> None:
        return None

    with pytest.raises(TypeError, match="must be synchronous"):
        storage.transactionSync(not_sync)


async def test_async_transaction_and_explicit_rollback(storage: DurableObjectStorage) -> None:
    async def keep(txn) -> str:
        await txn.put("a", 1)
        return "kept"

    async def undo(txn) -> None:
        await txn.put("b", 2)
        txn.rollback()

    async def fail(txn) -> None:
        await txn.put("c", 3)
        raise RuntimeError("boom")

    assert await storage.transaction(keep) == "kept"
    await storage.transaction(undo)
    with pytest.raises(RuntimeError):
        await storage.transaction(fail)
    assert list(await storage.list()) == ["a"]


# --- alarms and deleteAll -------------------------------------------------------------------------


async def test_alarm_storage_and_listener(services: RuntimeServices, db_path: Path) -> None:
    seen: list[int | None] = []
    store = DurableObjectStorage(
        services, db_path, alarm_listener=seen.append, alarm_handler_check=lambda: True
    )
    try:
        assert await store.getAlarm() is None
        await store.setAlarm(1_800_000_000_000)
        assert await store.getAlarm() == 1_800_000_000_000
        await store.setAlarm(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
        assert await store.getAlarm() == 1_798_761_600_000

        def set_then_fail() -> None:
            store.set_alarm_state(5, 0)
            raise RuntimeError("rolled back")

        with pytest.raises(RuntimeError):
            store.transactionSync(set_then_fail)
        assert await store.getAlarm() == 1_798_761_600_000  # the rollback restored it
        await store.deleteAlarm()
        assert await store.getAlarm() is None
        assert seen == [1_800_000_000_000, 1_798_761_600_000, 1_798_761_600_000, None]
        await store.setAlarm(1_900_000_000_000)
    finally:
        store.close()
    assert read_stored_alarm(db_path) == (1_900_000_000_000, 0)  # in the file, for restarts

    no_handler = DurableObjectStorage(services, db_path, alarm_handler_check=lambda: False)
    try:
        with pytest.raises(JsException, match=r"must have an alarm\(\) handler"):
            await no_handler.setAlarm(1)
    finally:
        no_handler.close()


async def test_delete_all_keeps_the_alarm(services: RuntimeServices, db_path: Path) -> None:
    store = DurableObjectStorage(services, db_path)
    try:
        store.sql.exec(
            "CREATE TABLE t (x); CREATE INDEX t_x ON t (x); CREATE VIEW v AS SELECT x FROM t"
        )
        await store.put("k", 1)
        await store.setAlarm(1_900_000_000_000)
        await store.deleteAll()
        assert (
            store.sql.exec("SELECT name FROM sqlite_master WHERE name NOT LIKE '_cf_%'").toArray()
            == []
        )
        assert await store.get("k") is None
        assert await store.list() == {}
        assert await store.getAlarm() == 1_900_000_000_000
        await store.put("again", 2)  # the KV table comes back on demand
        assert await store.get("again") == 2
    finally:
        store.close()


# --- the input gate -----------------------------------------------------------------------------


def _completes_without_suspending(coro: Any) -> Any:
    """Run a coroutine one step: it must finish without ever yielding to the event loop."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise AssertionError("the storage call yielded to the event loop")


def test_async_storage_methods_never_yield_to_the_event_loop(
    storage: DurableObjectStorage,
) -> None:
    # Nothing else can run inside a storage call (so a read-modify-write made of storage awaits
    # is atomic), as with workerd's SQLite-backed storage, whose promises are already resolved.
    run = _completes_without_suspending
    assert run(storage.put("a", 1)) is None
    assert run(storage.put({"b": 2, "c": 3})) is None
    assert run(storage.get("a")) == 1
    assert run(storage.get(["a", "b", "zz"])) == {"a": 1, "b": 2}
    assert run(storage.list(prefix="b")) == {"b": 2}
    assert run(storage.delete("c")) is True
    assert run(storage.delete(["a", "zz"])) == 1
    assert run(storage.setAlarm(5_000)) is None
    assert run(storage.getAlarm()) == 5_000
    assert run(storage.deleteAlarm()) is None
    assert run(storage.sync()) is None

    async def body(txn: Any) -> str:
        await txn.put("t", 1)
        return "ok"

    assert run(storage.transaction(body)) == "ok"
    assert run(storage.deleteAll()) is None


async def test_transaction_holds_the_objects_input_gate(
    services: RuntimeServices, tmp_path: Path
) -> None:
    gate = InputGate()
    store = DurableObjectStorage(services, tmp_path / "gated.sqlite", input_gate=gate)
    order: list[str] = []

    async def body(txn: Any) -> None:
        order.append("txn:start")
        await txn.put("k", 1)
        assert gate.busy
        async with external_io():  # I/O inside the transaction: the gate stays shut
            await asyncio.sleep(0)
        order.append("txn:end")

    async def writer() -> None:
        order.append("txn:begun")
        await store.transaction(body)

    async def other() -> None:
        order.append("other")
        await store.put("other", 2)

    try:
        await asyncio.gather(gate.run_event(writer), gate.run_event(other))
        assert order == ["txn:begun", "txn:start", "txn:end", "other"]
        assert not gate.busy
        assert await store.get(["k", "other"]) == {"k": 1, "other": 2}
    finally:
        store.close()
