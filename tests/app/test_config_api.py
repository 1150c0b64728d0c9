"""PUT /api/config: owner only; D1 first, then the TenantDO's copy, then the cached pages that
show the config; a change made in D1 directly is picked up within 5 minutes."""

from __future__ import annotations

import json

import pytest

from grove.tenancy import tenant_stub

pytestmark = pytest.mark.usefixtures("tenants")

FIVE_MIN_MS = 5 * 60_000


@pytest.fixture
def platform_secrets(platform_secrets, purge_api) -> dict[str, str]:
    # The O(1) test below creates 27 posts in one minute; post creation is limited per user.
    return {**purge_api.secrets(platform_secrets), "RATE_LIMIT_POST_CREATE": "100/60"}


async def _tenant_row(platform) -> dict:
    return await platform.runtime.d1().prepare("SELECT * FROM tenants WHERE subdomain = 'autumn'").first()


async def test_owner_changes_name_and_theme(client, auth, platform, clock):
    clock.advance(1_000)
    reply = await client.put("/api/config", json={"display_name": "Autumn, Renamed", "theme": {"accent": "#225577"}}, headers=auth())
    assert reply.status_code == 200 and reply.headers["cache-control"] == "private, no-store"
    config = reply.json()
    assert config["display_name"] == "Autumn, Renamed" and config["theme"]["accent"] == "#225577"
    assert config["updated_at_ms"] == clock.now_ms() and config["tier"] == "oak"
    row = await _tenant_row(platform)
    assert row["display_name"] == "Autumn, Renamed" and json.loads(row["theme"]) == {"accent": "#225577"}
    # The TenantDO's copy changed with it (no 5-minute wait).
    copy = await tenant_stub(platform.runtime.worker().env, "autumn").get_config()
    assert copy["display_name"] == "Autumn, Renamed"


async def test_theme_keys_merge_and_null_resets_one(client, auth, platform):
    await client.put("/api/config", json={"theme": {"tagline": "Slow gardening."}}, headers=auth())
    assert json.loads((await _tenant_row(platform))["theme"]) == {"accent": "#b5542c", "tagline": "Slow gardening."}
    await client.put("/api/config", json={"theme": {"accent": None}}, headers=auth())
    row = await _tenant_row(platform)
    assert json.loads(row["theme"]) == {"tagline": "Slow gardening."} and row["display_name"] == "Autumn's Grove"


async def test_pages_show_the_change_at_once(client, auth, read, create_post, purge_api):
    await create_post("Cached Post", "words")
    for path in ("/", "/blog", "/blog/cached-post"):
        assert "Autumn&#x27;s Grove" in (await read(path)).text  # now in the edge cache
    purge_api.requests.clear()
    reply = await client.put("/api/config", json={"display_name": "Autumn Renamed", "theme": {"accent": "#225577"}}, headers=auth())
    assert reply.status_code == 200
    for path in ("/", "/blog", "/blog/cached-post"):
        page = (await read(path)).text
        assert "Autumn Renamed" in page and "#225577" in page, path
    # The zone CDN is purged by the tenant's tag (other locations' copies carry it too).
    assert [r["json"] for r in purge_api.requests] == [{"tags": ["t-autumn"]}]


async def test_other_tenants_stay_cached(client, auth, read, platform):
    await read("http://willow.localhost:8787/")
    hits = platform.services.stats.get("cache.hits")
    await client.put("/api/config", json={"display_name": "Autumn Renamed"}, headers=auth())
    await read("http://willow.localhost:8787/")
    assert platform.services.stats.get("cache.hits") == hits + 2  # generation entry and page


async def test_owner_only(client, auth, platform):
    body = {"display_name": "Hijacked"}
    assert (await client.put("/api/config", json=body)).status_code == 401
    author = await client.put("/api/config", json=body, headers=auth(role="author"))
    assert author.status_code == 403 and author.json()["error"]["code"] == "insufficient_role"
    other = await client.put("/api/config", json=body, headers=auth("willow"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_tenant"
    assert (await _tenant_row(platform))["display_name"] == "Autumn's Grove"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "Autumn\u202e"}, "display_name"),  # reorders what follows it
        ({"display_name": None}, "body"),
        ({"theme": {"accent": "red; background: url(x)"}}, "theme.accent"),
        ({"theme": {"font": "Comic Sans"}}, "theme.font"),
        ({"tier": "evergreen"}, "tier"),  # not the owner's to change
    ],
)
async def test_invalid_updates_are_422(client, auth, body, field):
    reply = await client.put("/api/config", json=body, headers=auth())
    assert reply.status_code == 422 and reply.json()["error"]["field"] == field, reply.text


async def test_unknown_tenant_is_404(client, auth):
    reply = await client.put("http://nobody.localhost:8787/api/config", json={"display_name": "x"}, headers=auth("nobody"))
    assert reply.status_code == 404


async def test_a_change_made_in_d1_directly_is_picked_up_within_five_minutes(client, auth, platform, clock):
    stub = tenant_stub(platform.runtime.worker().env, "autumn")
    await stub.get_config()
    await platform.runtime.d1().prepare("UPDATE tenants SET display_name = 'Changed In D1' WHERE subdomain = 'autumn'").run()
    # Credentialed views bypass the page caches: they show what the TenantDO serves.
    clock.advance(FIVE_MIN_MS - 1)
    assert "Changed In D1" not in (await client.get("/", headers=auth(role="reader"))).text
    clock.advance(1)
    assert "Changed In D1" in (await client.get("/", headers=auth(role="reader"))).text


async def test_a_config_write_costs_the_same_whatever_the_post_count(client, auth, create_post, read, platform, clock):
    # Pages are keyed by the config version (grove.page_cache.EdgeGeneration): the write
    # retires them all without listing the tenant's posts.
    names = ("d1.queries", "d1.rows_read", "kv.deletes", "cache.deletes", "do.requests")
    costs = []
    for extra in (2, 25):
        for n in range(extra):
            await create_post(f"Post {len(costs)} {n}")
            await read(f"/blog/post-{len(costs)}-{n}")
        before = {name: platform.services.stats.get(name) for name in names}
        clock.advance(1_000)
        reply = await client.put("/api/config", json={"display_name": f"Name {extra}"}, headers=auth())
        assert reply.status_code == 200
        costs.append({name: platform.services.stats.get(name) - before[name] for name in names})
    assert costs[0] == costs[1]
    # ...and every page shows the new name at once, in this location.
    assert "Name 25" in (await read("/blog/post-0-1")).text and "Name 25" in (await read("/blog")).text
