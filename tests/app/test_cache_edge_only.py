"""CACHE_MODE=edge: the edge cache without KV copies (the blog benchmark's "without KV" run). A
view the edge cannot answer reads the post from D1; no write stores a KV copy, and an edit still
shows at once in the writing location."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("tenants")


@pytest.fixture
def platform_secrets(platform_secrets) -> dict[str, str]:
    return {**platform_secrets, "CACHE_MODE": "edge"}


async def test_edge_misses_read_d1_and_nothing_reaches_kv(create_post, read, platform, d1_queries, client, auth):
    await create_post("Edge Only")
    stats = platform.services.stats
    before = d1_queries()
    assert "Edge Only" in (await read("/blog/edge-only")).text
    assert d1_queries() - before == 1  # the post (the config is the TenantDO's copy)
    before = d1_queries()
    assert "Edge Only" in (await read("/blog/edge-only")).text
    assert d1_queries() == before  # the edge answered
    platform.runtime.location = "elsewhere"  # another data centre: its own miss, from D1 again
    assert "Edge Only" in (await read("/blog/edge-only")).text
    assert d1_queries() - before == 1
    platform.runtime.location = ""
    edit = await client.put("/api/posts/edge-only", json={"markdown": "Edited *now*."}, headers=auth())
    assert edit.status_code == 200, edit.text
    await platform.runtime.drain()
    assert "Edited" in (await read("/blog/edge-only")).text
    # KV was only asked whether the writer's token is revoked (it never is), and never written.
    assert stats.get("kv.read_hits") == 0 and stats.get("kv.writes") == 0
