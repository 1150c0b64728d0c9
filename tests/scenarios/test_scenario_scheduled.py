"""The cron Worker (grove-post-migrator): its scheduled handler, run as its cron trigger runs it."""

from __future__ import annotations

from scenario_seed import add_tenant, post_statement

CRON = "0 3 * * *"  # workers/post_migrator/wrangler.toml


async def test_scheduled_counts_posts_per_storage_tier(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn")
    await db.batch(
        [
            post_statement(db, "autumn", "hot-one"),
            post_statement(db, "autumn", "hot-two"),
            post_statement(db, "autumn", "warm-one", location="r2"),
        ]
    )
    assert await edge.scheduled(CRON) == {"d1": 2, "r2": 1}


async def test_scheduled_with_no_posts_counts_nothing(edge):
    assert await edge.scheduled(CRON) == {}
