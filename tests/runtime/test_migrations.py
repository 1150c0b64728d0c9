"""D1 migrations on real SQLite files: order, idempotence, wrangler's bookkeeping, rollback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from local_runtime.bindings.d1 import D1Database
from local_runtime.migrations import (
    MigrationError,
    apply_migrations,
    migration_files,
    pending_migrations,
    split_sql_query,
)
from local_runtime.services import RuntimeServices

REPO_MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

# wrangler's initMigrationsTable DDL, verbatim.
WRANGLER_DDL = """CREATE TABLE IF NOT EXISTS d1_migrations(
\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,
\t\tname       TEXT UNIQUE,
\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);"""


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, "utf-8")
    return folder


def rows(db_file: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db_file) as conn:
        return conn.execute(sql).fetchall()


def table_names(db_file: Path) -> set[str]:
    return {r[0] for r in rows(db_file, "SELECT name FROM sqlite_master WHERE type = 'table'")}


@pytest.fixture
def migrations(tmp_path: Path) -> Path:
    # 10_ sorts after 2_ by number (wrangler's parseInt order), not by text.
    return write(
        tmp_path / "migrations",
        {
            "1_tenants.sql": "CREATE TABLE tenants (subdomain TEXT PRIMARY KEY);\n",
            "2_posts.sql": (
                "-- posts belong to tenants\n"
                "CREATE TABLE posts (\n"
                "  id TEXT PRIMARY KEY,\n"
                "  tenant TEXT NOT NULL REFERENCES tenants(subdomain)\n"
                ");\n"
                "CREATE INDEX posts_by_tenant ON posts (tenant);\n"
            ),
            "10_seed.sql": (
                "INSERT INTO tenants VALUES ('ash');\nINSERT INTO posts VALUES ('p1', 'ash');\n"
            ),
            "README.md": "not a migration",
        },
    )


def test_files_are_ordered_by_number(migrations: Path):
    assert migration_files(migrations) == ["1_tenants.sql", "2_posts.sql", "10_seed.sql"]


def test_apply_in_order_and_record_like_wrangler(tmp_path: Path, migrations: Path):
    db_file = tmp_path / "db.sqlite3"
    assert pending_migrations(db_file, migrations) == [
        "1_tenants.sql",
        "2_posts.sql",
        "10_seed.sql",
    ]
    applied = apply_migrations(db_file, migrations)
    assert applied == ["1_tenants.sql", "2_posts.sql", "10_seed.sql"]
    assert rows(db_file, "SELECT tenant FROM posts") == [("ash",)]

    recorded = rows(db_file, "SELECT id, name, applied_at FROM d1_migrations ORDER BY id")
    assert [(r[0], r[1]) for r in recorded] == [
        (1, "1_tenants.sql"),
        (2, "2_posts.sql"),
        (3, "10_seed.sql"),
    ]
    assert all(r[2] for r in recorded)  # applied_at filled by CURRENT_TIMESTAMP
    # The table is the one wrangler creates, down to the stored DDL.
    (ddl,) = rows(db_file, "SELECT sql FROM sqlite_master WHERE name = 'd1_migrations'")[0]
    assert ddl == (
        "CREATE TABLE d1_migrations(\n"
        "\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "\t\tname       TEXT UNIQUE,\n"
        "\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL\n"
        ")"
    )
    assert pending_migrations(db_file, migrations) == []


def test_rerun_applies_nothing(tmp_path: Path, migrations: Path):
    db_file = tmp_path / "db.sqlite3"
    apply_migrations(db_file, migrations)
    assert apply_migrations(db_file, migrations) == []
    assert rows(db_file, "SELECT count(*) FROM d1_migrations") == [(3,)]
    assert rows(db_file, "SELECT count(*) FROM tenants") == [(1,)]  # seed not run twice

    # A new file is picked up on the next run, and only it.
    write(migrations, {"11_more.sql": "ALTER TABLE tenants ADD COLUMN name TEXT;"})
    assert apply_migrations(db_file, migrations) == ["11_more.sql"]


def test_broken_migration_leaves_nothing_behind(tmp_path: Path, migrations: Path):
    write(
        migrations,
        {
            "11_broken.sql": (
                "CREATE TABLE drafts (id TEXT PRIMARY KEY);\n"
                "INSERT INTO drafts VALUES ('d1');\n"
                "INSERT INTO no_such_table VALUES (1);\n"
            ),
            "12_after.sql": "CREATE TABLE later (x);",
        },
    )
    db_file = tmp_path / "db.sqlite3"
    with pytest.raises(MigrationError) as info:
        apply_migrations(db_file, migrations)
    assert info.value.name == "11_broken.sql"
    assert "no such table: no_such_table" in str(info.value)

    tables = table_names(db_file)
    assert "drafts" not in tables and "later" not in tables
    assert {"tenants", "posts"} <= tables  # earlier migrations stay applied
    names = [r[0] for r in rows(db_file, "SELECT name FROM d1_migrations ORDER BY id")]
    assert names == ["1_tenants.sql", "2_posts.sql", "10_seed.sql"]
    assert pending_migrations(db_file, migrations) == ["11_broken.sql", "12_after.sql"]

    # Fixing the file lets the next run continue from there.
    (migrations / "11_broken.sql").write_text("CREATE TABLE drafts (id TEXT PRIMARY KEY);")
    assert apply_migrations(db_file, migrations) == ["11_broken.sql", "12_after.sql"]


def test_constraint_violation_in_migration_rolls_back(tmp_path: Path, migrations: Path):
    # D1 enforces foreign keys in migrations too.
    write(migrations, {"11_orphan.sql": "INSERT INTO posts VALUES ('p2', 'nobody');"})
    db_file = tmp_path / "db.sqlite3"
    with pytest.raises(MigrationError, match="FOREIGN KEY constraint failed"):
        apply_migrations(db_file, migrations)
    assert rows(db_file, "SELECT id FROM posts") == [("p1",)]


def test_d1_authorizer_applies_to_migrations(tmp_path: Path):
    folder = write(
        tmp_path / "m", {"0001_bad.sql": "CREATE TABLE v AS SELECT sqlite_version() AS v;"}
    )
    db_file = tmp_path / "db.sqlite3"
    with pytest.raises(MigrationError, match="not authorized"):
        apply_migrations(db_file, folder)
    assert "v" not in table_names(db_file)


def test_transaction_wrapper_is_trimmed_like_wrangler(tmp_path: Path):
    folder = write(
        tmp_path / "m",
        {
            "0001_wrapped.sql": "BEGIN TRANSACTION;\nCREATE TABLE t (x);\nINSERT INTO t VALUES (1);\nCOMMIT;\n"
        },
    )
    db_file = tmp_path / "db.sqlite3"
    assert apply_migrations(db_file, folder) == ["0001_wrapped.sql"]
    assert rows(db_file, "SELECT x FROM t") == [(1,)]


def test_agrees_with_a_table_wrangler_wrote(tmp_path: Path, migrations: Path):
    # A database where wrangler already applied the first migration.
    db_file = tmp_path / "db.sqlite3"
    with sqlite3.connect(db_file) as conn:
        conn.execute(WRANGLER_DDL)
        conn.execute("CREATE TABLE tenants (subdomain TEXT PRIMARY KEY)")
        conn.execute("INSERT INTO d1_migrations (name) values ('1_tenants.sql')")
    assert pending_migrations(db_file, migrations) == ["2_posts.sql", "10_seed.sql"]
    assert apply_migrations(db_file, migrations) == ["2_posts.sql", "10_seed.sql"]


def test_pending_does_not_create_the_table(tmp_path: Path, migrations: Path):
    db_file = tmp_path / "db.sqlite3"
    pending_migrations(db_file, migrations)
    assert "d1_migrations" not in table_names(db_file)


async def test_apply_through_the_binding(tmp_path: Path, migrations: Path):
    services = RuntimeServices(state_dir=tmp_path / "state")
    db = D1Database(services, "DB", "bound")
    assert apply_migrations(db, migrations) == ["1_tenants.sql", "2_posts.sql", "10_seed.sql"]
    row = await db.prepare("SELECT tenant FROM posts WHERE id = ?").bind("p1").first()
    assert row == {"tenant": "ash"}
    assert services.stats.get("d1.queries") == 1  # migrations are a CLI job, not app traffic
    assert pending_migrations(db, migrations) == []
    db.close()


def test_repository_migrations_apply_cleanly(tmp_path: Path):
    db_file = tmp_path / "grove.sqlite3"
    expected = migration_files(REPO_MIGRATIONS)
    assert expected, "the repository has D1 migrations"
    assert apply_migrations(db_file, REPO_MIGRATIONS) == expected
    assert apply_migrations(db_file, REPO_MIGRATIONS) == []
    assert {"tenants", "posts"} <= table_names(db_file)


def test_split_sql_query_like_wrangler():
    # Comments go (a `--` comment leaves its newline, a /* */ comment leaves nothing), quotes
    # and BEGIN ... END bodies stay whole, semicolons are dropped, empty pieces skipped.
    sql = (
        "-- header\n"
        "CREATE TABLE t (\n  a TEXT DEFAULT '--;x', -- note\n  b/* inline */INT\n);\n"
        ";\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET b = 1;\nEND;\n"
        'SELECT "a;b", `c--d`, $tag$e;f$tag$'
    )
    assert split_sql_query(sql) == [
        "CREATE TABLE t (\n  a TEXT DEFAULT '--;x', \n  bINT\n)",
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n  UPDATE t SET b = 1;\nEND",
        'SELECT "a;b", `c--d`, $tag$e;f$tag$',
    ]
    # No semicolon before the end: sent as it is, comments included.
    assert split_sql_query("-- only\nSELECT 1;\n") == ["-- only\nSELECT 1;\n"]
    # One BEGIN TRANSACTION / COMMIT pair is removed; a second transaction is refused.
    assert split_sql_query("BEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;\nSELECT 2;") == [
        "SELECT 1",
        "SELECT 2",
    ]


def test_stored_schema_has_comments_stripped_like_wrangler(tmp_path: Path):
    folder = write(
        tmp_path / "m",
        {
            "0001_commented.sql": (
                "-- a table\n"
                "CREATE TABLE notes (\n"
                "  id   TEXT PRIMARY KEY, -- the id\n"
                "  body TEXT NOT NULL DEFAULT '-- not a comment' /* kept out */\n"
                ");\n"
                "CREATE TRIGGER notes_touch AFTER INSERT ON notes BEGIN\n"
                "  -- inside the trigger\n"
                "  UPDATE notes SET body = body WHERE id = NEW.id;\n"
                "END;\n"
            )
        },
    )
    db_file = tmp_path / "db.sqlite3"
    assert apply_migrations(db_file, folder) == ["0001_commented.sql"]
    schema = dict(rows(db_file, "SELECT name, sql FROM sqlite_master WHERE name LIKE 'notes%'"))
    assert schema["notes"] == (
        "CREATE TABLE notes (\n"
        "  id   TEXT PRIMARY KEY, \n"
        "  body TEXT NOT NULL DEFAULT '-- not a comment' \n"
        ")"
    )
    assert schema["notes_touch"] == (
        "CREATE TRIGGER notes_touch AFTER INSERT ON notes BEGIN\n"
        "  \n"
        "  UPDATE notes SET body = body WHERE id = NEW.id;\n"
        "END"
    )


def test_several_transactions_are_refused_like_wrangler(tmp_path: Path):
    folder = write(
        tmp_path / "m",
        {"0001_two.sql": "BEGIN TRANSACTION;\nSELECT 1;\nCOMMIT;\nBEGIN TRANSACTION;\nCOMMIT;\n"},
    )
    with pytest.raises(MigrationError, match="contains several transactions"):
        apply_migrations(tmp_path / "db.sqlite3", folder)
