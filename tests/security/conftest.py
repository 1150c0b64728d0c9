"""A tenant with something to steal: autumn has a published post with a draft (in the post's
PostContentDO), an unpublished post and the draft of a new post (in its TenantDO); willow is
another tenant whose owner will try."""

from __future__ import annotations

import pytest
from route_table import SAMPLE_TAG

SECRET_TEXT = "secret draft text"


@pytest.fixture
async def stocked(tenants, client, auth, create_post, platform) -> dict[str, str]:
    await create_post("First Light", "Morning, *garden*.", tags=[SAMPLE_TAG])
    await create_post("Secret Draft", SECRET_TEXT, status="draft")
    draft = {"content": SECRET_TEXT, "metadata": {"title": "Secret"}, "device_id": "d1"}
    opened = await client.get("/api/drafts/first-light", headers=auth())  # made from the post
    assert opened.status_code == 200
    saved = await client.put("/api/drafts/first-light", json={**draft, "base_version": opened.json()["version"]}, headers=auth())
    assert saved.status_code == 200
    assert (await client.put("/api/drafts/secret-plans", json=draft, headers=auth())).status_code == 201
    await platform.runtime.drain()
    return {"published": "first-light", "unpublished": "secret-draft"}
