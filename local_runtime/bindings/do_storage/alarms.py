"""A Durable Object's one alarm, kept in its SQLite file (``_cf_METADATA``, as workerd's
``util/sqlite-metadata.c++``), so it survives eviction and restart.

``AlarmStore`` reads and writes the alarm (and, locally only, which retry it is on) and tells
its listener, once committed, whenever the stored alarm may have changed (the namespace keeps
the scheduler in step). ``read_stored_alarm`` reads a file without opening the object (after a
restart).
"""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from local_runtime.bindings.do_storage.database import ObjectDatabase
from local_runtime.js_values import datetime_to_ms
from local_runtime.stats import Stats

ALARM_KEY = 1  # _cf_METADATA row of the alarm (as workerd's SqliteMetadata)
ALARM_RETRY_KEY = 2  # local only: how many retries the pending alarm is on

AlarmListener = Callable[[int | None], None]

_READ_ALARM = "SELECT key, value FROM _cf_METADATA WHERE key IN (?, ?)"


def _alarm_state(rows: list[tuple[Any, ...]]) -> tuple[int | None, int]:
    stored = dict(rows)
    at_ms = stored.get(ALARM_KEY)
    return (int(at_ms) if at_ms is not None else None), int(stored.get(ALARM_RETRY_KEY) or 0)


def alarm_ms(scheduled_time: Any) -> int:
    """``setAlarm``'s argument in ms since the epoch (a number, or a datetime as the SDK sends it)."""
    if isinstance(scheduled_time, dt.datetime):
        return datetime_to_ms(scheduled_time)
    if isinstance(scheduled_time, (int, float)) and not isinstance(scheduled_time, bool):
        if not math.isfinite(scheduled_time):
            raise TypeError("setAlarm() requires a finite time")
        return math.floor(scheduled_time)
    raise TypeError("setAlarm() requires a number of milliseconds since the epoch or a datetime")


class AlarmStore:
    """The alarm row of one object's file."""

    def __init__(self, db: ObjectDatabase, stats: Stats, listener: AlarmListener | None) -> None:
        self._db = db
        self._stats = stats
        self._listener = listener
        # Committed or rolled back: the scheduler follows whatever alarm is now stored.
        db.on_settle(self._notify)

    def state(self) -> tuple[int | None, int]:
        """``(alarm_ms or None, retry_count)`` as stored."""
        if not self._db.table_exists("_cf_METADATA"):
            return None, 0
        return _alarm_state(self._db.internal(_READ_ALARM, (ALARM_KEY, ALARM_RETRY_KEY)))

    def set_state(self, at_ms: int | None, retry_count: int = 0) -> None:
        """Store the alarm (and the retry it is on); the listener hears of it once committed."""
        self._db.internal(
            "CREATE TABLE IF NOT EXISTS _cf_METADATA (key INTEGER PRIMARY KEY, value BLOB)"
        )
        upsert = "INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)"
        with self._db.atomic():
            self._db.internal(upsert, (ALARM_KEY, at_ms))
            self._db.internal(upsert, (ALARM_RETRY_KEY, retry_count))
        self._stats.incr("do.storage_rows_written")

    def _notify(self) -> None:
        if self._listener is not None:
            self._listener(self.state()[0])


def read_stored_alarm(db_path: Path) -> tuple[int | None, int]:
    """The alarm stored in an object's file, read without opening the object (for restarts)."""
    conn = sqlite3.connect(db_path, timeout=0)
    try:
        exists = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_cf_METADATA'"
        ).fetchall()
        if not exists:
            return None, 0
        return _alarm_state(conn.execute(_READ_ALARM, (ALARM_KEY, ALARM_RETRY_KEY)).fetchall())
    finally:
        conn.close()
