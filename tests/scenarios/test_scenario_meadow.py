"""Meadow in both lanes: a follow through the Worker backfills the follower's FeedDO over RPC
(lists of dicts with floats cross the boundary), the feed pages by cursor in both orders, and
an unfollow empties it."""

from __future__ import annotations

from scenario_contract import TEST_SECRETS
from scenario_seed import NOW_MS, add_member, add_tenant, bearer, post_statement

SECRET = TEST_SECRETS["JWT_SECRET"]


async def test_follow_page_and_unfollow(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn", tier="oak", display_name="Autumn")
    await add_member(db, "author-1", "autumn")
    await db.prepare(
        "INSERT INTO users (id, email, display_name, created_at_ms) VALUES ('rita', 'rita@users.invalid', 'Rita', ?)"
    ).bind(NOW_MS).run()
    for slug in ("one", "two", "three"):
        await post_statement(db, "autumn", slug).run()
    await post_statement(db, "autumn", "draft-one", status="draft").run()
    rita = bearer(SECRET, edge.now_ms(), tenant="autumn", role="reader", user="rita")

    followed = await edge.fetch("POST", edge.url("meadow", "/api/meadow/follows/author-1"), headers=rita)
    assert followed.status == 201, followed.text()
    assert followed.json()["backfilled"] == 3

    for sort in ("recent", "relevance"):
        seen: list[str] = []
        cursor = ""
        while True:
            path = f"/api/meadow/feed?limit=2&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
            reply = await edge.fetch("GET", edge.url("meadow", path), headers=rita)
            assert reply.status == 200, reply.text()
            assert reply.headers["cache-control"] == "private, no-store"
            body = reply.json()
            seen += [item["post_id"] for item in body["items"]]
            assert all(isinstance(item["score"], float) for item in body["items"])
            cursor = body["next_cursor"] or ""
            if not cursor:
                break
        assert sorted(seen) == ["autumn-one", "autumn-three", "autumn-two"], (sort, seen)
        if sort == "recent":  # one publication time: newest first falls back to the id
            assert seen == ["autumn-two", "autumn-three", "autumn-one"]

    gone = await edge.fetch("DELETE", edge.url("meadow", "/api/meadow/follows/author-1"), headers=rita)
    assert gone.json()["removed"] == 3
    empty = await edge.fetch("GET", edge.url("meadow", "/api/meadow/feed"), headers=rita)
    assert empty.json()["items"] == []
