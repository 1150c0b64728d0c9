"""``ctx.storage`` of one Durable Object instance, on the object's own SQLite file.

Production path being reproduced: a SQLite-backed Durable Object owns a private SQLite
database (workerd ``api/sql.c++``, ``util/sqlite.c++``, ``util/sqlite-kv.c++``,
``util/sqlite-metadata.c++``); the SDK wraps ``ctx.storage`` so results reach Python through
``python_from_rpc``. The file's parts live next door: ``database`` (policy and savepoints),
``sql`` (``storage.sql``), ``kv`` (the key-value API's ``_cf_KV``), ``alarms``.

Storage never lets another event in (the input gate, ``local_runtime.gates``). The async
methods (``get``, ``put``, ``delete``, ``list``, ``getAlarm``, ...) do all their work
synchronously and never yield to the event loop, like workerd's SQLite-backed storage, whose
promises are already resolved when returned (``actor-state.c++``): nothing else can run
between two storage awaits. ``transaction(fn)`` may await anything inside ``fn``, so, as in
workerd (which runs it through ``blockConcurrencyWhile``), ``fn`` runs as a critical section
of the object's input gate: no other event or I/O completion gets in until it has finished.
An option these methods do not know fails loudly (``NotImplementedError``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_runtime.bindings.do_storage.alarms import AlarmListener, AlarmStore, alarm_ms
from local_runtime.bindings.do_storage.database import ObjectDatabase, storage_error
from local_runtime.bindings.do_storage.kv import (
    NO_OP_OPTIONS,
    KvTable,
    SyncKvStorage,
    storage_key,
    storage_keys,
)
from local_runtime.bindings.do_storage.sql import SqlStorage
from local_runtime.gates import InputGate
from local_runtime.js_values import refuse_unknown
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices

_MISSING = object()


def _options(options: dict[str, Any], what: str) -> None:
    refuse_unknown(options, what, NO_OP_OPTIONS)


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


class _RolledBack(Exception):
    pass


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
        self._alarm_handler_check = alarm_handler_check
        self._db = ObjectDatabase(self.db_path)
        # Registered in this order: the KV table is refreshed before the alarm is reported.
        self._kv = KvTable(self._db, services.stats)
        self._alarms = AlarmStore(self._db, services.stats, alarm_listener)
        self.sql = SqlStorage(self._db, services.stats)
        self.kv = SyncKvStorage(self._kv)

    def close(self) -> None:
        self._db.close()

    @property
    def closed(self) -> bool:
        return self._db.closed

    # --- key-value API -------------------------------------------------------------------

    async def get(self, keys: Any, **options: Any) -> Any:
        """``get(key)`` -> value or None; ``get([keys])`` -> JsDict of the keys found."""
        _options(options, "storage.get()")
        if isinstance(keys, list):
            return self._kv.get_many(storage_keys(keys))
        return self._kv.get(storage_key(keys))

    async def put(self, key: Any, value: Any = _MISSING, **options: Any) -> None:
        """``put(key, value)`` or ``put({key: value, ...})`` (atomic, at most 128 entries)."""
        _options(options, "storage.put()")
        if isinstance(key, dict):
            if value is not _MISSING:
                raise TypeError("put() with an object of entries takes no separate value")
            keys = storage_keys(list(key))
            self._kv.put(dict(zip(keys, key.values(), strict=True)))
            return
        if value is _MISSING:
            raise TypeError("put() called with undefined value")
        self._kv.put({storage_key(key): value})

    async def delete(self, keys: Any, **options: Any) -> bool | int:
        """``delete(key)`` -> whether it existed; ``delete([keys])`` -> how many existed."""
        _options(options, "storage.delete()")
        if isinstance(keys, list):
            return self._kv.delete(storage_keys(keys))
        return self._kv.delete([storage_key(keys)]) > 0

    async def list(self, **options: Any) -> JsDict:
        """Entries ordered by key: ``start``, ``startAfter``, ``end``, ``prefix``, ``reverse``, ``limit``."""
        return self._kv.list(options, "storage.list()")

    async def deleteAll(self, **options: Any) -> None:  # noqa: N802 (JS name)
        """Remove every table, index, view and key; the alarm is kept (as documented)."""
        _options(options, "storage.deleteAll()")
        internal = self._db.internal
        objects = internal(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name != '_cf_METADATA'"
        )
        with self._db.atomic():
            for kind, name, _sql in objects:
                if kind == "view":
                    internal(f'DROP VIEW IF EXISTS "{name}"')
            for kind, name, sql in objects:
                if kind == "table" and (sql or "").upper().startswith("CREATE VIRTUAL"):
                    internal(f'DROP TABLE IF EXISTS "{name}"')
            for kind, name, _sql in objects:
                if kind == "table":
                    internal(f'DROP TABLE IF EXISTS "{name}"')
        self._kv.forget()

    async def sync(self) -> None:
        """Writes are already durable when they return: nothing to wait for."""

    # --- transactions --------------------------------------------------------------------

    def transactionSync(self, fn: Callable[[], Any]) -> Any:  # noqa: N802 (JS name)
        """Run ``fn()`` atomically; any exception rolls everything back and propagates."""
        if not callable(fn):
            raise TypeError("transactionSync() requires a function")
        with self._db.atomic():
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
        outcome: Any = None
        try:
            with self._db.atomic():
                outcome = fn(txn)
                if inspect.isawaitable(outcome):
                    outcome = await outcome
                if txn.rolled_back:
                    raise _RolledBack
        except _RolledBack:
            pass
        return outcome

    # --- alarms --------------------------------------------------------------------------

    def alarm_state(self) -> tuple[int | None, int]:
        """``(alarm_ms or None, retry_count)`` as stored."""
        return self._alarms.state()

    def set_alarm_state(self, at_ms: int | None, retry_count: int = 0) -> None:
        """Store the alarm (and the retry it is on); tell the listener once committed."""
        self._alarms.set_state(at_ms, retry_count)

    async def getAlarm(self, **options: Any) -> int | None:  # noqa: N802 (JS name)
        """The scheduled alarm in ms since the epoch, or None."""
        _options(options, "storage.getAlarm()")
        return self._alarms.state()[0]

    async def setAlarm(self, scheduled_time: Any, **options: Any) -> None:  # noqa: N802 (JS name)
        """Set the object's one alarm (ms since the epoch, or a datetime); replaces any other."""
        _options(options, "storage.setAlarm()")
        if self._alarm_handler_check is not None and not self._alarm_handler_check():
            raise storage_error(
                "Your Durable Object class must have an alarm() handler in order to call setAlarm()"
            )
        self._alarms.set_state(alarm_ms(scheduled_time), 0)

    async def deleteAlarm(self, **options: Any) -> None:  # noqa: N802 (JS name)
        _options(options, "storage.deleteAlarm()")
        self._alarms.set_state(None, 0)
