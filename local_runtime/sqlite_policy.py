"""workerd's SQLite policy: the one set of rules D1 and Durable Object storage run user SQL under.

Both products run on workerd's ``SqliteDatabase`` (``src/workerd/util/sqlite.c++``), which
miniflare's local D1 runs under as well: an authorizer for untrusted SQL (``isAuthorized``:
allowlisted functions and pragmas, ``_cf_*`` names reserved, no ATTACH, no temp objects,
BEGIN/SAVEPOINT refused in favour of the JavaScript transaction APIs) and the limits of
``setupSecurity``. This module holds those rules once, plus what both bindings do around them:
splitting SQL text into statements as SQLite's prepare-tail loop does, formatting SQLite errors
as workerd does, and ``GuardedDatabase``, a connection whose user SQL is policed while the
runtime's own bookkeeping SQL runs trusted. ``open_state_database`` opens the plain state files
of the other bindings (KV, R2, the Cache API).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

# D1 and Durable Object limits pages: "Maximum SQL statement length 100,000 bytes" (100 KB),
# "Maximum bound parameters per query 100"; workerd's setupSecurity sets the same two limits.
MAX_STATEMENT_BYTES = 100_000
MAX_BOUND_PARAMETERS = 100

# workerd SqlStorage::allowTransactions(): BEGIN, COMMIT, ROLLBACK, SAVEPOINT and RELEASE are
# refused with this message (D1 adds "D1_ERROR: ").
TRANSACTION_REFUSED = (
    "To execute a transaction, please use the state.storage.transaction() or "
    "state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT "
    "statements. The JavaScript API is safer because it will automatically roll back on "
    "exceptions, and because it interacts correctly with Durable Objects' automatic atomic "
    "write coalescing."
)

# workerd's messages for statements it refuses before or while binding them.
STATEMENT_TOO_LONG = "statement too long: SQLITE_TOOBIG"
WRONG_PARAMETER_COUNT = "Wrong number of parameter bindings for SQL query."
PARAMETERS_ONLY_ON_LAST = (
    "When executing multiple SQL statements in a single call, only the last statement can have "
    "parameters."
)

# Appended to the runtime's own statements so that user SQL with the same text never reuses a
# statement prepared (and authorized) in trusted mode from sqlite3's statement cache: the
# authorizer only runs when a statement is prepared.
INTERNAL_MARKER = " /* grove-local internal */"

# sqlite3.connect(timeout=...) of files another process may hold (e.g. `grove migrate` while
# `grove dev` runs): how long to wait on its lock.
BUSY_TIMEOUT_S = 5.0


def security_limits(value_bytes: int) -> dict[int, int]:
    """workerd SqliteDatabase::setupSecurity limits, with the product's value size limit."""
    return {
        sqlite3.SQLITE_LIMIT_LENGTH: value_bytes,
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


# --- the authorizer ------------------------------------------------------------------------------

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
    # Both products keep their own bookkeeping in `_cf_*` tables; user SQL may not touch them.
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


def is_authorized(action: int, arg1: str | None, arg2: str | None, db_name: str | None) -> bool:
    """Whether workerd lets untrusted SQL perform ``action`` (sqlite3 authorizer arguments).

    Transactions are refused here too; ``GuardedDatabase`` reports them with workerd's message.
    """
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
    # Everything else is refused: ATTACH/DETACH, BEGIN/COMMIT/ROLLBACK and SAVEPOINT, temp
    # tables/indexes/triggers/views.
    return False


# --- SQL text ------------------------------------------------------------------------------------


def has_tokens(sql: str) -> bool:
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
            if has_tokens(candidate):
                statements.append(candidate)
            start = semi + 1
        semi = sql.find(";", semi + 1)
    rest = sql[start:]
    if has_tokens(rest):
        statements.append(rest)
    return statements


def too_long(sql: str) -> bool:
    return len(sql.encode("utf-8")) > MAX_STATEMENT_BYTES


# --- errors --------------------------------------------------------------------------------------

# Primary result code names (sqlite3.h).
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


def error_detail(exc: sqlite3.Error, *, extended: bool) -> str:
    """workerd's dbErrorMessage: SQLite's message and its primary result code name; D1 also
    names the extended code (``UNIQUE constraint failed: t.s: SQLITE_CONSTRAINT (extended:
    SQLITE_CONSTRAINT_UNIQUE)``)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return str(exc)
    detail = f"{exc}: {_PRIMARY_CODE_NAMES.get(code & 0xFF, 'SQLITE_ERROR')}"
    if extended and code > 0xFF:
        detail += f" (extended: {getattr(exc, 'sqlite_errorname', code)})"
    return detail


# --- connections ---------------------------------------------------------------------------------


def open_state_database(
    path: Path, *, synchronous: str | None = None, timeout_s: float = BUSY_TIMEOUT_S
) -> sqlite3.Connection:
    """A state file of the local runtime, in autocommit mode and WAL (so the CLI and a running
    dev server can share it); ``synchronous`` as the binding's durability needs."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=timeout_s, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    if synchronous is not None:
        conn.execute(f"PRAGMA synchronous={synchronous}")
    return conn


@contextmanager
def immediate_transaction(
    conn: sqlite3.Connection, run: Callable[[str], object] | None = None
) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (the write lock up front, so a read agrees with the write that
    follows), ``COMMIT`` on success, ``ROLLBACK`` on any exception. ``run`` executes those three
    statements (default: ``conn.execute``)."""
    execute = run or conn.execute
    execute("BEGIN IMMEDIATE")
    try:
        yield
        execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            execute("ROLLBACK")
        raise


class GuardedDatabase:
    """A SQLite file whose user SQL runs under workerd's authorizer and limits.

    The runtime's own SQL (``internal``, or anything inside ``trusting()``) bypasses the
    authorizer. ``denied`` holds workerd's own message when the authorizer refused something
    that workerd reports with a message of its own (transactions); callers reset it with
    ``clear_denied()`` before each user statement.
    """

    def __init__(
        self,
        path: Path,
        *,
        value_limit_bytes: int,
        timeout_s: float,
        synchronous: str | None = None,
        foreign_keys: bool = False,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._trusted = 1
        self.denied: str | None = None
        self._limits = security_limits(value_limit_bytes)
        self.conn = open_state_database(self.path, synchronous=synchronous, timeout_s=timeout_s)
        if foreign_keys:
            self.conn.execute("PRAGMA foreign_keys=ON")
        for limit, value in self._limits.items():
            self.conn.setlimit(limit, value)
        self.conn.set_authorizer(self._authorize)
        self._trusted = 0

    def close(self) -> None:
        self.conn.close()

    def clear_denied(self) -> None:
        self.denied = None

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, db_name: str | None, _src: str | None
    ) -> int:
        if self._trusted:
            return sqlite3.SQLITE_OK
        if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
            # workerd throws its own error here instead of SQLite's "not authorized".
            self.denied = TRANSACTION_REFUSED
            return sqlite3.SQLITE_DENY
        if is_authorized(action, arg1, arg2, db_name):
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    @contextmanager
    def trusting(self, *, value_limit_bytes: int | None = None) -> Iterator[None]:
        """The runtime's own SQL; ``value_limit_bytes`` raises the value size limit meanwhile."""
        self._trusted += 1
        if value_limit_bytes is not None:
            self.conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, value_limit_bytes)
        try:
            yield
        finally:
            self._trusted -= 1
            if value_limit_bytes is not None:
                self.conn.setlimit(
                    sqlite3.SQLITE_LIMIT_LENGTH, self._limits[sqlite3.SQLITE_LIMIT_LENGTH]
                )

    def internal(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        """Run the runtime's own SQL past the authorizer and return its rows."""
        with self.trusting():
            return self.conn.execute(sql + INTERNAL_MARKER, params).fetchall()

    def immediate_transaction(self) -> AbstractContextManager[None]:
        return immediate_transaction(self.conn, self.internal)

    def table_exists(self, name: str) -> bool:
        return bool(
            self.internal("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )
