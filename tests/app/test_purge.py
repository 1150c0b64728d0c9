"""Zone CDN purge by tag: what the Worker sends to Cloudflare's API, asserted on a real HTTP
stand-in for that API listening on 127.0.0.1."""

from __future__ import annotations

import logging

import pytest
from purge_stand_in import API_TOKEN, ZONE

pytestmark = pytest.mark.usefixtures("tenants")


@pytest.fixture
def platform_secrets(platform_secrets, purge_api) -> dict[str, str]:
    return purge_api.secrets(platform_secrets)


async def test_publishing_purges_the_post_and_list_tags(create_post, purge_api):
    post = await create_post("Purge Me")
    (request,) = purge_api.requests
    assert request["path"] == f"/client/v4/zones/{ZONE}/purge_cache"
    assert request["headers"]["authorization"] == f"Bearer {API_TOKEN}"
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {"tags": [f"p-autumn-{post['id']}", "l-autumn"]}


async def test_rename_update_and_delete_purge(create_post, client, auth, purge_api):
    post = await create_post("Moving")
    tags = {"tags": [f"p-autumn-{post['id']}", "l-autumn"]}
    await client.put("/api/posts/moving", json={"slug": "moved"}, headers=auth())
    await client.put("/api/posts/moved", json={"status": "draft"}, headers=auth())  # unpublish
    await client.delete("/api/posts/moved", headers=auth())
    assert [r["json"] for r in purge_api.requests] == [tags] * 4


async def test_a_draft_nobody_has_seen_purges_nothing(create_post, client, auth, purge_api):
    await create_post("Quiet Draft", status="draft")
    await client.put("/api/posts/quiet-draft", json={"markdown": "more"}, headers=auth())
    assert purge_api.requests == []


async def test_a_failed_purge_is_logged_and_the_write_still_succeeds(client, auth, purge_api, caplog):
    purge_api.fail_with = 500
    with caplog.at_level(logging.ERROR, logger="grove.purge"):
        reply = await client.post("/api/posts", json={"title": "Resilient", "status": "published"}, headers=auth())
    assert reply.status_code == 201
    assert len(purge_api.requests) == 1
    assert any("refused" in record.getMessage() for record in caplog.records)
