"""The post API over HTTP: create, partial update (rename, status), delete, and every error."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.usefixtures("tenants")


async def test_create_returns_201_with_the_post(client, auth, clock):
    reply = await client.post(
        "/api/posts",
        json={"title": "Saving Seeds: A Beginner's Notes", "markdown": "Dry them *well*.\n\nThen label.", "description": "Beans first.", "tags": ["seeds"], "status": "published"},
        headers=auth(),
    )
    assert reply.status_code == 201
    assert reply.headers["cache-control"] == "private, no-store"
    assert reply.headers["location"] == "/api/posts/saving-seeds-a-beginner-s-notes"
    post = reply.json()
    assert post["slug"] == "saving-seeds-a-beginner-s-notes"  # derived from the title
    assert post["html"] == "<p>Dry them <em>well</em>.</p>\n<p>Then label.</p>\n"
    assert post["markdown"] == "Dry them *well*.\n\nThen label."
    assert post["word_count"] == 5 and post["reading_time_min"] == 1
    assert post["author_id"] == "ada" and post["storage_location"] == "d1"
    assert post["created_at_ms"] == post["updated_at_ms"] == post["published_at_ms"] == clock.now_ms()


async def test_created_row_is_stored_in_d1(create_post, platform):
    post = await create_post("Stored", "one two three", slug="custom-slug", status="draft")
    row = await platform.runtime.d1().prepare("SELECT * FROM posts WHERE id = ?").bind(post["id"]).first()
    assert row["slug"] == "custom-slug" and row["tenant"] == "autumn" and row["status"] == "draft"
    assert row["word_count"] == 3 and row["published_at_ms"] is None and row["html"] == "<p>one two three</p>\n"


async def test_slug_taken_is_409(create_post, client, auth):
    await create_post("Twice")
    reply = await client.post("/api/posts", json={"title": "Twice"}, headers=auth())
    assert reply.status_code == 409 and reply.json()["error"]["code"] == "slug_taken"


async def test_same_slug_in_another_tenant_is_fine(create_post, client, auth):
    await create_post("Shared Name")
    reply = await client.post("http://willow.localhost:8787/api/posts", json={"title": "Shared Name"}, headers=auth("willow"))
    assert reply.status_code == 201


async def test_malformed_json_is_400(client, auth):
    reply = await client.post("/api/posts", content=b"{not json", headers={**auth(), "content-type": "application/json"})
    assert reply.status_code == 400 and reply.json()["error"]["code"] == "malformed_json"


async def test_body_over_one_mib_is_413(client, auth):
    big = json.dumps({"title": "Big", "markdown": "x" * (1024 * 1024)})
    reply = await client.post("/api/posts", content=big.encode(), headers={**auth(), "content-type": "application/json"})
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"markdown": "no title"}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x", "status": "scheduled"}, "status"),
        ({"title": "x", "slug": "Not A Slug"}, "slug"),
        ({"title": "x", "tags": "garden"}, "tags"),
        ({"title": "x", "tags": ["ok", ""]}, "tags.1"),
        ({"title": "x", "colour": "red"}, "colour"),
        ({"title": "!!!"}, "slug"),  # nothing to derive a slug from
        (["title"], "body"),
    ],
)
async def test_validation_errors_are_422_with_the_field(client, auth, payload, field):
    reply = await client.post("/api/posts", json=payload, headers=auth())
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "validation_error" and error["field"] == field


async def test_partial_update_changes_only_what_is_sent(create_post, client, auth, clock):
    post = await create_post("Leaf Mould", "Twelve *months*.", description="Slow.", tags=["compost"])
    clock.advance(5000)
    reply = await client.put("/api/posts/leaf-mould", json={"title": "Leaf Mould in a Year"}, headers=auth())
    assert reply.status_code == 200 and reply.headers["cache-control"] == "private, no-store"
    updated = reply.json()
    assert updated["title"] == "Leaf Mould in a Year" and updated["slug"] == "leaf-mould"
    assert updated["markdown"] == "Twelve *months*." and updated["description"] == "Slow." and updated["tags"] == ["compost"]
    assert updated["updated_at_ms"] == post["updated_at_ms"] + 5000
    assert updated["published_at_ms"] == post["published_at_ms"]  # not republished


async def test_update_renders_new_markdown(create_post, client, auth):
    await create_post("Rain", "old")
    reply = await client.put("/api/posts/rain", json={"markdown": "new **words** here"}, headers=auth())
    body = reply.json()
    assert body["html"] == "<p>new <strong>words</strong> here</p>\n" and body["word_count"] == 3


async def test_rename_and_conflicting_rename(create_post, client, auth):
    await create_post("Hedges")
    await create_post("Ditches")
    renamed = await client.put("/api/posts/hedges", json={"slug": "laid-hedges"}, headers=auth())
    assert renamed.status_code == 200 and renamed.json()["slug"] == "laid-hedges"
    clash = await client.put("/api/posts/laid-hedges", json={"slug": "ditches"}, headers=auth())
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "slug_taken"


async def test_publish_sets_published_at_once(create_post, client, auth, clock):
    await create_post("Draft First", status="draft")
    clock.advance(10_000)
    published = (await client.put("/api/posts/draft-first", json={"status": "published"}, headers=auth())).json()
    assert published["published_at_ms"] == clock.now_ms()
    clock.advance(10_000)
    again = (await client.put("/api/posts/draft-first", json={"status": "draft"}, headers=auth())).json()
    assert again["status"] == "draft" and again["published_at_ms"] == published["published_at_ms"]


@pytest.mark.parametrize(("payload", "field"), [({}, "body"), ({"title": None}, "body"), ({"slug": "Bad Slug"}, "slug")])
async def test_update_validation(create_post, client, auth, payload, field):
    await create_post("Valid")
    reply = await client.put("/api/posts/valid", json=payload, headers=auth())
    assert reply.status_code == 422 and reply.json()["error"]["field"] == field


async def test_update_or_delete_of_a_missing_post_is_404(client, auth):
    assert (await client.put("/api/posts/ghost", json={"title": "x"}, headers=auth())).status_code == 404
    assert (await client.delete("/api/posts/ghost", headers=auth())).status_code == 404


async def test_delete(create_post, client, auth, platform):
    post = await create_post("Short Lived")
    reply = await client.delete("/api/posts/short-lived", headers=auth())
    assert reply.status_code == 200 and reply.json() == {"deleted": {"id": post["id"], "slug": "short-lived"}}
    assert reply.headers["cache-control"] == "private, no-store"
    assert await platform.runtime.d1().prepare("SELECT COUNT(*) AS n FROM posts").first("n") == 0


async def test_xss_in_every_field_is_escaped_on_the_page(create_post, read):
    await create_post(
        '<script>alert("t")</script>', '<script>alert("m")</script>\n\n[click](javascript:alert(1))',
        slug="xss", description='<img src=x onerror="alert(1)">', tags=["<b>tag</b>"],
    )
    page = (await read("/blog/xss")).text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>tag</b>" not in page
    assert "href=\"javascript" not in page  # the link stays visible text, never a link
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in page
