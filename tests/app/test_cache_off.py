"""CACHE_MODE=off, the roadmap's rollback switch and the benchmark's baseline: every view
reads D1 (post and tenant config), nothing is stored, the HTTP headers stay the same."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("tenants")


@pytest.fixture
def platform_secrets(platform_secrets) -> dict[str, str]:
    return {**platform_secrets, "CACHE_MODE": "off"}


async def test_every_view_reads_d1_twice(create_post, read, platform, d1_queries):
    await create_post("Uncached")
    for _ in range(3):
        before = d1_queries()
        reply = await read("/blog/uncached")
        assert reply.status_code == 200 and "Uncached" in reply.text
        assert reply.headers["cache-control"] == "public, max-age=300, s-maxage=300"
        assert d1_queries() - before == 2
    stats = platform.services.stats
    assert stats.get("cache.hits") == stats.get("cache.puts") == 0
    assert stats.get("kv.writes") == 0
