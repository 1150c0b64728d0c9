"""The write paths end to end in both lanes: post API, drafts across devices, analytics, config.

These cross the most Python/JavaScript boundaries (pydantic payloads, TenantDO RPC results, D1
batches, alarms), so they are where "works on CPython, breaks on the edge" would show.
"""

from __future__ import annotations

import json

from scenario_contract import TEST_SECRETS
from scenario_seed import add_member, add_tenant, bearer


async def _owner(edge) -> dict[str, str]:
    await add_tenant(edge.env.DB, "autumn", tier="oak", display_name="Autumn")
    await add_member(edge.env.DB, "ada", "autumn", "owner")
    return bearer(TEST_SECRETS["JWT_SECRET"], edge.now_ms(), tenant="autumn")


async def test_post_create_read_rename_delete(edge):
    auth = await _owner(edge)
    body = {"title": "First Frost", "markdown": "# Frost\n\nCold *iron*.", "status": "published", "tags": ["seasons"]}
    created = await edge.fetch("POST", edge.url("autumn", "/api/posts"), headers=auth, body=json.dumps(body))
    assert created.status == 201, created.text()
    assert created.json()["slug"] == "first-frost"
    assert created.headers["cache-control"] == "private, no-store"
    page = await edge.fetch("GET", edge.url("autumn", "/blog/first-frost"))
    assert page.status == 200 and "<em>iron</em>" in page.text()
    renamed = await edge.fetch(
        "PUT", edge.url("autumn", "/api/posts/first-frost"), headers=auth, body=json.dumps({"slug": "hard-frost"})
    )
    assert renamed.status == 200, renamed.text()
    moved = await edge.fetch("GET", edge.url("autumn", "/blog/first-frost"))
    assert (moved.status, moved.headers["location"]) == (301, "/blog/hard-frost")  # the old slug redirects
    assert (await edge.fetch("GET", edge.url("autumn", "/blog/hard-frost"))).status == 200
    deleted = await edge.fetch("DELETE", edge.url("autumn", "/api/posts/hard-frost"), headers=auth)
    assert deleted.status in (200, 204), deleted.text()
    assert (await edge.fetch("GET", edge.url("autumn", "/blog/hard-frost"))).status == 404


async def test_post_validation_and_auth_errors(edge):
    auth = await _owner(edge)
    url = edge.url("autumn", "/api/posts")
    assert (await edge.fetch("POST", url, body=json.dumps({"title": "x", "markdown": "y"}))).status == 401
    bad = await edge.fetch("POST", url, headers=auth, body=json.dumps({"title": "", "markdown": "y"}))
    assert bad.status == 422 and bad.json()["error"]["code"]
    malformed = await edge.fetch("POST", url, headers=auth, body="{not json")
    assert malformed.status == 400
    other = bearer(TEST_SECRETS["JWT_SECRET"], edge.now_ms(), tenant="willow")
    assert (await edge.fetch("POST", url, headers=other, body=json.dumps({"title": "x", "markdown": "y"}))).status == 403


async def test_two_devices_conflict_on_a_draft(edge):
    auth = await _owner(edge)
    url = edge.url("autumn", "/api/drafts/spring")
    first = await edge.fetch("PUT", url, headers=auth, body=json.dumps({"content": "v1", "metadata": {"title": "Spring"}, "device_id": "laptop"}))
    assert first.status == 201, first.text()
    assert first.json()["version"] == 1 and isinstance(first.json()["saved_at_ms"], int)
    second = await edge.fetch("PUT", url, headers=auth, body=json.dumps({"content": "v2", "device_id": "laptop", "base_version": 1, "metadata": {"title": "Spring"}}))
    assert second.status == 200 and second.json()["version"] == 2, second.text()
    phone = await edge.fetch("PUT", url, headers=auth, body=json.dumps({"content": "phone", "device_id": "phone", "base_version": 1}))
    assert phone.status == 409, phone.text()
    assert phone.json()["error"]["server"]["content"] == "v2"
    assert phone.headers["cache-control"] == "private, no-store"
    listed = await edge.fetch("GET", edge.url("autumn", "/api/drafts"), headers=auth)
    assert [(d["slug"], d["version"], d["device_id"]) for d in listed.json()["drafts"]] == [("spring", 2, "laptop")]
    published = await edge.fetch("POST", edge.url("autumn", "/api/drafts/spring/publish"), headers=auth, body=json.dumps({"version": 2}))
    assert published.status == 201, published.text()
    listed = await edge.fetch("GET", edge.url("autumn", "/api/drafts"), headers=auth)
    assert listed.json()["drafts"] == []
    # The post exists now: its slug opens the post's own draft (its PostContentDO).
    reopened = await edge.fetch("GET", url, headers=auth)
    assert reopened.status == 200 and reopened.json()["post_id"] == published.json()["post"]["id"]


async def test_the_draft_of_an_existing_post_lives_in_its_post_content_object(edge):
    """PostContentDO over RPC in both lanes: the draft is made from the post, survives a slug
    rename (keyed by post id), follows the conflict rule, and publishing it changes only the
    field the author changed."""
    auth = await _owner(edge)
    body = {"title": "Beans", "slug": "beans", "markdown": "Runner *beans*.", "status": "published",
            "description": "What came up.", "tags": ["garden", "spring"]}
    created = await edge.fetch("POST", edge.url("autumn", "/api/posts"), headers=auth, body=json.dumps(body))
    assert created.status == 201, created.text()
    post_id = created.json()["id"]
    opened = await edge.fetch("GET", edge.url("autumn", "/api/drafts/beans"), headers=auth)
    assert opened.status == 200, opened.text()
    draft = opened.json()
    assert draft["post_id"] == post_id and draft["content"] == "Runner *beans*." and draft["version"] == 1
    assert draft["metadata"] == {"title": "Beans", "description": "What came up.", "tags": ["garden", "spring"], "slug": "beans"}
    rows = await edge.do_sql("POST_CONTENT", f"post-content:autumn:{post_id}", "SELECT version, device_id FROM post_draft")
    assert rows == [{"version": 1, "device_id": "post"}]

    renamed = await edge.fetch("PUT", edge.url("autumn", "/api/posts/beans"), headers=auth, body=json.dumps({"slug": "runner-beans"}))
    assert renamed.status == 200, renamed.text()
    url = edge.url("autumn", "/api/drafts/runner-beans")
    save = {"content": draft["content"], "metadata": {**draft["metadata"], "title": "Runner Beans"}, "device_id": "laptop", "base_version": 1}
    saved = await edge.fetch("PUT", url, headers=auth, body=json.dumps(save))
    assert saved.status == 200 and saved.json()["version"] == 2, saved.text()
    stale = await edge.fetch("PUT", url, headers=auth, body=json.dumps({**save, "content": "phone", "device_id": "phone"}))
    assert stale.status == 409 and stale.json()["error"]["server"]["version"] == 2

    published = await edge.fetch("POST", edge.url("autumn", "/api/drafts/runner-beans/publish"), headers=auth, body=json.dumps({"version": 2}))
    assert published.status == 200, published.text()
    assert published.json()["changed"] == ["title"]
    post = published.json()["post"]
    assert post["title"] == "Runner Beans" and post["description"] == "What came up." and post["tags"] == ["garden", "spring"]


async def test_analytics_reach_d1_in_one_batch(edge):
    auth = await _owner(edge)
    now_ms = edge.now_ms()
    events = [{"type": "page_view", "path": f"/blog/p{i % 3}", "ts_ms": now_ms, "referrer": None} for i in range(100)]
    accepted = await edge.fetch("POST", edge.url("autumn", "/api/analytics"), body=json.dumps(events))
    assert accepted.status == 202 and accepted.json() == {"accepted": 100}, accepted.text()
    count = 0
    for _ in range(100):  # 100 waiting events flush at once: an alarm due now
        await edge.settle()
        count = (await edge.env.DB.prepare("SELECT COUNT(*) AS n FROM analytics_events").first())["n"]
        if count == 100:
            break
    assert count == 100
    assert await edge.do_sql("TENANTS", "tenant:autumn", "SELECT * FROM analytics_buffer") == []
    summary = await edge.fetch("GET", edge.url("autumn", "/api/analytics/summary?days=2"), headers=auth)
    assert summary.status == 200 and summary.json()["total_views"] == 100, summary.text()
    invalid = await edge.fetch("POST", edge.url("autumn", "/api/analytics"), body=json.dumps({"type": "page_view"}))
    assert invalid.status == 422


async def test_config_update_shows_on_the_next_page(edge):
    auth = await _owner(edge)
    before = await edge.fetch("GET", edge.url("autumn", "/"))
    assert before.status == 200 and "Autumn" in before.text()
    updated = await edge.fetch("PUT", edge.url("autumn", "/api/config"), headers=auth, body=json.dumps({"display_name": "Autumn Two"}))
    assert updated.status == 200 and updated.json()["display_name"] == "Autumn Two", updated.text()
    after = await edge.fetch("GET", edge.url("autumn", "/"))
    assert "Autumn Two" in after.text()
    row = await edge.env.DB.prepare("SELECT display_name FROM tenants WHERE subdomain = 'autumn'").first()
    assert row["display_name"] == "Autumn Two"
