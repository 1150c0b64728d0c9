"""D1's backend for one database file: one transaction per call, workerd's SQLite policy.

What D1 itself does with the statements the binding sends (miniflare's ``database.worker.js``
as the reading: result meta, blobs as arrays of byte values, one transaction per call), under
workerd's authorizer and limits (``local_runtime.sqlite_policy``) with D1's value size limit.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_runtime.bindings.d1.errors import D1Error
from local_runtime.bindings.d1.values import SqlValue, from_sqlite
from local_runtime.sdk_types import JsDict
from local_runtime.sqlite_policy import (
    BUSY_TIMEOUT_S,
    PARAMETERS_ONLY_ON_LAST,
    STATEMENT_TOO_LONG,
    WRONG_PARAMETER_COUNT,
    GuardedDatabase,
    error_detail,
    split_statements,
    too_long,
)

SERVED_BY = "grove-local"
MAX_VALUE_BYTES = 2_000_000  # D1 limits: "Maximum string, BLOB or table row size 2,000,000 bytes"


def _upstream(exc: sqlite3.Error) -> D1Error:
    return D1Error.upstream(error_detail(exc, extended=True))


@dataclass(frozen=True)
class D1Query:
    """One query as D1 receives it: SQL text (possibly several statements) and its parameters."""

    sql: str
    params: tuple[SqlValue, ...] = ()


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    meta: dict[str, Any] = field(default_factory=dict)

    def row_objects(self) -> list[JsDict]:
        # Object.fromEntries semantics: with duplicate column names the last one wins.
        return [JsDict(zip(self.columns, row, strict=True)) for row in self.rows]


class D1Engine:
    """One D1 database file: D1's limits and authorizer, one transaction per call.

    ``size_after`` is this connection's view: a write by another process (``grove migrate``
    beside a running ``grove dev``) shows in it at this connection's next write.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        # D1 enforces foreign keys; WAL lets the CLI (migrations) and a running dev server
        # share the file.
        self._db = GuardedDatabase(
            self.path, value_limit_bytes=MAX_VALUE_BYTES, timeout_s=BUSY_TIMEOUT_S, foreign_keys=True
        )
        self._conn = self._db.conn
        self._page_size = int(self._db.internal("PRAGMA page_size")[0][0])
        # The size as of this connection's last look: re-read only after a query that may have
        # written (see _run_one), so a read costs no statement beyond its own.
        self._size_bytes = self._read_size_bytes()

    # -- public --------------------------------------------------------------------------------

    def run_queries(self, queries: Sequence[D1Query]) -> list[QueryResult]:
        """Run ``queries`` in one transaction; all commit or none does (D1 batch semantics).

        Raises ``D1Error`` (``query_index`` says which query failed) after rolling back.
        """
        if not queries:
            raise D1Error.upstream("No SQL statements detected.")
        results: list[QueryResult] = []
        try:
            with self._db.immediate_transaction():
                for index, query in enumerate(queries):
                    try:
                        results.append(self._run_one(query))
                    except D1Error as exc:
                        exc.query_index = index
                        raise
        except sqlite3.Error as exc:
            # BEGIN (another process holds the write lock) or COMMIT (deferred foreign key
            # violations surface there, blamed on the last query).
            self._after_rollback()
            error = _upstream(exc)
            error.query_index = len(queries) - 1 if results else 0
            raise error from exc
        except BaseException:
            self._after_rollback()
            raise
        return results

    def close(self) -> None:
        self._db.close()

    def stored_bytes(self) -> int:
        """The database's size as D1 bills it (pages in use, read now)."""
        return self._read_size_bytes()

    # -- internals -----------------------------------------------------------------------------

    def _read_size_bytes(self) -> int:
        """What workerd's local D1 reports as ``size_after``: its ``sql.databaseSize``, pages in
        use times the page size (workerd ``src/workerd/api/sql.c++``, ``getDatabaseSize``:
        ``page_count - freelist_count``), read once instead of before and after every query."""
        rows = self._db.internal("SELECT (SELECT * FROM pragma_page_count) - (SELECT * FROM pragma_freelist_count)")
        return int(rows[0][0]) * self._page_size

    def _after_rollback(self) -> None:
        # A rolled-back query may have grown the file first: look again.
        with contextlib.suppress(sqlite3.Error):
            self._size_bytes = self._read_size_bytes()

    def _run_one(self, query: D1Query) -> QueryResult:
        if too_long(query.sql):
            raise D1Error.upstream(STATEMENT_TOO_LONG)
        statements = split_statements(query.sql)
        if not statements:
            raise D1Error.upstream("No SQL statements detected.")
        before_changes = self._conn.total_changes
        # A statement that returns no rows (DDL, or DML without RETURNING) may change the file
        # even when it changes no row (CREATE TABLE counts no change); a row-returning one
        # changes it only through the rows it changes, which total_changes counts.
        may_write = False
        last_row_id = 0
        started = time.perf_counter()  # measures real SQL work, not simulated time
        rows_read = 0
        columns: list[str] = []
        rows: list[list[Any]] = []
        try:
            for position, statement in enumerate(statements):
                last = position == len(statements) - 1
                self._db.clear_denied()
                try:
                    cursor = self._conn.execute(statement, query.params if last else ())
                except sqlite3.ProgrammingError as exc:
                    if "Incorrect number of bindings" not in str(exc):
                        raise
                    detail = WRONG_PARAMETER_COUNT if last else PARAMETERS_ONLY_ON_LAST
                    raise D1Error.upstream(detail) from exc
                fetched = cursor.fetchall()
                may_write = may_write or cursor.description is None
                # sqlite3_last_insert_rowid() after the statement (CPython's sqlite3 reads it
                # after every execute): what workerd's D1 asks SQLite with a statement.
                last_row_id = int(cursor.lastrowid or 0)
                # rows_read counts rows returned, not rows scanned as D1 does (sqlite3 does not
                # expose SQLite's scan counters); an honest lower bound.
                rows_read += len(fetched)
                if last:
                    columns = [d[0] for d in cursor.description or ()]
                    rows = [[from_sqlite(v) for v in row] for row in fetched]
        except sqlite3.Error as exc:
            if self._db.denied is not None:
                raise D1Error.upstream(self._db.denied) from exc
            raise _upstream(exc) from exc
        duration_ms = (time.perf_counter() - started) * 1000.0
        changes = self._conn.total_changes - before_changes
        # workerd's local D1 (miniflare's D1DatabaseObject) runs `SELECT total_changes(),
        # last_insert_rowid()` and reads databaseSize before and after each query: four extra
        # statements. The same figures here: total_changes and lastrowid are fields of the
        # connection and cursor, and the size is read only when the query may have written.
        before_size = self._size_bytes
        if changes or may_write:
            self._size_bytes = self._read_size_bytes()
        size_after = self._size_bytes
        meta = {
            "served_by": SERVED_BY,
            "served_by_region": "LOCAL",
            "served_by_primary": True,
            "timings": JsDict(sql_duration_ms=duration_ms),
            "duration": duration_ms,
            "changes": changes,
            "last_row_id": last_row_id,
            # workerd also compares last_insert_rowid before and after: it moves only with an
            # insert, which total_changes counts, so `changes != 0` covers it.
            "changed_db": changes != 0 or size_after != before_size,
            "size_after": size_after,
            "rows_read": rows_read,
            # rows_written is the change count; D1 also counts index entries written.
            "rows_written": changes,
        }
        return QueryResult(columns=columns, rows=rows, meta=meta)
