"""Buffered flush: small writes kept in a Durable Object's own SQLite table and delivered to a
sink (D1) in batches by the object's alarm, retried with backoff until delivered.

- ``append(rows)`` stores the rows (synchronous SQL: durable before the event's reply goes
  out) and makes sure the alarm fires by the time the policy says a batch is due.
- ``run()``, called from the object's ``alarm()``, sends due batches oldest first. A batch
  leaves the table only after the sink returned, so a crash between delivery and removal
  sends it again: sinks must be idempotent (insert by each row's id, ignore duplicates).
- A sink failure keeps the rows, counts the failure in ``flush_state`` (which outlives the
  instance) and re-arms the alarm after the backoff (``grove.flush_policy``). Nothing is
  dropped, and the retries do not depend on the runtime's own alarm retries, which give up.

The buffer table needs an ``id TEXT PRIMARY KEY`` column and a column with each row's arrival
time in ms; rows leave in insertion order. Include ``BufferedFlush.SCHEMA`` in the object's
``SCHEMA``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, TypedDict

from grove.bindings import SqlCursor, SqlStorage, SqlValue
from grove.clock import now_ms
from grove.flush_policy import (
    FlushPolicy,
    FlushState,
    next_flush_at_ms,
    retry_delay_ms,
    should_send,
)

log = logging.getLogger("grove.buffered_flush")

# A buffered row: column name to value (the table's columns, ``id`` among them).
BufferRow = dict[str, SqlValue]
Sink = Callable[[list[BufferRow]], Awaitable[None]]

# Durable Object SQL takes at most 100 bound parameters per statement.
MAX_BOUND_PARAMETERS = 100


class AlarmOwner(Protocol):
    sql: SqlStorage

    async def schedule_alarm_by(self, at_ms: int) -> None: ...


class _CountRow(TypedDict):
    n: int


class _StateRow(TypedDict):
    failures: int
    retry_at_ms: int | None


class _OldestRow(TypedDict):
    at_ms: int


@dataclass(frozen=True)
class FlushReport:
    sent_batches: int
    sent_rows: int
    failed: bool
    pending: int


class BufferedFlush:
    SCHEMA: tuple[str, ...] = (
        """CREATE TABLE IF NOT EXISTS flush_state (
             buffer TEXT PRIMARY KEY,
             failures INTEGER NOT NULL,
             retry_at_ms INTEGER
           )""",
    )

    def __init__(
        self, owner: AlarmOwner, *, table: str, time_column: str, policy: FlushPolicy, sink: Sink
    ) -> None:
        if policy.batch_size > MAX_BOUND_PARAMETERS:
            raise ValueError(f"batch_size must be at most {MAX_BOUND_PARAMETERS}")
        self._owner = owner
        self._sql = owner.sql
        self._table = table
        self._time_column = time_column
        self.policy = policy
        self._sink = sink
        self._running = False
        # Kept in memory (loaded once per instance): every append would otherwise count the
        # whole table, which is what grows during a D1 outage.
        count: SqlCursor[_CountRow] = self._sql.exec(f"SELECT COUNT(*) AS n FROM {table}")
        self._pending = count.one()["n"]
        self._oldest_at_ms = self._read_oldest()
        state_cursor: SqlCursor[_StateRow] = self._sql.exec(
            "SELECT failures, retry_at_ms FROM flush_state WHERE buffer = ?", table
        )
        state = state_cursor.toArray()
        self._failures = state[0]["failures"] if state else 0
        self._retry_at_ms = state[0]["retry_at_ms"] if state else None

    @property
    def pending(self) -> int:
        return self._pending

    @property
    def failures(self) -> int:
        """Failed attempts in a row (0 after a success)."""
        return self._failures

    def next_due_ms(self) -> int | None:
        return next_flush_at_ms(self.policy, **self._state())

    async def append(self, rows: list[BufferRow]) -> None:
        """Store ``rows`` (dicts with the same keys, the table's columns), then arm the alarm."""
        if not rows:
            return
        columns = list(rows[0])
        per_statement = MAX_BOUND_PARAMETERS // len(columns)
        placeholders = "(" + ", ".join("?" * len(columns)) + ")"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            self._sql.exec(
                f"INSERT INTO {self._table} ({', '.join(columns)}) VALUES "
                + ", ".join([placeholders] * len(chunk)),
                *[row[column] for row in chunk for column in columns],
            )
        self._pending += len(rows)
        if self._oldest_at_ms is None:
            self._oldest_at_ms = min(self._arrival_ms(row) for row in rows)
        await self._arm()

    async def run(self) -> FlushReport:
        """Send what is due (at most ``max_batches_per_run`` batches), then re-arm."""
        if self._running:
            # A run is awaiting the sink (an alarm fired meanwhile); it re-arms when done.
            return FlushReport(0, 0, False, self._pending)
        self._running = True
        sent_batches = sent_rows = 0
        failed = False
        try:
            while sent_batches < self.policy.max_batches_per_run and self._due_now():
                batch: SqlCursor[BufferRow] = self._sql.exec(
                    f"SELECT * FROM {self._table} ORDER BY rowid LIMIT {int(self.policy.batch_size)}"
                )
                rows = batch.toArray()
                try:
                    await self._sink([dict(row) for row in rows])
                except Exception:
                    failed = True
                    self._record_failure()
                    log.warning(
                        "flush of %d rows from %s failed (%d in a row); retrying at %s",
                        len(rows), self._table, self._failures, self._retry_at_ms, exc_info=True,
                    )
                    break
                self._remove([row["id"] for row in rows])
                self._record_success()
                sent_batches += 1
                sent_rows += len(rows)
        finally:
            self._running = False
        await self._arm()
        return FlushReport(sent_batches, sent_rows, failed, self._pending)

    # --- internals -------------------------------------------------------------------------

    def _state(self) -> FlushState:
        """What the flush policy decides on."""
        return {
            "pending": self._pending,
            "oldest_at_ms": self._oldest_at_ms,
            "retry_at_ms": self._retry_at_ms,
            "now_ms": now_ms(),
        }

    def _arrival_ms(self, row: BufferRow) -> int:
        value = row[self._time_column]
        if not isinstance(value, int):
            raise TypeError(f"{self._table}.{self._time_column} must be an int (ms), got {value!r}")
        return value

    def _due_now(self) -> bool:
        return should_send(self.policy, **self._state())

    async def _arm(self) -> None:
        due_ms = self.next_due_ms()
        if due_ms is not None:
            await self._owner.schedule_alarm_by(due_ms)

    def _read_oldest(self) -> int | None:
        oldest: SqlCursor[_OldestRow] = self._sql.exec(
            f"SELECT {self._time_column} AS at_ms FROM {self._table} ORDER BY rowid LIMIT 1"
        )
        rows = oldest.toArray()
        return rows[0]["at_ms"] if rows else None

    def _remove(self, ids: list[SqlValue]) -> None:
        for start in range(0, len(ids), MAX_BOUND_PARAMETERS):
            chunk = ids[start : start + MAX_BOUND_PARAMETERS]
            self._sql.exec(
                f"DELETE FROM {self._table} WHERE id IN ({', '.join('?' * len(chunk))})", *chunk
            )
            # Only run() deletes, one run at a time: every id was in the table.
            self._pending -= len(chunk)
        self._oldest_at_ms = self._read_oldest()

    def _record_failure(self) -> None:
        self._failures += 1
        self._retry_at_ms = now_ms() + retry_delay_ms(self.policy, self._failures)
        self._sql.exec(
            "INSERT OR REPLACE INTO flush_state (buffer, failures, retry_at_ms) VALUES (?, ?, ?)",
            self._table,
            self._failures,
            self._retry_at_ms,
        )

    def _record_success(self) -> None:
        if self._failures or self._retry_at_ms is not None:
            self._failures, self._retry_at_ms = 0, None
            self._sql.exec("DELETE FROM flush_state WHERE buffer = ?", self._table)
