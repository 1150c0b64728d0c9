"""A Durable Object's storage (``ctx.storage``): one SQLite file per object, as on Cloudflare.

Production path being reproduced: a SQLite-backed Durable Object owns a private SQLite
database (workerd ``api/sql.c++``, ``util/sqlite.c++``, ``util/sqlite-kv.c++``,
``util/sqlite-metadata.c++``); the SDK wraps ``ctx.storage`` so results reach Python through
``python_from_rpc``.

- ``storage.sql.exec(query, *bindings)`` is synchronous and returns a cursor. Several
  statements may be given; bindings apply to the last one, and the cursor is the last one's.
  User SQL runs under workerd's authorizer (``_cf_*`` tables are reserved, BEGIN/SAVEPOINT are
  refused in favour of ``transactionSync``) and limits (100 KB statements, 100 parameters).
- Bindings are what workerd accepts once a value is in JS: null, string, number (a double: an
  ``int`` is bound as a REAL, so ``5`` stored in a TEXT column reads back ``'5.0'``), or bytes;
  anything else is turned into a string (``True`` becomes ``'true'``), as production does.
- Values read back become JS numbers and then Python numbers again: an integral REAL comes
  back as ``int`` and an INTEGER beyond 2**53 as ``float``.
- The key-value API keeps its data in the hidden table ``_cf_KV`` of the same file, values
  structured-cloned (``local_runtime.conversion.serialize``). The alarm lives in
  ``_cf_METADATA``, so it survives eviction and restart.
- Every write is committed before the call returns (autocommit, WAL); ``transactionSync`` and
  ``transaction`` use savepoints.
- Storage never lets another event in (the input gate, ``local_runtime.gates``). The async
  methods (``get``, ``put``, ``delete``, ``list``, ``getAlarm``, ...) do all their work
  synchronously and never yield to the event loop, like workerd's SQLite-backed storage, whose
  promises are already resolved when returned (``actor-state.c++``): nothing else can run
  between two storage awaits. ``transaction(fn)`` may await anything inside ``fn``, so, as in
  workerd (which runs it through ``blockConcurrencyWhile``), ``fn`` runs as a critical section
  of the object's input gate: no other event or I/O completion gets in until it has finished.
"""

from __future__ import annotations

import datetime as dt
import inspect
import math
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local_runtime.bindings.d1 import TRANSACTION_REFUSED, d1_authorize, split_statements
from local_runtime.conversion import (
    MAX_SAFE_INTEGER,
    JsException,
    deserialize,
    js_string,
    serialize,
    to_rpc,
)
from local_runtime.gates import InputGate
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices

MAX_STATEMENT_BYTES = 100_000  # DO limits: "Maximum SQL statement length 100 KB"
MAX_BOUND_PARAMETERS = 100  # DO limits: "Maximum bound parameters per query 100"
MAX_KV_ENTRY_BYTES = 2_000_000  # DO limits (SQLite backend): "Key and value combined ... 2 MB"
MAX_KEYS_PER_CALL = 128  # Storage API: get/put/delete take at most 128 keys
ALARM_KEY = 1  # _cf_METADATA row of the alarm (as workerd's SqliteMetadata)
ALARM_RETRY_KEY = 2  # local only: how many retries the pending alarm is on

# Marks the runtime's own statements, so that user SQL with the same text never reuses a
# statement prepared (and authorized) in trusted mode from sqlite3's statement cache.
_INTERNAL = " /* grove-local do-storage */"

# workerd SqliteDatabase::setupSecurity limits. LENGTH is raised while the runtime writes its
# own _cf_KV rows: the local encoding of bytes (base64) is larger than V8's serialization.
_LIMITS: dict[int, int] = {
    sqlite3.SQLITE_LIMIT_LENGTH: 2_200_000,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: MAX_STATEMENT_BYTES,
    sqlite3.SQLITE_LIMIT_COLUMN: 100,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 100,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 5,
    sqlite3.SQLITE_LIMIT_VDBE_OP: 25_000,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 127,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 50,
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: MAX_BOUND_PARAMETERS,
    sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH: 10,
    sqlite3.SQLITE_LIMIT_WORKER_THREADS: 0,
}
_INTERNAL_LENGTH_LIMIT = 16_000_000

_MISSING = object()


def _error(message: str) -> JsException:
    return JsException(message)


def _sqlite_error(exc: sqlite3.Error) -> JsException:
    """workerd's dbErrorMessage: SQLite's message and the primary result code name."""
    name = getattr(exc, "sqlite_errorname", None)
    if name is None:
        return _error(str(exc))
    primary = "_".join(name.split("_")[:2])  # SQLITE_CONSTRAINT_UNIQUE -> SQLITE_CONSTRAINT
    return _error(f"{exc}: {primary}")


def _sql_value(value: Any) -> Any:
    """A column value as Python code sees it after the trip through a JS number."""
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        return float(value)  # int64 -> double: precision is lost, as in production
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    return value


def _binding(value: Any) -> Any:
    """What workerd binds for a value that ``to_rpc`` produced (null | bytes | string | double)."""
    if value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"  # jsg coerces a boolean to a string here
    if isinstance(value, int):
        # A JS Number is a double; a BigInt (beyond 2**53) is coerced to its decimal string.
        return float(value) if abs(value) < MAX_SAFE_INTEGER else str(value)
    if isinstance(value, float):
        return value
    return js_string(value)


def _first_keyword(statement: str) -> str:
    text = statement.lstrip()
    while text.startswith(("--", "/*")):
        end = text.find("\n") if text.startswith("--") else text.find("*/")
        text = "" if end == -1 else text[end + (1 if text.startswith("--") else 2) :].lstrip()
    word = text.split(None, 1)[0] if text else ""
    return word.upper()


def _approx_clone_bytes(value: Any) -> int:
    """Roughly what V8's serializer would write for a value (bytes raw, strings as UTF-8)."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        return sum(_approx_clone_bytes(k) + _approx_clone_bytes(v) for k, v in value.items()) + 2
    if isinstance(value, (list, set)):
        return sum(_approx_clone_bytes(v) for v in value) + 2
    return 9


class SqlCursor:
    """``SqlStorageCursor``: rows as ``JsDict``; read once, by iteration, ``next()``,
    ``toArray()``, ``one()`` or ``raw()``."""

    def __init__(
        self,
        column_names: list[str],
        rows: list[tuple[Any, ...]],
        rows_read: int,
        rows_written: int,
    ) -> None:
        self._columns = column_names
        self._rows = rows
        self._pos = 0
        self._rows_read = rows_read
        self._rows_written = rows_written

    @property
    def columnNames(self) -> list[str]:  # noqa: N802 (JS name)
        return list(self._columns)

    @property
    def rowsRead(self) -> int:  # noqa: N802 (JS name)
        return self._rows_read

    @property
    def rowsWritten(self) -> int:  # noqa: N802 (JS name)
        return self._rows_written

    def _take(self) -> tuple[Any, ...] | None:
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return row

    def _as_object(self, row: tuple[Any, ...]) -> JsDict:
        # A JS object: a repeated column name keeps the last value.
        return JsDict(zip(self._columns, (_sql_value(v) for v in row), strict=True))

    def __iter__(self) -> SqlCursor:
        return self

    def __next__(self) -> JsDict:
        row = self._take()
        if row is None:
            raise StopIteration
        return self._as_object(row)

    def next(self) -> JsDict:
        row = self._take()
        if row is None:
            return JsDict(done=True, value=None)
        return JsDict(done=False, value=self._as_object(row))

    def toArray(self) -> list[JsDict]:  # noqa: N802 (JS name)
        return list(self)

    def one(self) -> JsDict:
        row = self._take()
        if row is None:
            raise _error("Expected exactly one result from SQL query, but got no results.")
        if self._take() is not None:
            self._pos = len(self._rows)
            raise _error("Expected exactly one result from SQL query, but got multiple results.")
        return self._as_object(row)

    def raw(self) -> RawCursor:
        return RawCursor(self)


class RawCursor:
    """``cursor.raw()``: the same rows as lists of values, sharing the cursor's position."""

    def __init__(self, cursor: SqlCursor) -> None:
        self._cursor = cursor

    def __iter__(self) -> RawCursor:
        return self

    def __next__(self) -> list[Any]:
        row = self._cursor._take()
        if row is None:
            raise StopIteration
        return [_sql_value(v) for v in row]

    def next(self) -> JsDict:
        row = self._cursor._take()
        if row is None:
            return JsDict(done=True, value=None)
        return JsDict(done=False, value=[_sql_value(v) for v in row])

    def toArray(self) -> list[list[Any]]:  # noqa: N802 (JS name)
        return list(self)

    @property
    def columnNames(self) -> list[str]:  # noqa: N802 (JS name)
        return self._cursor.columnNames


class SqlStorage:
    """``ctx.storage.sql``."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage

    def exec(self, query: str, *bindings: Any) -> SqlCursor:
        if not isinstance(query, str):
            raise TypeError("exec() requires a SQL string as its first argument")
        # The SDK converts every argument first (a tuple is refused before SQL sees it).
        params = [_binding(to_rpc(value)) for value in bindings]
        return self._storage._exec_user(query, params)

    @property
    def databaseSize(self) -> int:  # noqa: N802 (JS name)
        return self._storage._database_size()


class SyncKvStorage:
    """``ctx.storage.kv``: the synchronous key-value API of SQLite-backed objects."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage

    def get(self, key: Any) -> Any:
        return self._storage._kv_get(self._storage._key(key))

    def put(self, key: Any, value: Any) -> None:
        self._storage._kv_put({self._storage._key(key): value})

    def delete(self, key: Any) -> bool:
        return self._storage._kv_delete([self._storage._key(key)]) > 0

    def list(self, **options: Any) -> Iterator[list[Any]]:
        return iter([[k, v] for k, v in self._storage._kv_list(**options).items()])


class StorageTransaction:
    """The ``txn`` handed to ``storage.transaction(fn)``."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self._storage = storage
        self.rolled_back = False

    async def get(self, keys: Any, **options: Any) -> Any:
        return await self._storage.get(keys, **options)

    async def put(self, key: Any, value: Any = _MISSING, **options: Any) -> None:
        await self._storage.put(key, value, **options)

    async def delete(self, keys: Any, **options: Any) -> Any:
        return await self._storage.delete(keys, **options)

    async def list(self, **options: Any) -> JsDict:
        return await self._storage.list(**options)

    async def getAlarm(self, **options: Any) -> int | None:  # noqa: N802 (JS name)
        return await self._storage.getAlarm(**options)

    async def setAlarm(self, scheduled_time: Any, **options: Any) -> None:  # noqa: N802 (JS name)
        await self._storage.setAlarm(scheduled_time, **options)

    async def deleteAlarm(self, **options: Any) -> None:  # noqa: N802 (JS name)
        await self._storage.deleteAlarm(**options)

    def rollback(self) -> None:
        self.rolled_back = True


AlarmListener = Callable[[int | None], None]


class DurableObjectStorage:
    """``ctx.storage`` of one object instance, on the object's own SQLite file.

    ``alarm_listener(at_ms | None)`` is told about every committed alarm change (the
    namespace registers it with the Scheduler); ``alarm_handler_check()`` says whether the
    object's class has an ``alarm`` handler (``setAlarm`` refuses otherwise, as production);
    ``input_gate`` is the object's gate, which ``transaction`` holds while its callback runs.
    """

    def __init__(
        self,
        services: RuntimeServices,
        db_path: Path | str,
        *,
        alarm_listener: AlarmListener | None = None,
        alarm_handler_check: Callable[[], bool] | None = None,
        input_gate: InputGate | None = None,
    ) -> None:
        self.services = services
        self._input_gate = input_gate
        self.db_path = Path(db_path)
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        self._alarm_listener = alarm_listener
        self._alarm_handler_check = alarm_handler_check
        # timeout=0: never block the event loop on a lock; there is one writer per object.
        self._conn = sqlite3.connect(self.db_path, isolation_level=None, timeout=0)
        self._trusted = 0
        self._denied: str | None = None
        self._txn_depth = 0
        self._savepoint_seq = 0
        self._conn.set_authorizer(self._authorize)
        for limit, value in _LIMITS.items():
            self._conn.setlimit(limit, value)
        with self._trusting():
            # WAL + NORMAL: a commit survives a crash of the process (eviction, restart).
            self._conn.execute("PRAGMA journal_mode=WAL" + _INTERNAL)
            self._conn.execute("PRAGMA synchronous=NORMAL" + _INTERNAL)
        self._kv_ready = self._table_exists("_cf_KV")
        self.sql = SqlStorage(self)
        self.kv = SyncKvStorage(self)

    # --- plumbing ------------------------------------------------------------------------

    def close(self) -> None:
        self._conn.close()

    @property
    def closed(self) -> bool:
        try:
            self._conn.total_changes  # noqa: B018 (raises on a closed connection)
        except sqlite3.ProgrammingError:
            return True
        return False

    def _authorize(
        self,
        action: int,
        arg1: str | None,
        arg2: str | None,
        db_name: str | None,
        _source: str | None,
    ) -> int:
        if self._trusted:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            self._denied = TRANSACTION_REFUSED
            return sqlite3.SQLITE_DENY
        # The same workerd authorizer D1 runs under (reserved _cf_ names, allowlisted
        # functions and pragmas, no ATTACH, no temp objects).
        return (
            sqlite3.SQLITE_OK if d1_authorize(action, arg1, arg2, db_name) else sqlite3.SQLITE_DENY
        )

    @contextmanager
    def _trusting(self, *, big_values: bool = False) -> Iterator[None]:
        self._trusted += 1
        if big_values:
            self._conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, _INTERNAL_LENGTH_LIMIT)
        try:
            yield
        finally:
            self._trusted -= 1
            if big_values:
                self._conn.setlimit(
                    sqlite3.SQLITE_LIMIT_LENGTH, _LIMITS[sqlite3.SQLITE_LIMIT_LENGTH]
                )

    def _internal(
        self, sql: str, params: tuple[Any, ...] | list[Any] = ()
    ) -> list[tuple[Any, ...]]:
        with self._trusting():
            return self._conn.execute(sql + _INTERNAL, params).fetchall()

    def _table_exists(self, name: str) -> bool:
        return bool(
            self._internal("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """A savepoint: commits on success (when outermost), rolls back on any exception."""
        self._savepoint_seq += 1
        name = f"_cf_sp_{self._savepoint_seq}"
        self._internal(f"SAVEPOINT {name}")
        self._txn_depth += 1
        try:
            yield
        except BaseException:
            self._internal(f"ROLLBACK TO {name}")
            self._internal(f"RELEASE {name}")
            self._txn_depth -= 1
            self._after_transaction()
            raise
        self._internal(f"RELEASE {name}")
        self._txn_depth -= 1
        self._after_transaction()

    def _after_transaction(self) -> None:
        if self._txn_depth == 0:
            # Committed or rolled back: the scheduler follows whatever alarm is now stored.
            self._kv_ready = self._table_exists("_cf_KV")
            self._notify_alarm()

    # --- SQL -----------------------------------------------------------------------------

    def _exec_user(self, query: str, params: list[Any]) -> SqlCursor:
        if len(query.encode("utf-8")) > MAX_STATEMENT_BYTES:
            raise _error("statement too long: SQLITE_TOOBIG")
        statements = split_statements(query)
        if not statements:
            raise _error("SQL code did not contain a statement.")
        rows_read = rows_written = 0
        columns: list[str] = []
        rows: list[tuple[Any, ...]] = []
        for index, statement in enumerate(statements):
            last = index == len(statements) - 1
            before = self._conn.total_changes
            self._denied = None
            cursor = self._conn.cursor()
            try:
                cursor.execute(statement, params if last else ())
                if last:
                    rows = cursor.fetchall()
                    columns = [d[0] for d in cursor.description or ()]
                else:
                    # workerd steps an intermediate statement once and discards its rows.
                    cursor.fetchone()
            except sqlite3.ProgrammingError as exc:
                if "bindings" not in str(exc):
                    raise _error(str(exc)) from None
                if not last:
                    raise _error(
                        "When executing multiple SQL statements in a single call, only the last "
                        "statement can have parameters."
                    ) from None
                raise _error("Wrong number of parameter bindings for SQL query.") from None
            except sqlite3.Error as exc:
                if self._denied is not None:
                    raise _error(self._denied) from None
                raise _sqlite_error(exc) from None
            finally:
                cursor.close()
            changes = self._conn.total_changes - before
            rows_written += changes
            rows_read += len(rows) if last else 0
            if _first_keyword(statement) in ("UPDATE", "DELETE"):
                rows_read += changes  # a row is read before it is changed
        self.services.stats.incr("do.storage_rows_read", rows_read)
        self.services.stats.incr("do.storage_rows_written", rows_written)
        return SqlCursor(columns, rows, rows_read, rows_written)

    def _database_size(self) -> int:
        page_count = self._internal("PRAGMA page_count")[0][0]
        free_count = self._internal("PRAGMA freelist_count")[0][0]
        page_size = self._internal("PRAGMA page_size")[0][0]
        return int((page_count - free_count) * page_size)

    # --- key-value API -------------------------------------------------------------------

    def _key(self, key: Any) -> str:
        if isinstance(key, str):
            return key
        # A non-string key reaches jsg as a JS value and is coerced to a string.
        return js_string(to_rpc(key))

    def _keys(self, keys: list[Any]) -> list[str]:
        if len(keys) > MAX_KEYS_PER_CALL:
            raise _error(
                f"Maximum number of keys is {MAX_KEYS_PER_CALL}. You provided {len(keys)}."
            )
        return [self._key(k) for k in keys]

    def _ensure_kv(self) -> None:
        if not self._kv_ready:
            self._internal(
                "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID"
            )
            self._kv_ready = True

    def _kv_get(self, key: str) -> Any:
        self.services.stats.incr("do.storage_rows_read")
        if not self._kv_ready:
            return None
        found = self._internal("SELECT value FROM _cf_KV WHERE key = ?", (key,))
        return deserialize(found[0][0]) if found else None

    def _kv_put(self, entries: dict[str, Any]) -> None:
        encoded: list[tuple[str, bytes]] = []
        for key, value in entries.items():
            data = serialize(value)
            if len(key.encode("utf-8")) + _approx_clone_bytes(to_rpc(value)) > MAX_KV_ENTRY_BYTES:
                raise _error("string or blob too big: SQLITE_TOOBIG")
            encoded.append((key, data))
        self._ensure_kv()
        with self._atomic(), self._trusting(big_values=True):
            self._conn.executemany(
                "INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)" + _INTERNAL, encoded
            )
        self.services.stats.incr("do.storage_rows_written", len(encoded))

    def _kv_delete(self, keys: list[str]) -> int:
        self.services.stats.incr("do.storage_rows_written", len(keys))
        if not self._kv_ready:
            return 0
        deleted = 0
        with self._atomic():
            for key in keys:
                before = self._conn.total_changes
                self._internal("DELETE FROM _cf_KV WHERE key = ?", (key,))
                deleted += self._conn.total_changes - before
        return deleted

    def _kv_list(
        self,
        *,
        start: str | None = None,
        startAfter: str | None = None,  # noqa: N803 (JS name)
        end: str | None = None,
        prefix: str | None = None,
        reverse: bool = False,
        limit: int | None = None,
        **_ignored: Any,
    ) -> JsDict:
        if limit is not None and (not isinstance(limit, (int, float)) or limit <= 0):
            raise _error("List limit must be positive.")
        if not self._kv_ready:
            return JsDict()
        clauses: list[str] = []
        params: list[Any] = []
        if start is not None:
            clauses.append("key >= ?")
            params.append(self._key(start))
        if startAfter is not None:
            clauses.append("key > ?")
            params.append(self._key(startAfter))
        if end is not None:
            clauses.append("key < ?")
            params.append(self._key(end))
        if prefix:
            clauses.append("key >= ?")
            params.append(prefix)
            upper = _prefix_upper_bound(prefix)
            if upper is not None:
                clauses.append("key < ?")
                params.append(upper)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if reverse else "ASC"
        out = JsDict()
        with self._trusting():
            cursor = self._conn.execute(
                f"SELECT key, value FROM _cf_KV {where} ORDER BY key {order}" + _INTERNAL, params
            )
            try:
                for key, value in cursor:
                    if prefix and not key.startswith(prefix):
                        continue
                    dict.__setitem__(out, key, deserialize(value))
                    if limit is not None and len(out) >= limit:
                        break
            finally:
                cursor.close()
        self.services.stats.incr("do.storage_rows_read", len(out))
        return out

    async def get(self, keys: Any, **options: Any) -> Any:
        """``get(key)`` -> value or None; ``get([keys])`` -> JsDict of the keys found."""
        if isinstance(keys, list):
            wanted = self._keys(keys)
            found = JsDict()
            for key in sorted(set(wanted)):
                value = self._kv_get(key)
                if value is not None or self._kv_has(key):
                    dict.__setitem__(found, key, value)
            return found
        return self._kv_get(self._key(keys))

    def _kv_has(self, key: str) -> bool:
        return self._kv_ready and bool(self._internal("SELECT 1 FROM _cf_KV WHERE key = ?", (key,)))

    async def put(self, key: Any, value: Any = _MISSING, **options: Any) -> None:
        """``put(key, value)`` or ``put({key: value, ...})`` (atomic, at most 128 entries)."""
        if isinstance(key, dict):
            if value is not _MISSING:
                raise TypeError("put() with an object of entries takes no separate value")
            keys = self._keys(list(key))
            self._kv_put(dict(zip(keys, key.values(), strict=True)))
            return
        if value is _MISSING:
            raise TypeError("put() called with undefined value")
        self._kv_put({self._key(key): value})

    async def delete(self, keys: Any, **options: Any) -> bool | int:
        """``delete(key)`` -> whether it existed; ``delete([keys])`` -> how many existed."""
        if isinstance(keys, list):
            return self._kv_delete(self._keys(keys))
        return self._kv_delete([self._key(keys)]) > 0

    async def list(self, **options: Any) -> JsDict:
        """Entries ordered by key: ``start``, ``startAfter``, ``end``, ``prefix``, ``reverse``, ``limit``."""
        return self._kv_list(**options)

    async def deleteAll(self, **options: Any) -> None:  # noqa: N802 (JS name)
        """Remove every table, index, view and key; the alarm is kept (as documented)."""
        objects = self._internal(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != '_cf_METADATA'"
        )
        with self._atomic():
            for kind, name, _sql in objects:
                if kind == "view":
                    self._internal(f'DROP VIEW IF EXISTS "{name}"')
            for kind, name, sql in objects:
                if kind == "table" and (sql or "").upper().startswith("CREATE VIRTUAL"):
                    self._internal(f'DROP TABLE IF EXISTS "{name}"')
            for kind, name, _sql in objects:
                if kind == "table":
                    self._internal(f'DROP TABLE IF EXISTS "{name}"')
        self._kv_ready = False

    async def sync(self) -> None:
        """Writes are already durable when they return: nothing to wait for."""

    # --- transactions --------------------------------------------------------------------

    def transactionSync(self, fn: Callable[[], Any]) -> Any:  # noqa: N802 (JS name)
        """Run ``fn()`` atomically; any exception rolls everything back and propagates."""
        if not callable(fn):
            raise TypeError("transactionSync() requires a function")
        with self._atomic():
            result = fn()
            if inspect.isawaitable(result):
                if inspect.iscoroutine(result):
                    result.close()
                # Production would commit before the awaitable ran; refusing it is kinder.
                raise TypeError("transactionSync() callback must be synchronous; use transaction()")
        return result

    async def transaction(self, fn: Callable[[StorageTransaction], Any]) -> Any:
        """Run ``fn(txn)`` atomically; an exception or ``txn.rollback()`` undoes its writes.

        ``fn`` runs as a critical section of the object's input gate (workerd: the callback
        runs inside ``blockConcurrencyWhile``), so nothing else writes into the open savepoint
        even if ``fn`` awaits I/O. Unlike ``blockConcurrencyWhile``, an exception in ``fn`` only
        rolls back and propagates: the object is not reset.
        """
        gate = self._input_gate
        if gate is None:
            return await self._transaction(fn)
        return await gate.run_section(gate.begin(), lambda: self._transaction(fn))

    async def _transaction(self, fn: Callable[[StorageTransaction], Any]) -> Any:
        txn = StorageTransaction(self)

        class _RolledBack(Exception):
            pass

        outcome: Any = None
        try:
            with self._atomic():
                outcome = fn(txn)
                if inspect.isawaitable(outcome):
                    outcome = await outcome
                if txn.rolled_back:
                    raise _RolledBack
        except _RolledBack:
            pass
        return outcome

    # --- alarms --------------------------------------------------------------------------

    def _ensure_metadata(self) -> None:
        self._internal(
            "CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)"
        )

    def alarm_state(self) -> tuple[int | None, int]:
        """``(alarm_ms or None, retry_count)`` as stored."""
        if not self._table_exists("_cf_METADATA"):
            return None, 0
        stored = dict(
            self._internal(
                "SELECT key, value FROM _cf_METADATA WHERE key IN (?, ?)",
                (ALARM_KEY, ALARM_RETRY_KEY),
            )
        )
        at_ms = stored.get(ALARM_KEY)
        return (int(at_ms) if at_ms is not None else None), int(stored.get(ALARM_RETRY_KEY) or 0)

    def set_alarm_state(self, at_ms: int | None, retry_count: int = 0) -> None:
        """Store the alarm (and the retry it is on); tell the listener once committed."""
        self._ensure_metadata()
        with self._atomic():
            self._internal(
                "INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)", (ALARM_KEY, at_ms)
            )
            self._internal(
                "INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)",
                (ALARM_RETRY_KEY, retry_count),
            )
        self.services.stats.incr("do.storage_rows_written")

    def _notify_alarm(self) -> None:
        if self._alarm_listener is not None:
            self._alarm_listener(self.alarm_state()[0])

    async def getAlarm(self, **options: Any) -> int | None:  # noqa: N802 (JS name)
        """The scheduled alarm in ms since the epoch, or None."""
        return self.alarm_state()[0]

    async def setAlarm(self, scheduled_time: Any, **options: Any) -> None:  # noqa: N802 (JS name)
        """Set the object's one alarm (ms since the epoch, or a datetime); replaces any other."""
        if self._alarm_handler_check is not None and not self._alarm_handler_check():
            raise _error(
                "Your Durable Object class must have an alarm() handler in order to call setAlarm()"
            )
        self.set_alarm_state(_alarm_ms(scheduled_time), 0)

    async def deleteAlarm(self, **options: Any) -> None:  # noqa: N802 (JS name)
        self.set_alarm_state(None, 0)


def _alarm_ms(scheduled_time: Any) -> int:
    if isinstance(scheduled_time, dt.datetime):
        aware = scheduled_time if scheduled_time.tzinfo else scheduled_time.replace(tzinfo=dt.UTC)
        return math.floor(aware.timestamp() * 1000)
    if isinstance(scheduled_time, (int, float)) and not isinstance(scheduled_time, bool):
        if not math.isfinite(scheduled_time):
            raise TypeError("setAlarm() requires a finite time")
        return math.floor(scheduled_time)
    raise TypeError("setAlarm() requires a number of milliseconds since the epoch or a datetime")


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``, if any."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000  # surrogates cannot be stored as UTF-8
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


def read_stored_alarm(db_path: Path) -> tuple[int | None, int]:
    """The alarm stored in an object's file, read without opening the object (for restarts)."""
    conn = sqlite3.connect(db_path, timeout=0)
    try:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_cf_METADATA'"
        ).fetchall()
        if not exists:
            return None, 0
        stored = dict(
            conn.execute(
                "SELECT key, value FROM _cf_METADATA WHERE key IN (?, ?)",
                (ALARM_KEY, ALARM_RETRY_KEY),
            ).fetchall()
        )
    finally:
        conn.close()
    at_ms = stored.get(ALARM_KEY)
    return (int(at_ms) if at_ms is not None else None), int(stored.get(ALARM_RETRY_KEY) or 0)
