"""The local D1 binding: one SQLite file per database, with D1's call shapes, limits and authorizer.

Production path being reproduced: Python code calls the SDK-wrapped JS binding
(workerd ``src/cloudflare/internal/d1-api.ts``), which JSON-encodes statements and parameters,
sends them to D1, and the SDK converts the JSON answer back to Python (``JsDict`` rows, lists
for arrays). Here ``D1Engine`` is the synchronous SQLite core (what D1's backend does) and
``D1Database`` / ``D1PreparedStatement`` are the async binding surface (what the SDK shows).

Sources for the rules below: workerd ``d1-api.ts`` (bind type checks, result shapes, error
prefixes), workerd ``src/workerd/util/sqlite.c++`` (authorizer allowlists and limits, which
miniflare's local D1 also runs under) and miniflare's ``database.worker.js`` (result meta,
blobs as arrays of byte values, one transaction per call).
"""

from __future__ import annotations

import math
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from local_runtime.conversion import MAX_SAFE_INTEGER, JsException, becomes_bigint
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices

# A value D1 can bind once it has crossed into JS: null, number, string, or a byte array (blob).
# Parameters from bind() are always floats (JS numbers); the runtime's own queries may use ints.
SqlValue = None | int | float | str | bytes

SERVED_BY = "grove-local"
MAX_STATEMENT_BYTES = 100_000  # D1 limits: "Maximum SQL statement length 100,000 bytes"
MAX_BOUND_PARAMETERS = 100  # D1 limits: "Maximum bound parameters per query 100"
MAX_VALUE_BYTES = 2_000_000  # D1 limits: "Maximum string, BLOB or table row size 2,000,000 bytes"

# workerd SqlStorage::allowTransactions(), which miniflare's D1 runs under: BEGIN, COMMIT,
# ROLLBACK, SAVEPOINT and RELEASE are refused with this message (D1 adds "D1_ERROR: ").
TRANSACTION_REFUSED = (
    "To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
    "statements. The JavaScript API is safer because it will automatically roll back on "
    "exceptions, and because it interacts correctly with Durable Objects' automatic atomic "
    "write coalescing."
)

# Marks the runtime's own bookkeeping queries so they never share a cached prepared statement
# with identical user SQL (the authorizer only runs when a statement is prepared).
_INTERNAL = " /* grove-local internal */"

# sqlite3.connect(timeout=...): how long to wait on a lock held by another connection to the
# same file (e.g. `grove migrate` while `grove dev` runs).
_BUSY_TIMEOUT_S = 5.0


class D1Error(JsException):
    """A D1 failure, message shaped like production's (``D1_ERROR: <sqlite message>: <code>``).

    Production's d1-api.ts throws a plain JS ``Error`` for every D1 failure, which reaches
    Python as pyodide's ``JsException``; so this is a ``JsException`` (``name`` "Error"), and
    neither a ``TypeError`` nor a ``ValueError``.
    """

    def __init__(self, message: str, *, detail: str | None = None, query_index: int = 0) -> None:
        super().__init__(message, name="Error")
        # The upstream error without the binding's prefix (what D1 itself reported).
        self.detail = detail if detail is not None else message
        # Which query of a batch / exec failed (0 for single statements).
        self.query_index = query_index

    @classmethod
    def upstream(cls, detail: str) -> D1Error:
        """An error D1 itself reported, as the binding rethrows it (``D1_ERROR: ...``)."""
        return cls(f"D1_ERROR: {detail}", detail=detail)


class D1TypeError(D1Error):
    """``D1_TYPE_ERROR``: bind() got a value D1 cannot store.

    Not a ``TypeError``: d1-api.ts throws ``new Error("D1_TYPE_ERROR: ...")``, so production
    code sees a ``JsException`` that ``except TypeError`` does not catch.
    """


# ---------------------------------------------------------------------------------------------
# Authorizer: workerd's SqliteDatabase::isAuthorized for an untrusted regulator with
# transactions disallowed (D1 runs every call in its own transaction; BEGIN/SAVEPOINT refused).

# workerd sqlite.c++ ALLOWED_SQLITE_FUNCTIONS. Deliberately absent, as there: sqlite_version,
# sqlite_source_id, sqlite_compileoption_get/used, sqlite_offset.
ALLOWED_FUNCTIONS: frozenset[str] = frozenset(
    """
    abs changes char coalesce concat concat_ws format glob hex ifnull iif instr last_insert_rowid
    length like likelihood likely load_extension lower ltrim max_scalar min_scalar nullif
    octet_length printf quote random randomblob replace round rtrim sign soundex substr substring
    total_changes trim typeof unhex unicode unlikely upper zeroblob
    date time datetime julianday unixepoch strftime timediff current_date current_time
    current_timestamp
    avg count group_concat max min string_agg sum total
    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value
    nth_value
    acos acosh asin asinh atan atan2 atanh ceil cos cosh degrees exp floor ln log log2 mod pi pow
    radians sin sinh sqrt tan tanh trunc
    json json_array json_array_length json_extract -> ->> json_insert json_object json_patch
    json_remove json_replace json_set json_type json_valid json_quote json_group_array
    json_group_object json_each json_tree
    match highlight bm25 snippet
    sqlite_rename_column sqlite_rename_table sqlite_rename_test sqlite_drop_column
    sqlite_rename_quotefix
    """.split()
)

# workerd sqlite.c++ ALLOWED_PRAGMAS (name -> argument signature); table_list, table_info and
# table_xinfo are handled separately, as there. D1's docs list the same set.
_NO_ARG, _BOOLEAN, _OBJECT, _OPTIONAL_OBJECT, _NULL_OR_INT, _NULL_INT_OR_OBJECT = range(6)
ALLOWED_PRAGMAS: Mapping[str, int] = {
    "data_version": _NO_ARG,
    "case_sensitive_like": _BOOLEAN,
    "foreign_keys": _BOOLEAN,
    "defer_foreign_keys": _BOOLEAN,
    "ignore_check_constraints": _BOOLEAN,
    "legacy_alter_table": _BOOLEAN,
    "recursive_triggers": _BOOLEAN,
    "reverse_unordered_selects": _BOOLEAN,
    "foreign_key_check": _OPTIONAL_OBJECT,
    "foreign_key_list": _OBJECT,
    "index_info": _OBJECT,
    "index_list": _OBJECT,
    "index_xinfo": _OBJECT,
    "quick_check": _NULL_INT_OR_OBJECT,
    "optimize": _NULL_OR_INT,
}

_BOOLEAN_PREFIXES = ("true", "false", "yes", "no", "on", "off", "1", "0")


def _allowed_name(name: str | None) -> bool:
    # D1 keeps its own bookkeeping in `_cf_*` tables; user SQL may not touch them.
    return name is not None and not name.lower().startswith("_cf_")


def _parses_as_int(text: str, *, unsigned: bool) -> bool:
    try:
        value = int(text.strip(), 10)
    except ValueError:
        return False
    return value >= 0 if unsigned else -(2**31) <= value < 2**31


def _pragma_allowed(pragma: str, arg: str | None) -> bool:
    name = pragma.lower()
    if name == "table_list":
        return True
    if name in ("table_info", "table_xinfo"):
        return arg is not None and _allowed_name(arg)
    signature = ALLOWED_PRAGMAS.get(name)
    if signature is None:
        return False
    if signature == _NO_ARG:
        return arg is None
    if signature == _BOOLEAN:
        if arg is None:
            return True  # reading the current value
        value = arg
        if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
            value = value[1:-1]
        # workerd compares prefixes case-insensitively (strncasecmp); so do we.
        return value.lower().startswith(_BOOLEAN_PREFIXES)
    if signature == _OBJECT:
        return arg is not None and _allowed_name(arg)
    if signature == _OPTIONAL_OBJECT:
        return arg is None or _allowed_name(arg)
    if signature == _NULL_OR_INT:
        return arg is None or _parses_as_int(arg, unsigned=False)
    # _NULL_INT_OR_OBJECT
    return arg is None or _parses_as_int(arg, unsigned=True) or _allowed_name(arg)


def d1_authorize(action: int, arg1: str | None, arg2: str | None, db_name: str | None) -> bool:
    """Whether D1 lets user SQL perform ``action`` (sqlite3 authorizer arguments)."""
    if action in (sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_DETACH):
        # SQLite passes the database name first for these two; workerd swaps them back.
        db_name, arg1, arg2 = arg1, arg2, db_name
    if db_name == "temp":
        return action in (sqlite3.SQLITE_READ, sqlite3.SQLITE_UPDATE) and _allowed_name(arg1)
    if db_name is not None and db_name != "main":
        return False  # no attached databases

    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_ANALYZE):
        return True
    if action in (
        sqlite3.SQLITE_CREATE_TABLE,
        sqlite3.SQLITE_DELETE,
        sqlite3.SQLITE_DROP_TABLE,
        sqlite3.SQLITE_INSERT,
        sqlite3.SQLITE_CREATE_VIEW,
        sqlite3.SQLITE_DROP_VIEW,
        sqlite3.SQLITE_REINDEX,
        sqlite3.SQLITE_ALTER_TABLE,
        sqlite3.SQLITE_READ,
        sqlite3.SQLITE_UPDATE,
    ):
        return _allowed_name(arg1)
    if action in (
        sqlite3.SQLITE_CREATE_INDEX,
        sqlite3.SQLITE_DROP_INDEX,
        sqlite3.SQLITE_CREATE_TRIGGER,
        sqlite3.SQLITE_DROP_TRIGGER,
    ):
        return _allowed_name(arg1) and _allowed_name(arg2)
    if action == sqlite3.SQLITE_PRAGMA:
        return arg1 is not None and _pragma_allowed(arg1, arg2)
    if action == sqlite3.SQLITE_FUNCTION:
        return arg2 is not None and arg2.lower() in ALLOWED_FUNCTIONS
    if action in (sqlite3.SQLITE_CREATE_VTABLE, sqlite3.SQLITE_DROP_VTABLE):
        return arg2 is not None and arg2.lower() in ("fts5", "fts5vocab")
    # Everything else is refused: ATTACH/DETACH, BEGIN/COMMIT/ROLLBACK and SAVEPOINT (D1 wraps
    # each call in its own transaction; use batch()), temp tables/indexes/triggers/views.
    return False


# ---------------------------------------------------------------------------------------------
# SQL text helpers


def _has_tokens(sql: str) -> bool:
    """Whether ``sql`` holds anything besides whitespace, semicolons and comments."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch.isspace() or ch == ";":
            i += 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end == -1 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end == -1 else end + 2
        else:
            return True
    return False


def split_statements(sql: str) -> list[str]:
    """Split SQL text into statements the way SQLite's prepare-tail loop would.

    ``sqlite3.complete_statement`` knows about quotes, comments and trigger bodies
    (``BEGIN ... END;``), so a ``;`` only ends a statement where SQLite would end it.
    Pieces holding nothing but comments/whitespace are dropped.
    """
    statements: list[str] = []
    start = 0
    semi = sql.find(";")
    while semi != -1:
        candidate = sql[start : semi + 1]
        if sqlite3.complete_statement(candidate):
            if _has_tokens(candidate):
                statements.append(candidate)
            start = semi + 1
        semi = sql.find(";", semi + 1)
    rest = sql[start:]
    if _has_tokens(rest):
        statements.append(rest)
    return statements


# Primary result code names (sqlite3.h); D1 appends the code name to SQLite's message.
_PRIMARY_CODE_NAMES = {
    1: "SQLITE_ERROR",
    2: "SQLITE_INTERNAL",
    3: "SQLITE_PERM",
    4: "SQLITE_ABORT",
    5: "SQLITE_BUSY",
    6: "SQLITE_LOCKED",
    7: "SQLITE_NOMEM",
    8: "SQLITE_READONLY",
    9: "SQLITE_INTERRUPT",
    10: "SQLITE_IOERR",
    11: "SQLITE_CORRUPT",
    12: "SQLITE_NOTFOUND",
    13: "SQLITE_FULL",
    14: "SQLITE_CANTOPEN",
    15: "SQLITE_PROTOCOL",
    16: "SQLITE_EMPTY",
    17: "SQLITE_SCHEMA",
    18: "SQLITE_TOOBIG",
    19: "SQLITE_CONSTRAINT",
    20: "SQLITE_MISMATCH",
    21: "SQLITE_MISUSE",
    22: "SQLITE_NOLFS",
    23: "SQLITE_AUTH",
    24: "SQLITE_FORMAT",
    25: "SQLITE_RANGE",
    26: "SQLITE_NOTADB",
}


def _detail_of(exc: sqlite3.Error) -> str:
    """SQLite's message plus its result code, formatted as workerd formats it
    (``UNIQUE constraint failed: t.s: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)``).
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return str(exc)
    detail = f"{exc}: {_PRIMARY_CODE_NAMES.get(code & 0xFF, 'SQLITE_ERROR')}"
    if code > 0xFF:
        detail += f" (extended: {getattr(exc, 'sqlite_errorname', code)})"
    return detail


# ---------------------------------------------------------------------------------------------
# Values crossing the JS boundary


def _sdk_to_js_check(value: Any) -> None:
    # The SDK's python_to_rpc refuses these before D1 ever sees them (a Python TypeError).
    if isinstance(value, (tuple, bytearray)):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")


def _js_string(value: Any) -> str:
    """Roughly JS ``String(value)`` for the D1_TYPE_ERROR message."""
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_error(js_type: str, value: Any) -> D1TypeError:
    detail = f"Type '{js_type}' not supported for value '{_js_string(value)}'"
    return D1TypeError(f"D1_TYPE_ERROR: {detail}", detail=detail)


def _number_for_js(value: float) -> SqlValue:
    # Parameters reach D1 as JSON (d1-api.ts JSON.stringify): NaN/Infinity serialise as null
    # and -0 as 0. D1 parses the JSON back into JS numbers and binds each one as a double
    # (REAL), whatever its value: verified on miniflare (workerd's SQLite, the stack D1 runs on),
    # where 2.0, 42 and true are all stored with typeof 'real'.
    if not math.isfinite(value):
        return None
    return value if value != 0 else 0.0


def to_d1_param(value: Any) -> SqlValue:
    """Convert one bind() argument the way Pyodide + the SDK + d1-api.ts bind() + D1 do.

    Every number is bound as a REAL: ``42`` is stored as 42.0 (``typeof`` 'real'; into a TEXT
    column it reads back ``'42.0'``), ``True`` as 1.0. An INTEGER column's affinity still turns
    such a value back into an integer.
    """
    _sdk_to_js_check(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int subclass
        return 1.0 if value else 0.0  # JS true/false: bind() turns them into the numbers 1/0
    if isinstance(value, int):
        if becomes_bigint(value):  # Pyodide makes it a BigInt, which bind() refuses
            raise _type_error("bigint", value)
        return float(value)
    if isinstance(value, float):
        return _number_for_js(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)  # becomes a Uint8Array, which bind() turns into a blob
    if isinstance(value, list):
        # bind() accepts a JS array of numbers in [0, 256) as a blob.
        if all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 256 for b in value
        ):
            return bytes(int(b) for b in value)
        raise _type_error("object", value)
    raise _type_error("object", value)


def _from_sqlite(value: Any) -> Any:
    """A column value as production's Python code receives it (via JSON and Pyodide)."""
    if isinstance(value, bytes):
        # D1 returns blobs as arrays of byte values; the SDK turns the array into a list.
        return list(value)
    if isinstance(value, int):
        # D1 returns an INTEGER as a JS number (a double). Pyodide makes a safe integer an int;
        # beyond +-(2**53 - 1) the value arrives as a float, rounded as the double was
        # (9223372036854775807 -> 9.223372036854776e+18, 2**53 + 1 -> 9007199254740992.0).
        return value if abs(value) <= MAX_SAFE_INTEGER else float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        # Pyodide converts an integral JS Number (Number.isSafeInteger) to int: REAL 2.0 -> 2.
        return int(value)
    return value


# ---------------------------------------------------------------------------------------------
# The synchronous engine


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
    """One D1 database file: D1's limits and authorizer, one transaction per call."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._trusted = True
        # Set by the authorizer when it refuses with a message of its own (transactions).
        self._denied: str | None = None
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=_BUSY_TIMEOUT_S, check_same_thread=False
        )
        self._conn = conn
        # WAL lets the CLI (migrations) and a running dev server share the file.
        conn.execute("PRAGMA journal_mode=WAL")
        # D1 enforces foreign keys.
        conn.execute("PRAGMA foreign_keys=ON")
        self._page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        # workerd SqliteDatabase::setupSecurity limits (miniflare's D1 runs under them), with
        # the value size at D1's documented 2,000,000 bytes.
        for limit, value in (
            (sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES),
            (sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_STATEMENT_BYTES),
            (sqlite3.SQLITE_LIMIT_COLUMN, 100),
            (sqlite3.SQLITE_LIMIT_EXPR_DEPTH, 100),
            (sqlite3.SQLITE_LIMIT_COMPOUND_SELECT, 5),
            (sqlite3.SQLITE_LIMIT_VDBE_OP, 25_000),
            (sqlite3.SQLITE_LIMIT_FUNCTION_ARG, 127),
            (sqlite3.SQLITE_LIMIT_ATTACHED, 0),
            (sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 50),
            (sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, MAX_BOUND_PARAMETERS),
            (sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 10),
        ):
            conn.setlimit(limit, value)
        conn.set_authorizer(self._authorize)
        self._trusted = False

    # -- public --------------------------------------------------------------------------------

    def run_queries(self, queries: Sequence[D1Query]) -> list[QueryResult]:
        """Run ``queries`` in one transaction; all commit or none does (D1 batch semantics).

        Raises ``D1Error`` (``query_index`` says which query failed) after rolling back.
        """
        if not queries:
            raise D1Error.upstream("No SQL statements detected.")
        try:
            self._internal("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # e.g. another process holds the write lock
            raise D1Error.upstream(_detail_of(exc)) from exc
        results: list[QueryResult] = []
        try:
            for index, query in enumerate(queries):
                try:
                    results.append(self._run_one(query))
                except D1Error as exc:
                    exc.query_index = index
                    raise
            try:
                # Deferred foreign key violations surface here.
                self._internal("COMMIT")
            except sqlite3.Error as exc:
                error = D1Error.upstream(_detail_of(exc))
                error.query_index = len(queries) - 1
                raise error from exc
        except BaseException:
            if self._conn.in_transaction:
                self._internal("ROLLBACK")
            raise
        return results

    def close(self) -> None:
        self._conn.close()

    # -- internals -----------------------------------------------------------------------------

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, db_name: str | None, _src: str | None
    ) -> int:
        if self._trusted:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            # workerd throws its own error here instead of SQLite's "not authorized".
            self._denied = TRANSACTION_REFUSED
            return sqlite3.SQLITE_DENY
        if d1_authorize(action, arg1, arg2, db_name):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    def _internal(self, sql: str) -> list[tuple[Any, ...]]:
        """Run the runtime's own SQL past the authorizer (transactions, size, rowid)."""
        self._trusted = True
        try:
            return self._conn.execute(sql + _INTERNAL).fetchall()
        finally:
            self._trusted = False

    def _size_bytes(self) -> int:
        return int(self._internal("PRAGMA page_count")[0][0]) * self._page_size

    def _last_row_id(self) -> int:
        return int(self._internal("SELECT last_insert_rowid()")[0][0])

    def _run_one(self, query: D1Query) -> QueryResult:
        if len(query.sql.encode("utf-8")) > MAX_STATEMENT_BYTES:
            raise D1Error.upstream("statement too long: SQLITE_TOOBIG")
        statements = split_statements(query.sql)
        if not statements:
            raise D1Error.upstream("No SQL statements detected.")
        before_changes = self._conn.total_changes
        before_row_id = self._last_row_id()
        before_size = self._size_bytes()
        started = time.perf_counter()  # measures real SQL work, not simulated time
        rows_read = 0
        columns: list[str] = []
        rows: list[list[Any]] = []
        try:
            for position, statement in enumerate(statements):
                last = position == len(statements) - 1
                self._denied = None
                try:
                    cursor = self._conn.execute(statement, query.params if last else ())
                except sqlite3.ProgrammingError as exc:
                    if "Incorrect number of bindings" not in str(exc):
                        raise
                    detail = (
                        "Wrong number of parameter bindings for SQL query."
                        if last
                        else "When executing multiple SQL statements in a single call, only the "
                        "last statement can have parameters."
                    )
                    raise D1Error.upstream(detail) from exc
                fetched = cursor.fetchall()
                # rows_read counts rows returned, not rows scanned as D1 does (sqlite3 does not
                # expose SQLite's scan counters); an honest lower bound.
                rows_read += len(fetched)
                if last:
                    columns = [d[0] for d in cursor.description or ()]
                    rows = [[_from_sqlite(v) for v in row] for row in fetched]
        except sqlite3.Error as exc:
            if self._denied is not None:
                raise D1Error.upstream(self._denied) from exc
            raise D1Error.upstream(_detail_of(exc)) from exc
        duration_ms = (time.perf_counter() - started) * 1000.0
        changes = self._conn.total_changes - before_changes
        last_row_id = self._last_row_id()
        size_after = self._size_bytes()
        meta = {
            "served_by": SERVED_BY,
            "served_by_region": "LOCAL",
            "served_by_primary": True,
            "timings": JsDict(sql_duration_ms=duration_ms),
            "duration": duration_ms,
            "changes": changes,
            "last_row_id": last_row_id,
            "changed_db": changes != 0 or last_row_id != before_row_id or size_after != before_size,
            "size_after": size_after,
            "rows_read": rows_read,
            # rows_written is the change count; D1 also counts index entries written.
            "rows_written": changes,
        }
        return QueryResult(columns=columns, rows=rows, meta=meta)


# ---------------------------------------------------------------------------------------------
# The binding surface


def _result_dict(result: QueryResult) -> JsDict:
    return JsDict(results=result.row_objects(), success=True, meta=JsDict(result.meta))


class D1PreparedStatement:
    """``db.prepare(sql)``: immutable; ``bind`` returns a new statement."""

    def __init__(
        self, database: D1Database, statement: str, params: Sequence[SqlValue] = ()
    ) -> None:
        self._database = database
        self.statement = statement
        self.params: tuple[SqlValue, ...] = tuple(params)

    def bind(self, *values: Any) -> D1PreparedStatement:
        return D1PreparedStatement(self._database, self.statement, [to_d1_param(v) for v in values])

    def _query(self) -> D1Query:
        return D1Query(self.statement, self.params)

    async def all(self) -> JsDict:
        (result,) = await self._database._execute([self._query()])
        return _result_dict(result)

    async def run(self) -> JsDict:
        # Same shape as all(), as miniflare answers it (results included).
        (result,) = await self._database._execute([self._query()])
        return _result_dict(result)

    async def first(self, colName: str | None = None) -> Any:  # noqa: N803 (JS name)
        (result,) = await self._database._execute([self._query()])
        rows = result.row_objects()
        if not rows:
            return None
        row = rows[0]
        if colName is None:
            return row
        if colName not in row:
            raise D1Error(
                f"D1_COLUMN_NOTFOUND: Column not found ({colName})", detail="Column not found"
            )
        return row[colName]

    async def raw(
        self,
        options: Mapping[str, Any] | None = None,
        *,
        columnNames: bool | None = None,  # noqa: N803
    ) -> list[list[Any]]:
        """Rows as lists; ``raw(columnNames=True)`` (or ``raw({"columnNames": True})``) puts
        the column names first."""
        with_names = bool(columnNames) or bool(options and options.get("columnNames"))
        (result,) = await self._database._execute([self._query()])
        head = [list(result.columns)] if with_names else []
        return head + [list(row) for row in result.rows]


class D1Database:
    """The ``env.DB`` binding: a SQLite file at ``<state>/d1/<database_id>.sqlite3``."""

    def __init__(self, services: RuntimeServices, name: str, database_id: str) -> None:
        self.name = name
        self.database_id = database_id
        self._services = services
        self.path = services.path("d1", f"{database_id}.sqlite3")
        self.engine = D1Engine(self.path)

    def prepare(self, query: str) -> D1PreparedStatement:
        if not isinstance(query, str):
            raise TypeError(f"prepare() takes SQL text, not {type(query).__name__}")
        return D1PreparedStatement(self, query)

    async def batch(self, statements: list[D1PreparedStatement]) -> list[JsDict]:
        """Run statements in one transaction: all results, or an error and nothing committed."""
        _sdk_to_js_check(statements)
        statements = list(statements)
        for stmt in statements:
            if not isinstance(stmt, D1PreparedStatement):
                raise TypeError(f"batch() takes prepared statements, not {type(stmt).__name__}")
        self._services.stats.incr("d1.batches")
        results = await self._execute([s._query() for s in statements])
        return [_result_dict(r) for r in results]

    async def exec(self, query: str) -> JsDict:
        """Run SQL text line by line (d1-api.ts splits on newlines; no bindings).

        Each line is one D1 query, so a statement spanning several lines fails as in
        production. Blank and comment-only lines are skipped, as miniflare does. The lines run
        in one transaction (miniflare's behaviour); on error nothing is committed.
        """
        lines = query.strip().split("\n")
        numbered = [(n, line) for n, line in enumerate(lines, start=1) if _has_tokens(line)]
        try:
            results = await self._execute([D1Query(line) for _, line in numbered])
        except D1Error as exc:
            if not numbered:
                raise
            n, line = numbered[exc.query_index]
            detail = f"Error in line {n}: {line}: {exc.detail}"
            raise D1Error(f"D1_EXEC_ERROR: {detail}", detail=detail) from exc
        return JsDict(count=len(results), duration=sum(r.meta["duration"] for r in results))

    def close(self) -> None:
        self.engine.close()

    async def _execute(self, queries: list[D1Query]) -> list[QueryResult]:
        async with self._services.io():
            # One modelled round trip per call: a batch or exec is a single request to D1.
            self._services.model("d1_query")
            self._services.stats.incr("d1.queries", len(queries))
            try:
                results = self.engine.run_queries(queries)
            except sqlite3.ProgrammingError as exc:  # e.g. the database was closed
                raise D1Error.upstream(str(exc)) from exc
        self._services.stats.incr("d1.rows_read", sum(r.meta["rows_read"] for r in results))
        self._services.stats.incr("d1.rows_written", sum(r.meta["rows_written"] for r in results))
        return results
