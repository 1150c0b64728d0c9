"""D1 round trips through the Workers' own binding (``env.DB``), as app code makes them."""

from __future__ import annotations

import pytest
from scenario_seed import NOW_MS, add_tenant, post_statement


async def test_first_returns_a_row_with_python_types(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn", tier="oak", display_name="Autumn's Grove")
    row = await db.prepare("SELECT * FROM tenants WHERE subdomain = ?").bind("autumn").first()
    assert row["display_name"] == "Autumn's Grove"
    assert row["tier"] == "oak"
    assert row["created_at_ms"] == NOW_MS and isinstance(row["created_at_ms"], int)
    assert row.theme == "{}"  # rows also allow attribute access, as the SDK's JsDict does


async def test_missing_row_is_none_and_null_is_none(edge):
    db = edge.env.DB
    assert await db.prepare("SELECT * FROM tenants WHERE subdomain = ?").bind("nobody").first() is None
    await add_tenant(db, "autumn")
    await post_statement(db, "autumn", "draft-one", status="draft").run()
    row = await db.prepare("SELECT published_at_ms, r2_key FROM posts").first()
    assert row == {"published_at_ms": None, "r2_key": None}


async def test_all_returns_results_and_meta(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn")
    written = await post_statement(db, "autumn", "one").run()
    assert written["success"] is True
    assert written["meta"]["changes"] == 1
    listed = await db.prepare("SELECT slug, storage_location FROM posts ORDER BY slug").all()
    assert listed["results"] == [{"slug": "one", "storage_location": "d1"}]
    assert listed["meta"]["rows_read"] >= 1


async def test_batch_is_all_or_nothing(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn")
    with pytest.raises(Exception, match="CHECK constraint failed"):
        await db.batch(
            [
                post_statement(db, "autumn", "fine"),
                # storage_location 'r2' without an r2_key breaks the posts CHECK constraint
                db.prepare(
                    "INSERT INTO posts (id, tenant, slug, title, status, author_id, storage_location, "
                    "created_at_ms, updated_at_ms) VALUES ('x', 'autumn', 'x', 'X', 'draft', 'a', 'r2', 1, 1)"
                ),
            ]
        )
    assert (await db.prepare("SELECT COUNT(*) AS n FROM posts").first())["n"] == 0


async def test_foreign_keys_are_enforced(edge):
    db = edge.env.DB
    with pytest.raises(Exception, match="FOREIGN KEY constraint failed"):
        await post_statement(db, "nobody", "orphan").run()


async def test_migrations_are_recorded_as_wrangler_records_them(edge):
    rows = (await edge.env.DB.prepare("SELECT name FROM d1_migrations ORDER BY id").all())["results"]
    names = [r["name"] for r in rows]
    # Every migration once, in file order (the lane may not see the repository's files).
    assert names[0] == "0001_initial.sql"
    assert names == sorted(set(names)) and all(n.endswith(".sql") for n in names)
