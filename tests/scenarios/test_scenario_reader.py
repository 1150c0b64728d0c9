"""A reader's view of a tenant's blog: the whole stack (D1, TenantDO RPC, Cache API, rendering)."""

from __future__ import annotations

from scenario_seed import NOW_MS, add_tenant, post_statement


async def test_tenant_home_lists_published_posts(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn", display_name="Autumn's Grove")
    await db.batch([post_statement(db, "autumn", "first-light"), post_statement(db, "autumn", "secret", status="draft")])
    reply = await edge.fetch("GET", edge.url("autumn", "/"))
    assert reply.status == 200, reply.text()[:500]
    assert "text/html" in reply.headers["content-type"]
    page = reply.text()
    assert "Autumn&#x27;s Grove" in page or "Autumn's Grove" in page
    assert "First Light" in page
    assert "Secret" not in page


async def test_unknown_tenant_is_404(edge):
    reply = await edge.fetch("GET", edge.url("nobody", "/"))
    assert reply.status == 404
    assert reply.headers["cache-control"] == "private, no-store"


async def test_published_post_page_and_its_json(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn")
    await post_statement(db, "autumn", "first-light").run()
    page = await edge.fetch("GET", edge.url("autumn", "/blog/first-light"))
    assert page.status == 200, page.text()[:500]
    api = await edge.fetch("GET", edge.url("autumn", "/api/posts/first-light"))
    assert api.status == 200, api.text()[:500]
    post = api.json()
    assert (post["slug"], post["title"], post["tags"], post["published_at_ms"]) == (
        "first-light",
        "First Light",
        [],
        NOW_MS,
    )


async def test_post_list_is_publicly_cacheable_and_stable(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn")
    await post_statement(db, "autumn", "first-light").run()
    first = await edge.fetch("GET", edge.url("autumn", "/api/posts"))
    again = await edge.fetch("GET", edge.url("autumn", "/api/posts"))
    assert first.status == again.status == 200
    assert first.headers["cache-control"].startswith("public")
    assert first.body == again.body and first.headers["etag"] == again.headers["etag"]
    assert [p["slug"] for p in first.json()["posts"]] == ["first-light"]
