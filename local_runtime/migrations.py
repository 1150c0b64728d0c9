"""D1 migrations for the local runtime, bookkept exactly as ``wrangler d1 migrations apply`` does.

Wrangler (workers-sdk ``packages/wrangler/src/d1/migrations``) keeps applied migrations in a
``d1_migrations`` table (its exact DDL is reproduced below), lists ``*.sql`` files in the
migrations folder, applies the ones whose file name is not yet recorded in order of the number
before the first ``_``, and runs each file plus ``INSERT INTO d1_migrations (name) values
('<file name>')`` as one batch, i.e. one transaction: a failing migration leaves nothing behind
and is not recorded, migrations applied before it stay. Recording the same names the same way
means wrangler and this module agree on what has run, whichever of the two touched a database.

The SQL reaches D1 the way wrangler sends it (``executeSql`` -> ``splitSqlQuery``, reproduced
below as ``split_sql_query``): wrangler strips ``--`` and ``/* */`` comments while it splits
the file into statements, so a table's ``sqlite_master.sql`` holds no comments (a ``-- note``
at the end of a line leaves the spaces before it), and each statement is one query of a D1
batch.

Migrations run through the local D1 engine, so D1's authorizer and limits apply to them as they
do under wrangler. This is a CLI operation: it is synchronous and does not count towards the
runtime's D1 counters.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from local_runtime.bindings.d1 import D1Database, D1Engine, D1Error, D1Query

DEFAULT_MIGRATIONS_TABLE = "d1_migrations"


class MigrationError(Exception):
    """A migration failed; it was rolled back and not recorded."""

    def __init__(self, name: str, cause: D1Error | str) -> None:
        detail = cause.detail if isinstance(cause, D1Error) else cause
        super().__init__(f"Migration {name} failed: {detail}")
        self.name = name
        self.detail = detail


def _create_table_sql(table: str) -> str:
    # Byte for byte the DDL wrangler's initMigrationsTable runs, so sqlite_schema matches.
    return f"""CREATE TABLE IF NOT EXISTS {table}(
\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,
\t\tname       TEXT UNIQUE,
\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);"""


def _migration_number(name: str) -> float:
    # wrangler: parseInt(name.split("_")[0]). parseInt reads leading digits; no digits is NaN,
    # which wrangler's comparator treats as equal to everything. Such files go last here.
    head = name.split("_", 1)[0].lstrip()
    digits = ""
    for ch in head:
        if not ch.isdigit():
            break
        digits += ch
    return float(int(digits)) if digits else math.inf


def migration_files(migrations_dir: Path) -> list[str]:
    """The ``*.sql`` file names in ``migrations_dir``, in the order wrangler applies them."""
    names = [p.name for p in Path(migrations_dir).iterdir() if p.name.endswith(".sql")]
    return sorted(names, key=lambda n: (_migration_number(n), n))


# --- wrangler's SQL splitter (workers-sdk packages/wrangler/src/d1/trimmer.ts, splitter.ts) ----

_SEVERAL_TRANSACTIONS = (
    "Wrangler could not process the provided SQL file, as it contains several transactions.\n"
    "D1 runs your SQL in a transaction for you.\n"
    "Please export an SQL file from your SQLite database and try again."
)

# What JS String.prototype.trim() and the regex class \s treat as white space.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_S = f"[{_JS_SPACE}]"
# /\s(BEGIN|CASE)\s$/i and /\sEND[;\s]$/ (JS `$` without the m flag is the very end: \Z).
_COMPOUND_START = re.compile(rf"{_S}(BEGIN|CASE){_S}\Z", re.IGNORECASE | re.ASCII)
_COMPOUND_END = re.compile(rf"{_S}END[;{_JS_SPACE}]\Z")


class _SplitError(Exception):
    pass


def trim_sql_query(sql: str) -> str:
    """wrangler's trimSqlQuery: D1 already wraps the SQL in a transaction, so the first
    ``BEGIN TRANSACTION;`` and the first ``COMMIT;`` are removed; a second transaction is
    refused."""
    if "BEGIN TRANSACTION" not in sql:
        return sql
    trimmed = sql.replace("BEGIN TRANSACTION;", "", 1).replace("COMMIT;", "", 1)
    if "BEGIN TRANSACTION" in trimmed:
        raise _SplitError(_SEVERAL_TRANSACTIONS)
    return trimmed


def _may_contain_multiple_statements(sql: str) -> bool:
    trimmed = sql.rstrip(_JS_SPACE)
    semicolon = trimmed.find(";")
    return semicolon not in (-1, len(trimmed) - 1)


def split_sql_query(sql: str) -> list[str]:
    """wrangler's splitSqlQuery: the queries ``wrangler d1 execute`` / ``migrations apply``
    send to D1 for a piece of SQL text (comments stripped, one statement per query, no
    trailing semicolons). Text with no semicolon before its end is sent as it is."""
    trimmed = trim_sql_query(sql)
    if not _may_contain_multiple_statements(trimmed):
        return [trimmed]
    return _split_sql_into_statements(trimmed) or [trimmed]


def _consume_while(chars: Iterator[str], predicate: Callable[[str], bool]) -> str:
    # As wrangler's consumeWhile: the first character that fails the predicate is consumed
    # and kept too.
    text = ""
    for char in chars:
        text += char
        if not predicate(text):
            break
    return text


def _consume_until_marker(chars: Iterator[str], marker: str) -> str:
    return _consume_while(chars, lambda text: not text.endswith(marker))


def _is_dollar_quote_identifier(text: str) -> bool:
    # JS str.slice(-1) is one UTF-16 unit: the low surrogate of a character beyond U+FFFF,
    # which has no case, so such a character always ends the identifier.
    last = text[-1]
    if last == "$" or ord(last) > 0xFFFF:
        return False
    return last.isascii() and (last.isdigit() or last == "_") or last.lower() != last.upper()


def _split_sql_into_statements(sql: str) -> list[str]:
    """A port of wrangler's splitSqlIntoStatements, quirks included: quotes ('...', "...",
    `...`, $tag$...$tag$) are kept whole; ``--`` comments become a newline and ``/* */``
    comments vanish; ``;`` ends a statement unless inside BEGIN/CASE ... END."""
    statements: list[str] = []
    text = ""
    compound: list[Callable[[str], bool]] = []
    chars = iter(sql)
    nxt = next(chars, None)
    while nxt is not None:
        char = nxt
        if compound and compound[0](text + char):
            compound.pop(0)
        if char in "'\"`":
            text += char + _consume_until_marker(chars, char)
        elif char == "$":
            dollar_quote = "$" + _consume_while(chars, _is_dollar_quote_identifier)
            text += dollar_quote
            if dollar_quote.endswith("$"):
                text += _consume_until_marker(chars, dollar_quote)
        elif char == "-":
            nxt = next(chars, None)
            if nxt == "-":
                _consume_until_marker(chars, "\n")
                text += "\n"
            else:
                text += char
                continue  # `nxt` is the next character to look at
        elif char == "/":
            nxt = next(chars, None)
            if nxt == "*":
                _consume_until_marker(chars, "*/")
            else:
                text += char
                continue
        elif char == ";":
            if compound:
                text += char
            else:
                statements.append(text)
                text = ""
        else:
            text += char
        if _COMPOUND_START.search(text):
            compound.insert(0, lambda t: _COMPOUND_END.search(t) is not None)
        nxt = next(chars, None)
    statements.append(text)
    return [s for s in (statement.strip(_JS_SPACE) for statement in statements) if s]


def _migration_queries(sql: str, name: str, table: str) -> list[D1Query]:
    """The D1 batch wrangler sends for one migration file: the file plus its bookkeeping row."""
    # wrangler appends this text (its indentation included) without escaping the name; the
    # quote is doubled here so that a name holding one still records correctly.
    quoted_name = name.replace("'", "''")
    query = (
        sql + f"\n\t\t\t\t\t\t\t\tINSERT INTO {table} (name)\n"
        f"\t\t\t\t\t\t\t\tvalues ('{quoted_name}');\n\t\t\t\t\t\t"
    )
    try:
        return [D1Query(statement) for statement in split_sql_query(query)]
    except _SplitError as exc:
        raise MigrationError(name, str(exc)) from exc


def _open(db: Path | D1Database) -> tuple[D1Engine, bool]:
    if isinstance(db, D1Database):
        return db.engine, False
    return D1Engine(Path(db)), True


def _applied_names(engine: D1Engine, table: str) -> list[str]:
    exists = engine.run_queries(
        [D1Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (table,))]
    )[0]
    if not exists.rows:
        return []
    (result,) = engine.run_queries([D1Query(f"SELECT * FROM {table} ORDER BY id")])
    name_col = result.columns.index("name")
    return [row[name_col] for row in result.rows]


def _pending(engine: D1Engine, migrations_dir: Path, table: str) -> list[str]:
    applied = set(_applied_names(engine, table))
    return [name for name in migration_files(migrations_dir) if name not in applied]


def pending_migrations(
    db: Path | D1Database, migrations_dir: Path, *, table: str = DEFAULT_MIGRATIONS_TABLE
) -> list[str]:
    """File names of migrations not yet applied, in the order they would be applied."""
    engine, owned = _open(db)
    try:
        return _pending(engine, migrations_dir, table)
    finally:
        if owned:
            engine.close()


def apply_migrations(
    db: Path | D1Database, migrations_dir: Path, *, table: str = DEFAULT_MIGRATIONS_TABLE
) -> list[str]:
    """Apply pending migrations in order; returns the file names applied.

    ``db`` is a D1 SQLite file (created if missing) or an open ``D1Database``. Raises
    ``MigrationError`` at the first failing migration, after rolling that one back.
    """
    engine, owned = _open(db)
    try:
        engine.run_queries([D1Query(q) for q in split_sql_query(_create_table_sql(table))])
        applied: list[str] = []
        for name in _pending(engine, migrations_dir, table):
            sql = (Path(migrations_dir) / name).read_text("utf-8")
            queries = _migration_queries(sql, name, table)
            try:
                engine.run_queries(queries)
            except D1Error as exc:
                raise MigrationError(name, exc) from exc
            applied.append(name)
        return applied
    finally:
        if owned:
            engine.close()
