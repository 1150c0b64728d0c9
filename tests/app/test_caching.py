"""The caching read path over HTTP: headers, validators, which layer answers (counted), TTLs
by tier, invalidation on every kind of write, single-flight, and no stale read after a write."""

from __future__ import annotations

import asyncio

import pytest

from grove.cache_keys import post_key

pytestmark = pytest.mark.usefixtures("tenants")

HOUR_MS = 3_600_000


def _counts(platform) -> dict[str, int]:
    s = platform.services.stats
    return {name: s.get(name) for name in ("d1.queries", "kv.reads", "kv.writes", "cache.hits", "cache.misses", "do.requests")}


def _delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: after[k] - before[k] for k in before}


# --- headers and validators -----------------------------------------------------------------


async def test_published_post_headers(create_post, read):
    post = await create_post("Headers")
    for path in ("/blog/headers", "/api/posts/headers"):
        reply = await read(path)
        assert reply.headers["cache-control"] == "public, max-age=300, s-maxage=300"
        assert reply.headers["cdn-cache-control"] == "max-age=3600, stale-while-revalidate=86400"
        assert reply.headers["cache-tag"] == f"t-autumn,p-autumn-{post['id']}"
        assert reply.headers["etag"].startswith('"')


async def test_list_headers(create_post, read):
    await create_post("Listed")
    for path in ("/", "/blog", "/api/posts"):
        reply = await read(path)
        assert reply.headers["cache-control"] == "public, max-age=300, s-maxage=600", path
        assert reply.headers["cache-tag"] == "t-autumn,l-autumn"


async def test_if_none_match_gives_304_from_every_layer(create_post, read, client, platform):
    await create_post("Validators")
    for path in ("/blog/validators", "/api/posts/validators", "/blog"):
        first = await read(path)  # built (miss)
        etag = first.headers["etag"]
        second = await read(path)  # from the edge
        assert second.headers["etag"] == etag and second.text == first.text
        for _ in range(2):  # edge, then rebuilt after the edge copy is gone
            not_modified = await read(path, headers={"if-none-match": etag})
            assert not_modified.status_code == 304 and not_modified.content == b""
            assert not_modified.headers["etag"] == etag and "public" in not_modified.headers["cache-control"]
            platform.runtime.cache_storage.location = "elsewhere"
        assert (await read(path, headers={"if-none-match": '"stale"'})).status_code == 200


# --- which layer answers ------------------------------------------------------------------------


async def test_first_view_reads_d1_then_the_edge_answers(create_post, read, platform):
    await create_post("Layers")
    before = _counts(platform)
    await read("/blog/layers")
    first = _delta(before, _counts(platform))
    # The post from KV: the write stored it there (write-through); no D1 read at all (the tenant
    # config came from TenantDO's copy). Edge: the tenant's generation entry and the page both
    # missed (and were stored). TenantDO: the config with the cache stamp, then one stamp check
    # per copy stored (the page, the generation entry).
    assert first == {"d1.queries": 0, "kv.reads": 1, "kv.writes": 0, "cache.hits": 0, "cache.misses": 2, "do.requests": 3}
    before = _counts(platform)
    for _ in range(5):
        await read("/blog/layers")
    assert _delta(before, _counts(platform)) == {"d1.queries": 0, "kv.reads": 0, "kv.writes": 0, "cache.hits": 10, "cache.misses": 0, "do.requests": 0}


async def test_edge_miss_is_served_from_kv_without_d1(create_post, read, platform):
    await create_post("From KV")
    await read("/blog/from-kv")
    # Another data centre: empty Cache API, same KV.
    platform.runtime.cache_storage.location = "elsewhere"
    before = _counts(platform)
    reply = await read("/blog/from-kv")
    assert reply.status_code == 200 and "From KV" in reply.text
    # TenantDO: the config with the cache stamp, then the stamp checks of the page and of the
    # generation entry stored in this location.
    assert _delta(before, _counts(platform)) == {"d1.queries": 0, "kv.reads": 1, "kv.writes": 0, "cache.hits": 0, "cache.misses": 2, "do.requests": 3}


async def test_the_json_twin_shares_the_kv_entry(create_post, read, d1_queries):
    await create_post("Twin")
    await read("/blog/twin")
    before = d1_queries()
    assert (await read("/api/posts/twin")).json()["title"] == "Twin"
    assert d1_queries() == before


async def test_query_strings_and_host_spellings_share_one_edge_entry(create_post, read, platform):
    await create_post("Tracked")
    await read("/blog/tracked")
    hits = platform.services.stats.get("cache.hits")
    await read("/blog/tracked?utm_source=newsletter")
    await read("https://AUTUMN.localhost/blog/tracked")
    assert platform.services.stats.get("cache.hits") == hits + 4  # generation entry + page, twice


async def test_missing_posts_are_remembered_until_created(read, create_post, d1_queries):
    await read("/blog/coming-soon")
    before = d1_queries()
    assert (await read("/blog/coming-soon")).status_code == 404
    assert d1_queries() == before  # the tombstone in KV answered
    await create_post("Coming Soon")
    assert (await read("/blog/coming-soon")).status_code == 200


# --- TTLs by tier -----------------------------------------------------------------------------


async def test_kv_and_edge_ttls_of_a_hot_post(create_post, read, platform, clock, d1_queries):
    await create_post("Hot")
    listing = await platform.runtime.kv().list(prefix=post_key("autumn", "hot"))
    assert listing["keys"][0]["expiration"] == clock.now_ms() // 1000 + 86_400  # written through: a day
    clock.advance(61_000)  # past KV's propagation window: the edge copy gets the tier's full TTL
    await read("/blog/hot")
    # The edge copy outlives the KV copy (1 h): still served from the edge after 59 minutes
    # (the generation entry expired, so the TenantDO was asked, and reloaded its config)...
    clock.advance(59 * 60_000)
    before, kv_reads = d1_queries(), platform.services.stats.get("kv.reads")
    await read("/blog/hot")
    assert d1_queries() - before == 1 and platform.services.stats.get("kv.reads") == kv_reads
    # ...and after the hour the page is rebuilt from KV (which outlives the edge copy), not D1.
    clock.advance(2 * 60_000)
    before, kv_reads = d1_queries(), platform.services.stats.get("kv.reads")
    await read("/blog/hot")
    assert platform.services.stats.get("kv.reads") == kv_reads + 1 and d1_queries() == before


async def test_an_edge_copy_made_just_after_a_write_lives_until_kv_settles(create_post, read, platform, clock):
    # Another location may read the older KV value for up to 60 s after a write (KV's
    # propagation): a page built in that window must not outlive it.
    await create_post("Fresh")
    clock.advance(20_000)
    await read("/blog/fresh")
    clock.advance(39_000)
    hits = platform.services.stats.get("cache.hits")
    await read("/blog/fresh")
    assert platform.services.stats.get("cache.hits") == hits + 2  # generation entry and page
    clock.advance(2_000)  # 61 s after the write: the copy has expired
    misses = platform.services.stats.get("cache.misses")
    await read("/blog/fresh")
    assert platform.services.stats.get("cache.misses") > misses


async def test_list_kv_entries_expire_after_five_minutes(create_post, read, platform, clock):
    await create_post("Listed")
    await read("/blog")
    listing = await platform.runtime.kv().list(prefix="list:autumn:")
    assert listing["keys"][0]["expiration"] == clock.now_ms() // 1000 + 300


# --- invalidation on every write ----------------------------------------------------------------


async def _warm(read, *paths: str) -> None:
    for path in paths:
        await read(path)
        await read(path)  # the second one from the edge


async def test_update_is_visible_immediately_everywhere(create_post, read, client, auth):
    await create_post("Before", "old body", description="old description")
    await _warm(read, "/", "/blog", "/api/posts", "/blog/before", "/api/posts/before")
    reply = await client.put("/api/posts/before", json={"title": "After", "markdown": "new body", "description": "new description"}, headers=auth())
    assert reply.status_code == 200
    assert "new body" in (await read("/blog/before")).text
    assert (await read("/api/posts/before")).json()["title"] == "After"
    for path in ("/", "/blog"):
        page = (await read(path)).text
        assert "After" in page and "new description" in page and "Before" not in page
    assert (await read("/api/posts")).json()["posts"][0]["title"] == "After"


async def test_unpublish_and_republish(create_post, read, client, auth):
    await create_post("Flicker")
    await _warm(read, "/blog", "/blog/flicker", "/api/posts/flicker")
    await client.put("/api/posts/flicker", json={"status": "draft"}, headers=auth())
    assert (await read("/blog/flicker")).status_code == 404
    assert (await read("/api/posts/flicker")).status_code == 404
    assert "Flicker" not in (await read("/blog")).text
    await client.put("/api/posts/flicker", json={"status": "published"}, headers=auth())
    assert (await read("/blog/flicker")).status_code == 200
    assert "Flicker" in (await read("/blog")).text


async def test_publish_a_draft(create_post, read, client, auth):
    await create_post("Patience", status="draft")
    await _warm(read, "/blog", "/blog/patience")
    await client.put("/api/posts/patience", json={"status": "published"}, headers=auth())
    assert (await read("/blog/patience")).status_code == 200
    assert "Patience" in (await read("/")).text


async def test_rename_clears_the_old_slug(create_post, read, client, auth):
    await create_post("Old Name")
    await _warm(read, "/blog/old-name", "/api/posts/old-name", "/blog")
    await client.put("/api/posts/old-name", json={"slug": "new-name"}, headers=auth())
    # The old slug's cached page is gone: it now redirects (the 404 came with reuse only).
    old_page, old_api = await read("/blog/old-name"), await read("/api/posts/old-name")
    assert (old_page.status_code, old_page.headers["location"]) == (301, "/blog/new-name")
    assert (old_api.status_code, old_api.headers["location"]) == (301, "/api/posts/new-name")
    assert (await read("/blog/new-name")).status_code == 200
    assert 'href="/blog/new-name"' in (await read("/blog")).text


async def test_delete_clears_everything(create_post, read, client, auth, platform):
    await create_post("Gone Soon")
    await _warm(read, "/", "/blog", "/api/posts", "/blog/gone-soon", "/api/posts/gone-soon")
    await client.delete("/api/posts/gone-soon", headers=auth())
    assert (await read("/blog/gone-soon")).status_code == 404
    assert (await read("/api/posts/gone-soon")).status_code == 404
    assert (await read("/api/posts")).json()["posts"] == []
    assert "Gone Soon" not in (await read("/")).text


async def test_create_shows_up_in_cached_lists(create_post, read, clock):
    await create_post("One")
    await _warm(read, "/", "/blog", "/api/posts", "/blog?page=2")
    clock.advance(1000)
    await create_post("Two")
    assert [p["title"] for p in (await read("/api/posts")).json()["posts"]] == ["Two", "One"]
    assert "Two" in (await read("/")).text and "Two" in (await read("/blog")).text


async def test_writes_to_one_tenant_leave_the_others_cached(create_post, read, platform):
    await read("http://willow.localhost:8787/blog")
    hits = platform.services.stats.get("cache.hits")
    await create_post("Autumn News")
    await read("http://willow.localhost:8787/blog")
    assert platform.services.stats.get("cache.hits") == hits + 2  # willow's generation entry and page


# --- concurrency ------------------------------------------------------------------------------


async def test_concurrent_misses_cost_one_d1_read(create_post, platform, d1_queries, clock):
    await create_post("Popular")
    await platform.runtime.kv().delete(post_key("autumn", "popular"))  # not written through: a miss
    clock.advance(5 * 60_000)  # TenantDO's config copy is due for a reload too
    before = d1_queries()
    replies = await asyncio.gather(
        *(platform.runtime.fetch("http://autumn.localhost:8787/blog/popular") for _ in range(20))
    )
    await platform.runtime.drain()
    assert {r.status for r in replies} == {200}
    # One read of the post, one of the tenant config (TenantDO single-flights its reload).
    assert d1_queries() - before == 2
