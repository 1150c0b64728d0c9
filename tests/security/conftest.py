"""A tenant with something to steal: autumn has a published post, an unpublished post and a
draft in its TenantDO; willow is another tenant whose owner will try."""

from __future__ import annotations

import pytest
from route_table import SAMPLE_TAG

SECRET_TEXT = "secret draft text"


@pytest.fixture
async def stocked(tenants, client, auth, create_post, platform) -> dict[str, str]:
    await create_post("First Light", "Morning, *garden*.", tags=[SAMPLE_TAG])
    await create_post("Secret Draft", SECRET_TEXT, status="draft")
    draft = {"content": SECRET_TEXT, "metadata": {"title": "Secret"}, "device_id": "d1"}
    assert (await client.put("/api/drafts/first-light", json=draft, headers=auth())).status_code == 201
    await platform.runtime.drain()
    return {"published": "first-light", "unpublished": "secret-draft"}
