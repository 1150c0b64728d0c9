"""The read path follows storage_location: content from D1 (hot), R2 (warm), R2 archive
(cold); cache lifetimes by tier; a missing R2 object is a logged 500, never an empty page."""

from __future__ import annotations

import logging

import pytest
from client_kinds import BROWSER

from grove.cache_keys import post_key
from grove_dev.demo_content import DemoPost
from grove_dev.seed import post_id_for, seed_posts

pytestmark = pytest.mark.usefixtures("tenants")


def _post(slug: str, days: float, status: str = "published") -> DemoPost:
    return DemoPost(
        slug=slug, title=slug.replace("-", " ").title(), description=f"About {slug}.",
        tags=["tiers"], markdown=f"# {slug}\n\nThe body of **{slug}**.", status=status,
        published_days_ago=days, edited_days_ago=days,
    )


@pytest.fixture
async def tiered(platform, clock) -> None:
    posts = [_post("fresh", 3), _post("seasoned", 120), _post("ancient", 800), _post("shelved", 40, "archived")]
    await seed_posts(platform.runtime.d1(), platform.runtime.r2(), "autumn", posts, now_ms=clock.now_ms())


async def _row(platform, slug: str) -> dict:
    return await platform.runtime.d1().prepare("SELECT * FROM posts WHERE slug = ?").bind(slug).first()


async def test_seeded_rows_sit_in_their_tiers(platform, tiered):
    locations = {slug: (await _row(platform, slug))["storage_location"] for slug in ("fresh", "seasoned", "ancient", "shelved")}
    assert locations == {"fresh": "d1", "seasoned": "r2", "ancient": "r2_archived", "shelved": "r2_archived"}
    seasoned = await _row(platform, "seasoned")
    assert seasoned["markdown"] is None and seasoned["html"] is None  # content only in R2
    assert seasoned["r2_key"] == f"posts/autumn/{post_id_for('autumn', 'seasoned')}.json"
    assert (await _row(platform, "ancient"))["r2_key"].startswith("archive/autumn/")


@pytest.mark.parametrize(("slug", "r2_gets"), [("fresh", 0), ("seasoned", 1), ("ancient", 1), ("shelved", 1)])
async def test_content_comes_from_where_storage_location_says(platform, tiered, read, slug, r2_gets):
    before = platform.services.stats.get("r2.class_b")
    reply = await read(f"/blog/{slug}")
    assert reply.status_code == 200
    assert f"<strong>{slug}</strong>" in reply.text
    assert platform.services.stats.get("r2.class_b") - before == r2_gets


@pytest.mark.parametrize(("slug", "kv_ttl_s", "edge_ttl_s"), [("fresh", 86400, 3600), ("seasoned", 7 * 86400, 86400), ("ancient", 30 * 86400, 7 * 86400)])
async def test_cache_lifetimes_by_tier(platform, tiered, read, clock, d1_queries, slug, kv_ttl_s, edge_ttl_s):
    await read(f"/blog/{slug}")
    listing = await platform.runtime.kv().list(prefix=post_key("autumn", slug))
    assert listing["keys"][0]["expiration"] == clock.now_ms() // 1000 + kv_ttl_s
    clock.advance(edge_ttl_s * 1000 - 1000)
    before, kv_reads = d1_queries(), platform.services.stats.get("kv.reads")
    await read(f"/blog/{slug}")
    # The edge copy still answers: no KV read, and D1 only for the TenantDO's config reload
    # (the generation entry expired long ago, so the config and stamp were asked for).
    assert platform.services.stats.get("kv.reads") == kv_reads and d1_queries() - before <= 1
    clock.advance(2000)
    await read(f"/blog/{slug}")
    assert platform.services.stats.get("kv.reads") > kv_reads  # expired at the edge


async def test_a_missing_r2_object_is_a_logged_500(platform, tiered, read, caplog):
    key = (await _row(platform, "seasoned"))["r2_key"]
    await platform.runtime.r2().delete(key)
    with caplog.at_level(logging.ERROR, logger="grove.reader"):
        page = await read("/blog/seasoned", headers=BROWSER)
        api = await read("/api/posts/seasoned")
    assert page.status_code == 500 and "text/html" in page.headers["content-type"]
    assert "missing from storage" in page.text
    assert api.status_code == 500 and api.json()["error"]["code"] == "content_missing"
    assert page.headers["cache-control"] == "private, no-store"
    assert any(key in record.getMessage() for record in caplog.records)
    # Nothing was cached: once the object is back, readers get the post.
    assert (await platform.runtime.kv().list(prefix=post_key("autumn", "seasoned")))["keys"] == []


async def test_editing_a_warm_post_brings_its_content_back_to_d1(platform, tiered, client, auth, read):
    old_key = (await _row(platform, "seasoned"))["r2_key"]
    title_only = await client.put("/api/posts/seasoned", json={"title": "Renamed"}, headers=auth())
    assert title_only.json()["storage_location"] == "r2" and title_only.json()["markdown"].startswith("# seasoned")
    reply = await client.put("/api/posts/seasoned", json={"markdown": "Rewritten *today*."}, headers=auth())
    assert reply.status_code == 200 and reply.json()["storage_location"] == "d1"
    row = await _row(platform, "seasoned")
    assert row["storage_location"] == "d1" and row["r2_key"] is None and row["markdown"] == "Rewritten *today*."
    assert await platform.runtime.r2().head(old_key) is None
    assert "<em>today</em>" in (await read("/blog/seasoned")).text


async def test_deleting_a_cold_post_deletes_its_r2_object(platform, tiered, client, auth):
    key = (await _row(platform, "ancient"))["r2_key"]
    assert (await client.delete("/api/posts/ancient", headers=auth())).status_code == 200
    assert await platform.runtime.r2().head(key) is None
