"""``ctx.storage.sql``: user SQL on the object's file, and the cursors it returns.

``exec(query, *bindings)`` is synchronous and returns a cursor. Several statements may be
given; bindings apply to the last one, and the cursor is the last one's. User SQL runs under
workerd's authorizer and limits (``local_runtime.sqlite_policy``). Bindings are what workerd
accepts once a value is in JS: null, string, number (a double: an ``int`` is bound as a REAL, so
``5`` stored in a TEXT column reads back ``'5.0'``), or bytes; anything else is turned into a
string (``True`` becomes ``'true'``), as production does. Values read back become JS numbers
and then Python numbers again (``local_runtime.js_values.through_js_number``).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from local_runtime.bindings.do_storage.database import ObjectDatabase, sqlite_error, storage_error
from local_runtime.conversion import to_rpc
from local_runtime.js_values import MAX_SAFE_INTEGER, js_string, through_js_number
from local_runtime.sdk_types import JsDict
from local_runtime.sqlite_policy import (
    PARAMETERS_ONLY_ON_LAST,
    STATEMENT_TOO_LONG,
    WRONG_PARAMETER_COUNT,
    split_statements,
    too_long,
)
from local_runtime.stats import Stats


def sql_binding(value: Any) -> Any:
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

    def take(self) -> list[Any] | None:
        """The next row's values as Python sees them, or None at the end (shared with raw())."""
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return [through_js_number(v) for v in row]

    def _as_object(self, row: list[Any]) -> JsDict:
        # A JS object: a repeated column name keeps the last value.
        return JsDict(zip(self._columns, row, strict=True))

    def __iter__(self) -> SqlCursor:
        return self

    def __next__(self) -> JsDict:
        row = self.take()
        if row is None:
            raise StopIteration
        return self._as_object(row)

    def next(self) -> JsDict:
        row = self.take()
        if row is None:
            return JsDict(done=True, value=None)
        return JsDict(done=False, value=self._as_object(row))

    def toArray(self) -> list[JsDict]:  # noqa: N802 (JS name)
        return list(self)

    def one(self) -> JsDict:
        row = self.take()
        if row is None:
            raise storage_error("Expected exactly one result from SQL query, but got no results.")
        if self.take() is not None:
            self._pos = len(self._rows)
            raise storage_error(
                "Expected exactly one result from SQL query, but got multiple results."
            )
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
        row = self._cursor.take()
        if row is None:
            raise StopIteration
        return row

    def next(self) -> JsDict:
        row = self._cursor.take()
        if row is None:
            return JsDict(done=True, value=None)
        return JsDict(done=False, value=row)

    def toArray(self) -> list[list[Any]]:  # noqa: N802 (JS name)
        return list(self)

    @property
    def columnNames(self) -> list[str]:  # noqa: N802 (JS name)
        return self._cursor.columnNames


class SqlStorage:
    """``ctx.storage.sql``."""

    def __init__(self, db: ObjectDatabase, stats: Stats) -> None:
        self._db = db
        self._stats = stats

    def exec(self, query: str, *bindings: Any) -> SqlCursor:
        if not isinstance(query, str):
            raise TypeError("exec() requires a SQL string as its first argument")
        # The SDK converts every argument first (a tuple is refused before SQL sees it).
        params = [sql_binding(to_rpc(value)) for value in bindings]
        return self._run(query, params)

    @property
    def databaseSize(self) -> int:  # noqa: N802 (JS name)
        return self._db.size_bytes()

    def _run(self, query: str, params: list[Any]) -> SqlCursor:
        if too_long(query):
            raise storage_error(STATEMENT_TOO_LONG)
        statements = split_statements(query)
        if not statements:
            raise storage_error("SQL code did not contain a statement.")
        conn = self._db.conn
        rows_read = rows_written = 0
        columns: list[str] = []
        rows: list[tuple[Any, ...]] = []
        for index, statement in enumerate(statements):
            last = index == len(statements) - 1
            before = conn.total_changes
            self._db.clear_denied()
            cursor = conn.cursor()
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
                    raise storage_error(str(exc)) from None
                raise storage_error(WRONG_PARAMETER_COUNT if last else PARAMETERS_ONLY_ON_LAST) from None
            except sqlite3.Error as exc:
                if self._db.denied is not None:
                    raise storage_error(self._db.denied) from None
                raise sqlite_error(exc) from None
            finally:
                cursor.close()
            changes = conn.total_changes - before
            rows_written += changes
            rows_read += len(rows) if last else 0
            if _first_keyword(statement) in ("UPDATE", "DELETE"):
                rows_read += changes  # a row is read before it is changed
        self._stats.incr("do.storage_rows_read", rows_read)
        self._stats.incr("do.storage_rows_written", rows_written)
        return SqlCursor(columns, rows, rows_read, rows_written)
