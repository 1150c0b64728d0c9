"""D1 migrations for the local runtime, bookkept exactly as ``wrangler d1 migrations apply`` does.

Wrangler (workers-sdk ``packages/wrangler/src/d1/migrations``) keeps applied migrations in a
``d1_migrations`` table (its exact DDL is reproduced below), lists ``*.sql`` files in the
migrations folder, applies the ones whose file name is not yet recorded in order of the number
before the first ``_``, and runs each file plus ``INSERT INTO d1_migrations (name) values
('<file name>')`` as one batch, i.e. one transaction: a failing migration leaves nothing behind
and is not recorded, migrations applied before it stay. Recording the same names the same way
means wrangler and this module agree on what has run, whichever of the two touched a database.

Migrations run through the local D1 engine, so D1's authorizer and limits apply to them as they
do under wrangler. This is a CLI operation: it is synchronous and does not count towards the
runtime's D1 counters.
"""

from __future__ import annotations

import math
from pathlib import Path

from local_runtime.bindings.d1 import D1Database, D1Engine, D1Error, D1Query, split_statements

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


def _trim_transaction(sql: str, name: str) -> str:
    # wrangler's trimSqlQuery: D1 already wraps the file in a transaction, so one
    # "BEGIN TRANSACTION;" / "COMMIT;" pair is removed; more than one is refused.
    if "BEGIN TRANSACTION" not in sql:
        return sql
    trimmed = sql.replace("BEGIN TRANSACTION;", "", 1).replace("COMMIT;", "", 1)
    if "BEGIN TRANSACTION" in trimmed:
        raise MigrationError(
            name,
            "the SQL file contains several transactions; D1 runs your SQL in a transaction for you",
        )
    return trimmed


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
        engine.run_queries([D1Query(_create_table_sql(table))])
        applied: list[str] = []
        for name in _pending(engine, migrations_dir, table):
            sql = _trim_transaction((Path(migrations_dir) / name).read_text("utf-8"), name)
            quoted_name = name.replace("'", "''")
            queries = [D1Query(statement) for statement in split_statements(sql)]
            queries.append(D1Query(f"INSERT INTO {table} (name)\n values ('{quoted_name}');"))
            try:
                engine.run_queries(queries)
            except D1Error as exc:
                raise MigrationError(name, exc) from exc
            applied.append(name)
        return applied
    finally:
        if owned:
            engine.close()
