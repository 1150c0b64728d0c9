"""Every query the read and write paths send to D1 uses an index: run the paths over HTTP,
record each statement the D1 binding receives, and ask the local D1 for its plan (``EXPLAIN
QUERY PLAN``, through the binding as app code would). No full scan, no temporary B-tree.
A new list adds its paths here (or checks them the same way with ``query_plans.unindexed``)."""

from __future__ import annotations

import pytest
from query_plans import unindexed

pytestmark = pytest.mark.usefixtures("tenants")


@pytest.fixture
def platform_secrets(platform_secrets) -> dict[str, str]:
    # Long lists need more posts a minute than the per-user post_create limit allows.
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60"}


async def test_hot_queries_use_indexes(d1_statements, create_post, read, client, auth, clock, platform):
    for n in range(25):
        await create_post(f"Post {n:02d}", tags=["t"])
        clock.advance(1000)
    await create_post("A Draft", status="draft")
    await read("/blog/post-03")
    await read("/blog/no-such-post")
    first = (await read("/api/posts")).json()
    await read("/blog?page=2")
    older = (await read(first["older"])).json()
    await read(f"/api/posts?cursor={older['older_cursor']}")
    await read(f"/api/posts?cursor={older['newer_cursor']}")
    await read("/blog/post-01", headers=auth())  # a writer reads D1 directly
    await client.put("/api/posts/post-04", json={"title": "Edited", "markdown": "new"}, headers=auth())
    await client.put("/api/posts/post-05", json={"slug": "renamed"}, headers=auth())
    await client.delete("/api/posts/post-06", headers=auth())
    await client.put("/api/config", json={"display_name": "Renamed Grove"}, headers=auth())
    await platform.runtime.drain()
    # The reader's blog: tag pages (first, numbered, by cursor), feeds, sitemap, an old slug.
    tagged = (await read("/tags/t")).text
    await read("/tags/t?page=2")
    assert 'href="/tags/t?page=2"' in tagged
    older_tag = await read("/tags/t?page=3")
    assert older_tag.status_code == 200
    first_cursor = (await read("/api/posts")).json()["older_cursor"]
    await read(f"/tags/t?cursor={first_cursor}")
    for path in ("/feed.xml", "/tags/t/rss.xml", "/sitemap.xml", "/blog/post-05"):
        assert (await read(path)).status_code in (200, 301), path
    # The workspace: the dashboard by keyset (first page, then by cursor), a rename (which
    # finds the author's posts in every blog).
    dashboard = (await client.get("/admin", headers=auth())).text
    older_admin = dashboard.split('<a rel="next" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert (await client.get(older_admin, headers=auth())).status_code == 200
    assert (await client.patch("/api/me", json={"display_name": "Ada Hart"}, headers=auth())).status_code == 200
    await platform.runtime.drain()

    checked, problems = await unindexed(platform.runtime.worker().env.DB, d1_statements)
    assert checked >= 8  # the paths above really ran their queries
    for table in ("FROM post_tags", "FROM post_redirects", "json_object('id'", "WHERE author_id = ?1", "AND (updated_at_ms, id) <"):
        assert any(table in sql for sql in d1_statements), table  # tag pages, old slugs, neighbours
    assert problems == {}
