"""The fault matrix: every point of ``local_runtime.faults`` armed against the app over HTTP
(``r2.get_corrupt``, and each point at each step of a move between D1 and R2, are armed in
``test_content_moves.py``).

For each fault: what the user sees while it lasts (a clear error in the one error shape, or a
transparent fallback), and that nothing acknowledged is lost once it clears.
"""

from __future__ import annotations

import pytest

from grove.cache_keys import post_key
from grove_dev.demo_content import DemoPost
from grove_dev.seed import seed_posts
from local_runtime.faults import FaultPoint, InvocationKilled

pytestmark = pytest.mark.usefixtures("tenants")

MINUTE_MS = 60_000
API = {"accept": "application/json"}


def _assert_error(reply, status: int, code: str | None = None) -> None:
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["message"] and (code is None or error["code"] == code)
    assert reply.headers["cache-control"] == "private, no-store"


async def _count(platform, sql: str, *params) -> int:
    return (await platform.runtime.d1().prepare(sql).bind(*params).first())["n"]


async def _send_events(client, clock, n: int) -> None:
    events = [{"type": "page_view", "path": "/blog/a", "ts_ms": clock.now_ms()} for _ in range(n)]
    for start in range(0, n, 100):
        reply = await client.post("/api/analytics", json=events[start : start + 100])
        assert reply.status_code == 202, reply.text


def _tiered_post(slug: str, days: float) -> DemoPost:
    return DemoPost(
        slug=slug, title=slug.title(), description="", tags=[], markdown=f"The body of **{slug}**.",
        status="published", published_days_ago=days, edited_days_ago=days,
    )


async def test_every_point_is_named_once():
    assert len({point.value for point in FaultPoint}) == len(FaultPoint) == 10


async def test_d1_statement_error_refuses_the_write_and_leaves_nothing(client, auth, faults, platform, create_post):
    await create_post("Before")
    faults.arm(FaultPoint.D1_STATEMENT_ERROR, match="INSERT INTO posts")
    failed = await client.post("/api/posts", json={"title": "During", "markdown": "x"}, headers=auth())
    # Refused by the post's PostContentDO, which makes the write: a retryable 503.
    _assert_error(failed, 503, "write_unavailable")
    assert failed.headers["retry-after"] == "5"
    assert faults.fired(FaultPoint.D1_STATEMENT_ERROR) == 1
    assert await _count(platform, "SELECT COUNT(*) AS n FROM posts WHERE slug = 'during'") == 0
    assert (await client.get("/blog/before")).status_code == 200  # other statements still run
    faults.disarm(FaultPoint.D1_STATEMENT_ERROR)
    retried = await client.post("/api/posts", json={"title": "During", "markdown": "x", "status": "published"}, headers=auth())
    assert retried.status_code == 201
    assert (await client.get("/blog/during")).status_code == 200


async def test_d1_unavailable_analytics_are_kept_and_delivered_after_and_tokens_fail_closed(client, auth, faults, platform, clock):
    assert (await client.get("/")).status_code == 200  # the tenant's config is loaded
    headers = auth()
    faults.arm(FaultPoint.D1_UNAVAILABLE)
    await _send_events(client, clock, 150)  # acknowledged: in the TenantDO's own storage
    # Which object holds a slug's draft is D1's to say (is it a post?): without D1 a save is
    # refused with a retry hint and writes nothing (the editor keeps the text and resends it).
    draft = {"content": "kept", "metadata": {"title": "Kept"}, "device_id": "laptop"}
    # Credentials live in D1 (revocation must be strongly consistent): without D1 a token
    # cannot be checked, so it is refused with a retry hint, never let through.
    refused = await client.put("/api/drafts/kept", json=draft, headers=headers)
    _assert_error(refused, 503, "auth_unavailable")
    assert refused.headers["retry-after"] == "5"
    _assert_error(await client.get("/api/posts/nothing-cached", headers=API), 500, "internal_error")
    await platform.runtime.advance(2 * MINUTE_MS)  # flushes fail and are retried later
    assert faults.fired(FaultPoint.D1_UNAVAILABLE) >= 2
    faults.disarm(FaultPoint.D1_UNAVAILABLE)
    await platform.runtime.advance(15 * MINUTE_MS)  # past the longest backoff so far
    assert await _count(platform, "SELECT COUNT(*) AS n FROM analytics_events WHERE tenant = 'autumn'") == 150
    assert (await client.get("/api/drafts/kept", headers=headers)).status_code == 404  # nothing half-written
    saved = await client.put("/api/drafts/kept", json=draft, headers=headers)  # sent again
    assert saved.status_code == 201, saved.text
    got = await client.get("/api/drafts/kept", headers=headers)
    assert got.status_code == 200 and got.json()["content"] == "kept"


async def test_r2_get_error_is_a_clear_500_and_nothing_is_cached(client, faults, platform, clock):
    await seed_posts(platform.runtime.d1(), platform.runtime.r2(), "autumn", [_tiered_post("warm", 120)], now_ms=clock.now_ms())
    faults.arm(FaultPoint.R2_GET_ERROR)
    _assert_error(await client.get("/api/posts/warm", headers=API), 500)
    page = await client.get("/blog/warm", headers={"accept": "text/html"})
    assert page.status_code == 500 and page.headers["cache-control"] == "private, no-store"
    await platform.runtime.drain()
    assert (await platform.runtime.kv().list(prefix=post_key("autumn", "warm")))["keys"] == []
    faults.disarm(FaultPoint.R2_GET_ERROR)
    reply = await client.get("/api/posts/warm", headers=API)
    assert reply.status_code == 200 and "<strong>warm</strong>" in reply.json()["html"]


async def test_r2_put_error_never_leaves_a_row_pointing_at_nothing(faults, platform, clock, client):
    posts = [_tiered_post("hot", 1), _tiered_post("warm", 120)]
    faults.arm(FaultPoint.R2_PUT_ERROR)
    with pytest.raises(Exception, match="internal error"):
        await seed_posts(platform.runtime.d1(), platform.runtime.r2(), "autumn", posts, now_ms=clock.now_ms())
    assert await _count(platform, "SELECT COUNT(*) AS n FROM posts") == 0  # R2 first, then one D1 batch
    faults.disarm(FaultPoint.R2_PUT_ERROR)
    await seed_posts(platform.runtime.d1(), platform.runtime.r2(), "autumn", posts, now_ms=clock.now_ms())
    for slug in ("hot", "warm"):
        assert (await client.get(f"/api/posts/{slug}", headers=API)).status_code == 200


async def test_kv_unavailable_readers_get_pages_from_d1(client, faults, platform, create_post, auth):
    await create_post("Through Rain", "Wet *leaves*.")
    faults.arm(FaultPoint.KV_UNAVAILABLE)
    page = await client.get("/blog/through-rain")
    assert page.status_code == 200 and "<em>leaves</em>" in page.text
    assert (await client.get("/api/posts", headers=API)).status_code == 200
    assert faults.fired(FaultPoint.KV_UNAVAILABLE) >= 2
    # Credentials are checked in D1, not KV: writers keep working while KV is down.
    assert (await client.get("/api/drafts", headers=auth())).status_code == 200
    faults.disarm(FaultPoint.KV_UNAVAILABLE)
    assert "<em>leaves</em>" in (await client.get("/blog/through-rain")).text


async def test_kv_unavailable_during_a_write_saves_it_and_says_the_caches_are_pending(client, faults, platform, create_post, auth):
    """D1 commits the write before the caches are refreshed: a KV outage then is a 503 that says
    the change is saved (never a 500 that reads as lost), and saving again refreshes them."""
    await create_post("Through Rain", "Wet *leaves*.", slug="through-rain")
    assert "<em>leaves</em>" in (await client.get("/blog/through-rain")).text  # KV and edge copies
    faults.arm(FaultPoint.KV_UNAVAILABLE)
    change = {"markdown": "Dry *stones*."}
    pending = await client.put("/api/posts/through-rain", json=change, headers=auth())
    _assert_error(pending, 503, "caches_pending")
    assert pending.json()["error"]["saved"] is True and pending.headers["retry-after"]
    row = await platform.runtime.d1().prepare("SELECT markdown FROM posts WHERE slug = 'through-rain'").first()
    assert row == {"markdown": "Dry *stones*."}
    faults.disarm(FaultPoint.KV_UNAVAILABLE)
    again = await client.put("/api/posts/through-rain", json=change, headers=auth())
    assert again.status_code == 200, again.text
    await platform.runtime.drain()
    assert "<em>stones</em>" in (await client.get("/blog/through-rain")).text


async def test_object_evicted_at_an_await_fails_that_call_only(client, auth, faults, platform, clock, create_post):
    """A post write is made by the post's PostContentDO, whose first await is D1: the object is
    reset there, the write is refused (503) and nothing changes; the next call meets a fresh
    instance on the same storage. (The TenantDO's config reload, the other object awaiting D1
    on this path, answers from its copy when its reload fails: readers never see that reset.)"""
    await create_post("T", "v1", slug="t")
    faults.arm(FaultPoint.DO_EVICTED_AT_AWAIT, times=1)
    _assert_error(await client.put("/api/posts/t", json={"markdown": "v2"}, headers=auth()), 503, "write_unavailable")
    assert faults.fired(FaultPoint.DO_EVICTED_AT_AWAIT) == 1
    row = await platform.runtime.d1().prepare("SELECT markdown, content_version FROM posts WHERE slug = 't'").first()
    assert row == {"markdown": "v1", "content_version": 1}
    saved = await client.put("/api/posts/t", json={"markdown": "v2"}, headers=auth())
    assert saved.status_code == 200 and saved.json()["content_version"] == 2


async def test_alarm_exception_is_retried_and_delivers_everything(client, faults, platform, clock):
    faults.arm(FaultPoint.ALARM_EXCEPTION, times=3, match="TenantDO")
    await _send_events(client, clock, 120)  # 100 due at once, 20 after 60 s
    await platform.runtime.advance(2 * MINUTE_MS)
    assert faults.fired(FaultPoint.ALARM_EXCEPTION) == 3
    await platform.runtime.advance(10 * MINUTE_MS)
    assert await _count(platform, "SELECT COUNT(*) AS n FROM analytics_events") == 120


async def test_cron_killed_mid_run_then_runs_whole(faults, platform):
    faults.arm(FaultPoint.CRON_KILLED_MID_BATCH, times=1)
    with pytest.raises(InvocationKilled):
        await platform.runtime.scheduled("0 3 * * *")
    # Killed at its first binding call (the read of the last run): nothing written; the next
    # run completes. Kills in the middle of moves: tests/app/test_tier_migrator_faults.py.
    run = await platform.runtime.scheduled("0 3 * * *")
    assert run["id"] == 1 and run["ended_at_ms"] is not None and run["failed"] == []


async def test_queue_consumer_exception_is_retried_and_the_post_reaches_the_feed(client, create_post, auth, faults, platform):
    """Meadow's fan-out queue: failing consumer batches are retried, and the post published
    during the fault reaches its follower's feed once it clears (never lost)."""
    meadow = "http://meadow.localhost:8787"
    rita = auth("autumn", "reader", user="rita")
    auth()  # ada, the author
    assert (await client.post(f"{meadow}/api/meadow/follows/ada", headers=rita)).status_code == 201
    assert (await client.get(f"{meadow}/api/meadow/feed", headers=rita)).json()["items"] == []
    await platform.runtime.advance(0)  # the feed reports its use (it gets pushes)
    faults.arm(FaultPoint.QUEUE_CONSUMER_EXCEPTION, times=3)
    post = await create_post("Published In A Storm")
    await platform.runtime.advance(MINUTE_MS)
    assert faults.fired(FaultPoint.QUEUE_CONSUMER_EXCEPTION) == 3
    assert platform.services.stats.get("queue.dead_lettered") == 0
    feed = await client.get(f"{meadow}/api/meadow/feed", headers=rita)
    assert [entry["post_id"] for entry in feed.json()["items"]] == [post["id"]]
