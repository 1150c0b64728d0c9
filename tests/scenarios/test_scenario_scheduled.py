"""The cron Worker (grove-post-migrator): one run of the tier migrator, as its cron trigger runs
it, moving posts through PostContentDO in both lanes; pages read the same after the move."""

from __future__ import annotations

from scenario_seed import add_tenant

CRON = "0 3 * * *"  # workers/post_migrator/wrangler.toml
DAY_MS = 86_400_000


def _post(db, now_ms: int, slug: str, *, published_days: float, edited_days: float, status: str = "published"):
    published_at_ms = now_ms - int(published_days * DAY_MS)
    updated_at_ms = now_ms - int(edited_days * DAY_MS)
    return db.prepare(
        "INSERT INTO posts (id, tenant, slug, title, status, author_id, markdown, html, storage_location, "
        "created_at_ms, updated_at_ms, published_at_ms) VALUES (?, 'autumn', ?, ?, ?, 'author-1', ?, ?, 'd1', ?, ?, ?)"
    ).bind(f"autumn-{slug}", slug, slug.title(), status, f"# {slug}\n\nBody of {slug}.", f"<h1>{slug}</h1>\n<p>Body of {slug}.</p>",
           published_at_ms, updated_at_ms, published_at_ms)  # fmt: skip


async def _locations(db) -> dict[str, str]:
    rows = (await db.prepare("SELECT slug, storage_location FROM posts WHERE tenant = 'autumn'").all())["results"]
    return {row["slug"]: row["storage_location"] for row in rows}


async def test_scheduled_moves_posts_to_their_tier_and_pages_read_the_same(edge):
    db, now_ms = edge.env.DB, edge.now_ms()
    await add_tenant(db, "autumn")
    await db.batch([
        _post(db, now_ms, "fresh", published_days=2, edited_days=2),
        _post(db, now_ms, "idle", published_days=60, edited_days=45),
        _post(db, now_ms, "old", published_days=400, edited_days=400),
    ])
    # A date in seconds where milliseconds belong (January 1970): skipped and reported, never moved.
    await db.prepare(
        "INSERT INTO posts (id, tenant, slug, title, status, author_id, markdown, html, storage_location,"
        " created_at_ms, updated_at_ms, published_at_ms) VALUES ('autumn-secs', 'autumn', 'secs', 'Secs', 'published',"
        " 'author-1', 'x', '<p>x</p>', 'd1', ?1, ?1, ?1)"
    ).bind(now_ms // 1000).run()
    before = {slug: (await edge.fetch("GET", edge.url("autumn", f"/blog/{slug}"))).body for slug in ("idle", "old")}

    run = await edge.scheduled(CRON)
    assert run["moves"] == {"d1->r2": 1, "d1->r2_archived": 1} and run["failed"] == []
    assert [note["id"] for note in run["skipped"]] == ["autumn-secs"] and "impossible date" in run["skipped"][0]["reason"]
    assert await _locations(db) == {"fresh": "d1", "idle": "r2", "old": "r2_archived", "secs": "d1"}
    for slug, body in before.items():
        page = await edge.fetch("GET", edge.url("autumn", f"/blog/{slug}"))
        assert page.status == 200 and page.body == body

    again = await edge.scheduled(CRON)
    assert again["moves"] == {} and again["failed"] == []


async def test_scheduled_with_no_posts_moves_nothing(edge):
    run = await edge.scheduled(CRON)
    assert run["moves"] == {} and run["scanned"] == 0 and run["cursor"] is None
