"""The local D1 binding against a real SQLite file: shapes, types, limits, atomicity, counters."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from local_runtime.bindings.d1 import TRANSACTION_REFUSED, D1Database, D1Error, D1TypeError
from local_runtime.clock import SimulatedClock
from local_runtime.conversion import JsException
from local_runtime.latency import LatencyProfile
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices

# exec() sends each line as its own query (as d1-api.ts does): one statement per line.
SCHEMA = """
CREATE TABLE tenants (subdomain TEXT PRIMARY KEY, display_name TEXT NOT NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY, tenant TEXT NOT NULL REFERENCES tenants(subdomain), slug TEXT NOT NULL UNIQUE, words INTEGER NOT NULL DEFAULT 0);
CREATE TABLE vals (v);
"""


@pytest.fixture
async def db(services: RuntimeServices) -> AsyncIterator[D1Database]:
    database = D1Database(services, "DB", "test-db")
    await database.exec(SCHEMA)
    services.stats.reset()
    yield database
    database.close()


async def test_file_lives_under_state_dir_and_persists(services: RuntimeServices, tmp_path: Path):
    first = D1Database(services, "DB", "abc-123")
    await first.prepare("CREATE TABLE t (x)").run()
    await first.prepare("INSERT INTO t VALUES (?)").bind(7).run()
    first.close()
    assert (services.state_dir / "d1" / "abc-123.sqlite3").is_file()
    again = D1Database(services, "DB", "abc-123")
    assert await again.prepare("SELECT x FROM t").first("x") == 7
    again.close()


async def test_run_shape(db: D1Database):
    result = await db.prepare("INSERT INTO tenants VALUES (?, ?)").bind("ash", "Ash").run()
    assert isinstance(result, JsDict)
    assert result.success is True
    assert result.results == []
    meta = result.meta
    assert isinstance(meta, JsDict)
    assert meta.served_by == "grove-local"
    assert meta.changes == 1
    assert meta.rows_written == 1
    assert meta.changed_db is True
    assert meta.last_row_id >= 1
    assert meta.size_after > 0
    assert isinstance(meta.duration, float)
    assert meta.timings.sql_duration_ms == meta.duration

    insert = db.prepare("INSERT INTO posts (tenant, slug) VALUES ('ash', ?)")
    second = await insert.bind("b").run()
    third = await insert.bind("c").run()
    assert third.meta.last_row_id == second.meta.last_row_id + 1


async def test_all_first_raw_shapes(db: D1Database):
    await db.prepare("INSERT INTO tenants VALUES ('ash', 'Ash'), ('elm', 'Elm')").run()
    stmt = db.prepare("SELECT subdomain, display_name FROM tenants ORDER BY subdomain")

    result = await stmt.all()
    assert result.success is True
    assert result.results == [
        {"subdomain": "ash", "display_name": "Ash"},
        {"subdomain": "elm", "display_name": "Elm"},
    ]
    row = result.results[0]
    assert isinstance(row, JsDict) and row.display_name == "Ash"  # attribute access, like the SDK
    assert result.meta.rows_read == 2
    assert result.meta.changes == 0 and result.meta.changed_db is False

    first = await stmt.first()
    assert isinstance(first, JsDict) and first == {"subdomain": "ash", "display_name": "Ash"}
    assert await stmt.first("display_name") == "Ash"

    assert await stmt.raw() == [["ash", "Ash"], ["elm", "Elm"]]
    assert await stmt.raw(columnNames=True) == [
        ["subdomain", "display_name"],
        ["ash", "Ash"],
        ["elm", "Elm"],
    ]
    assert (await stmt.raw({"columnNames": True}))[0] == ["subdomain", "display_name"]


async def test_first_on_no_rows_and_missing_column(db: D1Database):
    empty = db.prepare("SELECT subdomain FROM tenants WHERE subdomain = ?").bind("nobody")
    assert await empty.first() is None
    assert await empty.first("no_such_column") is None  # D1 only checks when there is a row
    assert await empty.raw(columnNames=True) == [["subdomain"]]

    await db.prepare("INSERT INTO tenants VALUES ('ash', 'Ash')").run()
    with pytest.raises(D1Error, match=r"D1_COLUMN_NOTFOUND: Column not found \(nope\)"):
        await db.prepare("SELECT subdomain FROM tenants").first("nope")
    # A NULL value is a found column whose value is None.
    assert await db.prepare("SELECT NULL AS n").first("n") is None


async def test_bind_types_round_trip(db: D1Database):
    largest = 2**53 - 2  # the largest int Pyodide still makes a Number (not a BigInt)
    values = [None, 42, -7, largest, -largest, 1.5, 2.0, True, False, "héllo", b"\x00\xffab"]
    insert = db.prepare("INSERT INTO vals (v) VALUES (?)")
    await db.batch([insert.bind(v) for v in values])
    rows = await db.prepare("SELECT v, typeof(v) AS t FROM vals ORDER BY rowid").all()
    got = [(r["v"], r["t"]) for r in rows.results]
    # Every number reaches D1 as a JS number and is bound as a double (miniflare: typeof
    # 'real'); read back, an integral double is an int again (Pyodide: a safe integer).
    assert got == [
        (None, "null"),
        (42, "real"),
        (-7, "real"),
        (largest, "real"),
        (-largest, "real"),
        (1.5, "real"),
        (2, "real"),
        (1, "real"),  # booleans: bind() turns true/false into the numbers 1/0
        (0, "real"),
        ("héllo", "text"),
        # Blobs come back as lists of byte values, as D1's JSON results present them.
        ([0, 255, 97, 98], "blob"),
    ]
    assert type(got[1][0]) is int and type(got[6][0]) is int


async def test_numbers_bind_as_real_and_column_affinity_decides(db: D1Database):
    # A bound int is a REAL: a TEXT column stores its text form '42.0', an INTEGER column
    # converts it back to an integer, and comparisons with INTEGER columns still match.
    await db.exec("CREATE TABLE typed (t TEXT, i INTEGER, r REAL)")
    await db.prepare("INSERT INTO typed VALUES (?, ?, ?)").bind(42, 42, 42).run()
    row = await db.prepare(
        "SELECT t, typeof(t) AS tt, i, typeof(i) AS ti, r, typeof(r) AS tr FROM typed"
    ).first()
    assert row == {"t": "42.0", "tt": "text", "i": 42, "ti": "integer", "r": 42, "tr": "real"}
    assert await db.prepare("SELECT count(*) AS n FROM typed WHERE i = ?").bind(42).first("n") == 1
    assert await db.prepare("SELECT count(*) AS n FROM typed WHERE t = ?").bind(42).first("n") == 1
    assert await db.prepare("SELECT ? AS v").bind(True).first("v") == 1
    assert await db.prepare("SELECT typeof(?) AS t").bind(-0.0).first("t") == "real"


async def test_large_integers_read_back_as_floats_like_pyodide(db: D1Database):
    # D1 hands back an INTEGER as a JS number (a double): beyond Number.MAX_SAFE_INTEGER
    # Pyodide makes it a float, rounded as the double was.
    row = await db.prepare(
        "SELECT 9223372036854775807 AS int64, 9007199254740993 AS over, "
        "9007199254740991 AS safe, -9007199254740992 AS neg"
    ).first()
    assert row == {
        "int64": 9.223372036854776e18,
        "over": 9007199254740992.0,
        "safe": 9007199254740991,
        "neg": -9007199254740992.0,
    }
    assert type(row["int64"]) is float and type(row["over"]) is float
    assert type(row["safe"]) is int and type(row["neg"]) is float


async def test_real_with_integral_value_reads_as_int_like_pyodide(db: D1Database):
    row = await db.prepare("SELECT 2.0 AS whole, 2.5 AS half, CAST(3 AS REAL) AS cast").first()
    assert row == {"whole": 2, "half": 2.5, "cast": 3}
    assert type(row["whole"]) is int and type(row["half"]) is float


async def test_list_of_bytes_binds_as_blob_and_nan_as_null(db: D1Database):
    row = await db.prepare("SELECT typeof(?1) AS t, ?1 AS v").bind([1, 2, 255]).first()
    assert row == {"t": "blob", "v": [1, 2, 255]}
    assert await db.prepare("SELECT typeof(?) AS t").bind(math.nan).first("t") == "null"


async def test_unsupported_bind_values_are_rejected(db: D1Database):
    stmt = db.prepare("SELECT ?")
    with pytest.raises(D1TypeError) as info:
        stmt.bind({"a": 1})
    assert (
        str(info.value) == "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'"
    )
    # d1-api.ts throws a plain JS Error: production code sees a JsException, which
    # `except TypeError` does not catch.
    assert isinstance(info.value, JsException) and info.value.name == "Error"
    assert not isinstance(info.value, TypeError)
    with pytest.raises(D1TypeError, match="Type 'object' not supported for value '1,300'"):
        stmt.bind([1, 300])
    with pytest.raises(D1TypeError, match="Type 'object' not supported for value '1,2'"):
        stmt.bind([[1], [2]])
    # From +-(2**53 - 1) on (Number.MAX_SAFE_INTEGER included) Pyodide hands D1 a BigInt,
    # which bind() refuses.
    for big in (2**53 - 1, -(2**53 - 1), 2**53 + 1):
        with pytest.raises(
            D1TypeError, match=f"^D1_TYPE_ERROR: Type 'bigint' not supported for value '{big}'$"
        ):
            stmt.bind(big)
    stmt.bind(2**53 - 2)
    # The SDK refuses tuples and bytearrays before D1 sees them.
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        stmt.bind((1, 2))
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        stmt.bind(bytearray(b"x"))


async def test_bound_parameter_limit(db: D1Database):
    def in_list(n: int) -> str:
        return f"SELECT count(*) AS n FROM tenants WHERE subdomain IN ({', '.join('?' * n)})"

    await db.prepare("INSERT INTO tenants VALUES ('t5', 'T')").run()
    ok = await db.prepare(in_list(100)).bind(*[f"t{i}" for i in range(100)]).first("n")
    assert ok == 1
    with pytest.raises(D1Error, match="too many SQL variables"):
        await db.prepare(in_list(101)).bind(*[f"t{i}" for i in range(101)]).all()


async def test_wrong_number_of_bindings(db: D1Database):
    with pytest.raises(D1Error, match="Wrong number of parameter bindings"):
        await db.prepare("SELECT ?, ?").bind(1).all()


async def test_statement_length_limit(db: D1Database):
    def literal_select(total_bytes: int) -> str:
        return "SELECT '" + "a" * (total_bytes - len("SELECT ''")) + "'"

    exact = literal_select(100_000)
    assert len(exact.encode()) == 100_000
    assert len((await db.prepare(exact).raw())[0][0]) == 100_000 - len("SELECT ''")
    with pytest.raises(D1Error, match="statement too long"):
        await db.prepare(literal_select(100_001)).all()


async def test_batch_is_atomic(db: D1Database):
    await db.prepare("INSERT INTO tenants VALUES ('ash', 'Ash')").run()
    insert = db.prepare("INSERT INTO posts (tenant, slug) VALUES ('ash', ?)")
    with pytest.raises(D1Error) as info:
        await db.batch([insert.bind("one"), insert.bind("two"), insert.bind("one")])
    assert "UNIQUE constraint failed: posts.slug" in str(info.value)
    assert str(info.value).startswith("D1_ERROR: ")
    # The message format miniflare (workerd) produces for the same failure.
    assert str(info.value) == (
        "D1_ERROR: UNIQUE constraint failed: posts.slug: SQLITE_CONSTRAINT"
        " (extended: SQLITE_CONSTRAINT_UNIQUE)"
    )
    assert await db.prepare("SELECT count(*) AS n FROM posts").first("n") == 0

    # The connection is usable afterwards and a good batch commits every statement.
    results = await db.batch(
        [insert.bind("one"), insert.bind("two"), db.prepare("SELECT slug FROM posts ORDER BY id")]
    )
    assert [r.meta.changes for r in results] == [1, 1, 0]
    assert results[2].results == [{"slug": "one"}, {"slug": "two"}]
    assert all(r.success for r in results)


async def test_failed_single_statement_leaves_no_partial_write(db: D1Database):
    # Two statements in one prepare run in one transaction: the failure undoes the first.
    with pytest.raises(D1Error, match="no such table"):
        await db.prepare(
            "INSERT INTO tenants VALUES ('ash', 'Ash'); INSERT INTO nope VALUES (1)"
        ).run()
    assert await db.prepare("SELECT count(*) AS n FROM tenants").first("n") == 0


async def test_multiple_statements_in_one_prepare(db: D1Database):
    result = (
        await db.prepare(
            "INSERT INTO tenants VALUES ('ash', 'Ash'); SELECT display_name FROM tenants WHERE subdomain = ?"
        )
        .bind("ash")
        .all()
    )
    assert result.results == [{"display_name": "Ash"}]
    with pytest.raises(D1Error, match="only the last statement can have parameters"):
        await db.prepare("SELECT ?; SELECT 1").bind(1).all()


async def test_exec_runs_each_line(db: D1Database):
    out = await db.exec(
        "INSERT INTO tenants VALUES ('ash', 'Ash')\n"
        "\n"
        "-- a comment line\n"
        "INSERT INTO tenants VALUES ('elm', 'Elm'); INSERT INTO tenants VALUES ('oak', 'Oak')\n"
        "UPDATE tenants SET display_name = upper(display_name)"
    )
    assert isinstance(out, JsDict)
    assert out.count == 3
    assert out.duration >= 0
    names = await db.prepare("SELECT display_name FROM tenants ORDER BY 1").raw()
    assert names == [["ASH"], ["ELM"], ["OAK"]]


async def test_exec_error_names_the_line_and_commits_nothing(db: D1Database):
    with pytest.raises(D1Error) as info:
        await db.exec("INSERT INTO tenants VALUES ('ash', 'Ash')\nINSERT INTO missing VALUES (1)")
    message = str(info.value)
    assert message.startswith("D1_EXEC_ERROR: Error in line 2: INSERT INTO missing VALUES (1): ")
    assert "no such table: missing" in message
    assert await db.prepare("SELECT count(*) AS n FROM tenants").first("n") == 0


async def test_exec_does_not_join_lines(db: D1Database):
    # Production splits exec() input on newlines, so a statement spanning lines is incomplete.
    with pytest.raises(D1Error, match="Error in line 1: CREATE TABLE x \\(: incomplete input"):
        await db.exec("CREATE TABLE x (\n  a\n)")


async def test_refusal_message_matches_production(db: D1Database):
    with pytest.raises(D1Error) as info:
        await db.prepare("ATTACH DATABASE 'x.sqlite3' AS x").run()
    assert str(info.value) == "D1_ERROR: not authorized: SQLITE_AUTH"


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT sqlite_version()",
        "SELECT sqlite_source_id()",
        "ATTACH DATABASE 'other.sqlite3' AS other",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA writable_schema = ON",
        "CREATE TEMP TABLE scratch (x)",
        "CREATE TABLE _cf_mine (x)",
        "PRAGMA foreign_keys = maybe",
    ],
)
async def test_authorizer_refuses(db: D1Database, sql: str):
    with pytest.raises(D1Error, match="not authorized"):
        await db.prepare(sql).all()


@pytest.mark.parametrize(
    "sql", ["BEGIN TRANSACTION", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT sp", "RELEASE sp"]
)
async def test_transactions_are_refused_with_workerds_message(db: D1Database, sql: str):
    with pytest.raises(D1Error) as info:
        await db.prepare(sql).all()
    assert str(info.value) == f"D1_ERROR: {TRANSACTION_REFUSED}"
    assert TRANSACTION_REFUSED.startswith("To execute a transaction, please use the state.storage")
    # The refusal leaves the connection usable, with no transaction left open.
    assert await db.prepare("SELECT 1 AS one").first("one") == 1


async def test_authorizer_allows_d1_functions_and_pragmas(db: D1Database):
    row = await db.prepare(
        "SELECT json_extract('{\"a\": 3}', '$.a') AS a, upper('x') AS u, strftime('%Y', '2026-01-01') AS y"
    ).first()
    assert row == {"a": 3, "u": "X", "y": "2026"}
    columns = await db.prepare("PRAGMA table_info(posts)").all()
    assert [c["name"] for c in columns.results] == ["id", "tenant", "slug", "words"]
    assert len((await db.prepare("PRAGMA table_list").all()).results) >= 3
    await db.prepare("PRAGMA defer_foreign_keys = on").run()
    await db.prepare("PRAGMA optimize").run()
    # sqlite_master stays readable, as on D1.
    tables = await db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").raw()
    assert ["posts"] in tables


async def test_foreign_keys_enforced(db: D1Database):
    assert await db.prepare("PRAGMA foreign_keys").first("foreign_keys") == 1
    with pytest.raises(D1Error, match="FOREIGN KEY constraint failed"):
        await db.prepare("INSERT INTO posts (tenant, slug) VALUES ('ghost', 'x')").run()
    assert await db.prepare("SELECT count(*) AS n FROM posts").first("n") == 0


async def test_counters(db: D1Database, services: RuntimeServices):
    stats = services.stats
    await db.prepare("INSERT INTO tenants VALUES ('ash', 'Ash'), ('elm', 'Elm')").run()
    assert stats.get("d1.queries") == 1
    assert stats.get("d1.rows_written") == 2
    await db.prepare("SELECT * FROM tenants").all()
    assert stats.get("d1.rows_read") == 2
    insert = db.prepare("INSERT INTO posts (tenant, slug) VALUES ('ash', ?)")
    await db.batch([insert.bind("a"), insert.bind("b"), db.prepare("SELECT * FROM posts")])
    assert stats.get("d1.batches") == 1
    assert stats.get("d1.queries") == 5
    assert stats.get("d1.rows_written") == 4
    assert stats.get("d1.rows_read") == 4
    await db.exec("SELECT 1\nSELECT 2")
    assert stats.get("d1.queries") == 7
    assert stats.get("d1.batches") == 1


async def test_modelled_latency_is_one_round_trip_per_call(tmp_path: Path):
    clock = SimulatedClock()
    services = RuntimeServices(state_dir=tmp_path, clock=clock, latency=LatencyProfile())
    database = D1Database(services, "DB", "lat")
    start = clock.now_ms()
    await database.prepare("CREATE TABLE t (x)").run()
    assert clock.now_ms() - start == LatencyProfile().d1_query_ms
    insert = database.prepare("INSERT INTO t VALUES (?)")
    await database.batch([insert.bind(i) for i in range(5)])
    assert clock.now_ms() - start == 2 * LatencyProfile().d1_query_ms
    database.close()


async def test_prepare_is_lazy_and_errors_surface_on_await(db: D1Database):
    stmt = db.prepare("SELEKT nonsense")  # no error yet: prepare() only records the SQL
    assert stmt.statement == "SELEKT nonsense" and stmt.params == ()
    with pytest.raises(D1Error, match=r"^D1_ERROR: .*syntax error.*: SQLITE_ERROR$"):
        await stmt.all()
    with pytest.raises(D1Error, match="No SQL statements detected"):
        await db.prepare("  -- nothing here\n").all()


# --- the meta figures cost no statements of their own on a read --------------------------------


def _traced(db: D1Database) -> list[str]:
    """Every SQL statement SQLite runs on the binding's connection from now on (not the
    ``-- ...`` lines it traces for a pragma function's own subprogram)."""
    seen: list[str] = []
    db.engine._conn.set_trace_callback(lambda sql: None if sql.startswith("--") else seen.append(sql))
    return seen


async def test_a_read_runs_only_its_own_statement(db: D1Database):
    await db.prepare("INSERT INTO tenants VALUES ('ash', 'Ash')").run()
    seen = _traced(db)
    result = await db.prepare("SELECT display_name FROM tenants").all()
    user = [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert user == ["SELECT display_name FROM tenants"]
    assert result.meta.changed_db is False and result.meta.size_after > 0


async def test_a_write_reads_the_size_once_and_reports_what_workerd_does(db: D1Database):
    seen = _traced(db)
    result = await db.prepare("INSERT INTO tenants VALUES ('ash', 'Ash')").run()
    extra = [s for s in seen if not s.startswith(("BEGIN", "COMMIT", "INSERT"))]
    assert len(extra) == 1 and "pragma_page_count" in extra[0]
    assert result.meta.changes == 1 and result.meta.changed_db is True
    # last_row_id is the connection's last_insert_rowid(), after a read too (as in workerd)
    inserted = await db.prepare("INSERT INTO posts (tenant, slug) VALUES ('ash', 'a')").run()
    read = await db.prepare("SELECT 1").run()
    assert read.meta.last_row_id == inserted.meta.last_row_id >= 1


async def test_ddl_changes_the_db_without_changing_rows(db: D1Database):
    before = await db.prepare("SELECT 1").run()
    created = await db.prepare("CREATE TABLE extra (x)").run()
    assert created.meta.changes == 0 and created.meta.changed_db is True
    assert created.meta.size_after > before.meta.size_after
    # a statement that changes nothing changes nothing
    noop = await db.prepare("DELETE FROM extra WHERE x = 1").run()
    assert noop.meta.changed_db is False and noop.meta.size_after == created.meta.size_after


async def test_a_rolled_back_batch_leaves_the_size_as_it_was(db: D1Database):
    before = (await db.prepare("SELECT 1").run()).meta.size_after
    with pytest.raises(D1Error):
        await db.batch([db.prepare("CREATE TABLE gone (x)"), db.prepare("INSERT INTO nowhere VALUES (1)")])
    noop = await db.prepare("DELETE FROM vals WHERE v = 1").run()
    assert noop.meta.changed_db is False and noop.meta.size_after == before
