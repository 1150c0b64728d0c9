"""A post's live parts over HTTP (PostMetaDO): reactions exact under concurrency and in D1
after the flush; comments visible at once, paged across buffer and D1, surviving eviction and
D1 failures, delivered once; moderation; views de-duplicated per reader and flushed hourly;
writers' stats."""

from __future__ import annotations

import asyncio
import random

import pytest

from grove.engagement import COMMENT_FLUSH, HOUR_MS, REACTION_FLUSH, REACTION_TYPES, object_name
from grove.limits import DEFAULT_LIMITS, Rule
from local_runtime.faults import FaultPoint

pytestmark = pytest.mark.usefixtures("tenants")

MINUTE_MS = 60_000
RAISED_LIMITS = {"RATE_LIMIT_REACTION": "1000/60", "RATE_LIMIT_COMMENT": "1000/60"}


@pytest.fixture
def platform_secrets(platform_secrets):
    return {**platform_secrets, **RAISED_LIMITS}


@pytest.fixture
async def post(create_post) -> dict:
    return await create_post("Spring Beds", "Mulch *everything*.")


@pytest.fixture
def meta_object(platform):
    """The live PostMetaDO of a post (constructed if needed), to look at its storage."""

    async def get(post_id: str, tenant: str = "autumn"):
        env = platform.runtime.worker().env
        stub = env.POST_META.get(env.POST_META.idFromName(object_name(tenant, post_id)))
        namespace = platform.runtime.namespaces[("grove-edge", "PostMetaDO")]
        return await namespace.instance_for_test(stub)

    return get


@pytest.fixture
def d1_rows(platform):
    async def rows(sql: str, *params) -> list[dict]:
        return (await platform.runtime.d1().prepare(sql).bind(*params).all())["results"]

    return rows


def reader(auth, user: str, tenant: str = "autumn") -> dict[str, str]:
    return auth(tenant, "reader", user=user)


# --- reactions -------------------------------------------------------------------------------


async def test_concurrent_toggles_leave_exact_counts_and_d1_agrees_after_the_flush(client, auth, post, meta_object, d1_rows, platform):
    users, toggles = 100, 200
    rng = random.Random(11)
    plan = [(f"u{rng.randrange(users)}", rng.choice(REACTION_TYPES)) for _ in range(toggles)]
    headers = {user: reader(auth, user) for user, _ in plan}

    async def toggle(user: str, kind: str) -> dict:
        reply = await client.post("/api/posts/spring-beds/reactions", json={"type": kind}, headers=headers[user])
        assert reply.status_code == 200, reply.text
        return reply.json()

    replies = await asyncio.gather(*(toggle(user, kind) for user, kind in plan))
    expected: set[tuple[str, str]] = set()
    for pair in plan:
        expected ^= {pair}  # each toggle flips the pair
    counts = {kind: sum(1 for _, k in expected if k == kind) for kind in REACTION_TYPES}
    final = await client.get("/api/posts/spring-beds/reactions")
    assert final.json() == {"counts": counts, "mine": []}
    assert all(set(reply["counts"]) == set(REACTION_TYPES) for reply in replies)
    instance = await meta_object(post["id"])
    rows = {(r["user_id"], r["reaction_type"]) for r in instance.sql.exec("SELECT * FROM reactions").toArray()}
    assert rows == expected
    assert await d1_rows("SELECT * FROM post_reactions") == []  # not before 5 minutes
    await platform.runtime.advance(REACTION_FLUSH.max_wait_ms)
    stored = await d1_rows("SELECT user_id, reaction_type, tenant, post_id FROM post_reactions")
    assert {(r["user_id"], r["reaction_type"]) for r in stored} == expected
    assert {(r["tenant"], r["post_id"]) for r in stored} <= {("autumn", post["id"])}
    per_type = await d1_rows("SELECT reaction_type, COUNT(*) AS n FROM post_reactions GROUP BY reaction_type")
    assert {r["reaction_type"]: r["n"] for r in per_type} == {k: v for k, v in counts.items() if v}


async def test_a_toggle_answers_added_count_and_counts_and_mine_is_private(client, auth, post):
    ada = reader(auth, "ada")
    first = await client.post("/api/posts/spring-beds/reactions", json={"type": "love"}, headers=ada)
    assert first.json() == {"added": True, "count": 1, "counts": {"like": 0, "love": 1, "insightful": 0, "funny": 0}}
    mine = await client.get("/api/posts/spring-beds/reactions", headers=ada)
    assert mine.json()["mine"] == ["love"]
    assert mine.headers["cache-control"] == "private, no-store" and mine.headers["vary"] == "Authorization"
    anonymous = await client.get("/api/posts/spring-beds/reactions")
    assert anonymous.json()["mine"] == [] and anonymous.headers["cache-control"] == "private, no-store"
    again = await client.post("/api/posts/spring-beds/reactions", json={"type": "love"}, headers=ada)
    assert again.json()["added"] is False and again.json()["count"] == 0


async def test_any_valid_token_may_react_and_nobody_without_one(client, auth, post):
    assert (await client.post("/api/posts/spring-beds/reactions", json={"type": "like"})).status_code == 401
    other_blog = auth("willow", "reader", user="wren")
    assert (await client.post("/api/posts/spring-beds/reactions", json={"type": "like"}, headers=other_blog)).status_code == 200
    bad = await client.post("/api/posts/spring-beds/reactions", json={"type": "angry"}, headers=other_blog)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "type"


async def test_drafts_and_missing_posts_take_no_reactions_comments_or_views(client, auth, create_post):
    await create_post("Half Done", "wip", status="draft")
    ada = reader(auth, "ada")
    for slug in ("half-done", "no-such-post"):
        assert (await client.post(f"/api/posts/{slug}/reactions", json={"type": "like"}, headers=ada)).status_code == 404
        assert (await client.post(f"/api/posts/{slug}/comments", json={"markdown": "hi"}, headers=ada)).status_code == 404
        assert (await client.get(f"/api/posts/{slug}/comments")).status_code == 404
        assert (await client.post(f"/api/posts/{slug}/views")).status_code == 404


async def test_reactions_are_rate_limited_per_user(client, auth, post, platform):
    platform.runtime.worker().env.RATE_LIMIT_REACTION = "3/60"
    ada = reader(auth, "ada")
    statuses = [
        (await client.post("/api/posts/spring-beds/reactions", json={"type": "like"}, headers=ada)).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # Another user is not limited by ada's requests.
    assert (await client.post("/api/posts/spring-beds/reactions", json={"type": "like"}, headers=reader(auth, "bo"))).status_code == 200


async def _toggles(client, headers: dict[str, str], times: int, *, slug: str = "spring-beds", body: dict | None = None) -> list[int]:
    return [
        (await client.post(f"/api/posts/{slug}/reactions", json=body or {"type": "like"}, headers=headers)).status_code
        for _ in range(times)
    ]


# The toggle reads the post and counts the user's limit beside the credential's lookup
# (grove.routes.visit.open_visit_with): a request refused for any reason spends nothing.


async def test_a_refused_credential_is_said_first_and_spends_nothing_of_the_users_limit(client, auth, post, platform):
    platform.runtime.worker().env.RATE_LIMIT_REACTION = "3/60"
    revoked = reader(auth, "ada")
    assert (await client.post("/api/auth/logout", headers=revoked)).status_code == 200
    for slug, body in (("spring-beds", {"type": "like"}), ("no-such-post", {"type": "like"}), ("spring-beds", {"type": "angry"})):
        refused = await client.post(f"/api/posts/{slug}/reactions", json=body, headers=revoked)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked", (slug, body)
    assert await _toggles(client, revoked, 3) == [401] * 3
    assert (await client.get("/api/posts/spring-beds/reactions")).json()["counts"]["like"] == 0
    assert await _toggles(client, reader(auth, "ada"), 4) == [200, 200, 200, 429]


async def test_a_missing_post_or_a_bad_body_spends_nothing_and_comes_before_the_limit(client, auth, post, platform):
    platform.runtime.worker().env.RATE_LIMIT_REACTION = "3/60"
    ada = reader(auth, "ada")
    assert await _toggles(client, ada, 4, slug="no-such-post") == [404] * 4
    assert await _toggles(client, ada, 2, body={"type": "angry"}) == [422] * 2
    assert await _toggles(client, ada, 4) == [200, 200, 200, 429]
    # Past the limit, a missing post is still a 404.
    assert await _toggles(client, ada, 1, slug="no-such-post") == [404]


async def test_cross_site_toggles_with_the_cookie_spend_nothing(client, post, platform, sign_in):
    platform.runtime.worker().env.RATE_LIMIT_REACTION = "3/60"
    cookie = {"cookie": f"grove_session={await sign_in('ivy@example.com')}"}
    forged = [
        await client.post("/api/posts/spring-beds/reactions", json={"type": "like"}, headers={**cookie, "sec-fetch-site": "cross-site"})
        for _ in range(5)
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r in forged] == [(403, "csrf_refused")] * 5
    assert await _toggles(client, {**cookie, "sec-fetch-site": "same-origin"}, 4) == [200, 200, 200, 429]


async def test_a_guessing_address_is_refused_a_valid_toggle_and_the_user_keeps_the_unit(client, auth, post, platform):
    platform.runtime.worker().env.RATE_LIMIT_REACTION = "3/60"
    guesser = {"cf-connecting-ip": "203.0.113.9"}
    limit = DEFAULT_LIMITS[Rule.AUTH_FAILURE].limit
    bad = {**guesser, "authorization": "Bearer not.a.token"}
    assert {r.status_code for r in await asyncio.gather(*(client.get("/api/drafts", headers=bad) for _ in range(limit)))} == {401}
    ada = reader(auth, "ada")
    refused = await client.post("/api/posts/spring-beds/reactions", json={"type": "like"}, headers={**guesser, **ada})
    assert refused.status_code == 429 and refused.json()["error"]["rule"] == "auth_failure"
    assert (await client.get("/api/posts/spring-beds/reactions")).json()["counts"]["like"] == 0
    assert await _toggles(client, ada, 4) == [200, 200, 200, 429]


# --- comments --------------------------------------------------------------------------------


async def comment(client, headers, markdown: str = "Lovely.", parent_id: str | None = None, slug: str = "spring-beds") -> dict:
    reply = await client.post(f"/api/posts/{slug}/comments", json={"markdown": markdown, "parent_id": parent_id}, headers=headers)
    assert reply.status_code == 201, reply.text
    return reply.json()["comment"]


async def test_a_comment_is_visible_at_once_and_reaches_d1_30_seconds_later(client, auth, post, platform, d1_rows, meta_object):
    ada = reader(auth, "ada")
    made = await comment(client, ada, "Try *leaf mould*.")
    assert made["html"] == "<p>Try <em>leaf mould</em>.</p>\n" and made["mine"] is True and made["state"] == "visible"
    listed = (await client.get("/api/posts/spring-beds/comments")).json()
    assert [c["id"] for c in listed["comments"]] == [made["id"]] and listed["next_cursor"] is None
    assert listed["comments"][0]["mine"] is False  # anonymous caller
    assert await d1_rows("SELECT id FROM comments") == []
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)
    assert [r["id"] for r in await d1_rows("SELECT id FROM comments")] == [made["id"]]
    assert (await meta_object(post["id"])).comments.pending == 0
    assert (await client.get("/api/posts/spring-beds/comments", headers=ada)).json()["comments"][0]["mine"] is True


async def test_pages_follow_the_cursor_across_buffer_and_d1(client, auth, post, platform, clock):
    ada = reader(auth, "ada")
    made = []
    for n in range(70):
        made.append((await comment(client, ada, f"comment {n}"))["id"])
        clock.advance(100)
        if n == 40:
            await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)  # the first 41 go to D1
    seen, cursor = [], None
    while True:
        page = (await client.get("/api/posts/spring-beds/comments", params={"cursor": cursor} if cursor else None)).json()
        seen += [c["id"] for c in page["comments"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    bad = await client.get("/api/posts/spring-beds/comments", params={"cursor": "0 OR 1=1"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "cursor"


async def test_replies_thread_and_an_unknown_parent_is_422(client, auth, post, platform):
    ada, bo = reader(auth, "ada"), reader(auth, "bo")
    root = await comment(client, ada, "Root")
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)  # the parent is in D1 now
    reply = await comment(client, bo, "Reply", parent_id=root["id"])
    nested = await comment(client, ada, "Reply to the reply", parent_id=reply["id"])
    assert reply["parent_id"] == root["id"] and nested["parent_id"] == reply["id"]
    orphan = await client.post("/api/posts/spring-beds/comments", json={"markdown": "x", "parent_id": "0" * 32}, headers=ada)
    assert orphan.status_code == 422 and orphan.json()["error"]["field"] == "parent_id"


@pytest.mark.parametrize(
    ("markdown", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("[click](javascript:alert(1))", 'href="javascript'),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("![x](data:text/html;base64,PHNjcmlwdD4=)", 'src="data'),
        ("[a](java\tscript:alert(1))", "href="),
    ],
)
async def test_hostile_comments_render_harmless(client, auth, post, markdown, forbidden):
    made = await comment(client, reader(auth, "mallory"), markdown)
    assert forbidden not in made["html"]
    listed = (await client.get("/api/posts/spring-beds/comments")).json()["comments"]
    assert forbidden not in listed[0]["html"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"markdown": ""}, 422),
        ({"markdown": "x" * 10_001}, 422),
        ({"markdown": "x", "extra": 1}, 422),
        ({"markdown": "x", "parent_id": "../../etc"}, 422),
        ({"markdown": 5}, 422),
    ],
)
async def test_invalid_comments_are_refused(client, auth, post, body, status):
    reply = await client.post("/api/posts/spring-beds/comments", json=body, headers=reader(auth, "ada"))
    assert reply.status_code == status and reply.json()["error"]["code"]


async def test_comments_need_a_token_and_are_rate_limited(client, auth, post, platform):
    assert (await client.post("/api/posts/spring-beds/comments", json={"markdown": "hi"})).status_code == 401
    platform.runtime.worker().env.RATE_LIMIT_COMMENT = "2/60"
    ada = reader(auth, "ada")
    codes = [(await client.post("/api/posts/spring-beds/comments", json={"markdown": "hi"}, headers=ada)).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


async def test_a_refused_comment_spends_nothing_of_the_users_limit(client, auth, post, platform):
    platform.runtime.worker().env.RATE_LIMIT_COMMENT = "2/60"
    ada = reader(auth, "ada")
    # A task list renders to more than 10x its text: past the stored-size bound.
    refusals = [
        ({"markdown": "- [ ] x\n" * 1250}, 413),
        ({"markdown": "hi", "parent_id": "0" * 32}, 422),
        ({"markdown": "hi"}, 404),
    ]
    for body, status in refusals:
        for _ in range(3):
            slug = "no-such-post" if status == 404 else "spring-beds"
            reply = await client.post(f"/api/posts/{slug}/comments", json=body, headers=ada)
            assert reply.status_code == status, reply.text
    codes = [(await client.post("/api/posts/spring-beds/comments", json={"markdown": "hi"}, headers=ada)).status_code for _ in range(3)]
    assert codes == [201, 201, 429]


async def test_deleting_a_post_takes_its_comments_reactions_and_objects_data_with_it(client, auth, create_post, post, platform, d1_rows, meta_object):
    ada = reader(auth, "ada")
    await comment(client, ada, "Flushed before the delete.")
    assert (await client.post("/api/posts/spring-beds/reactions", json={"type": "like"}, headers=ada)).status_code == 200
    await platform.runtime.advance(REACTION_FLUSH.max_wait_ms)  # the comments' and the reactions' flushes
    assert len(await d1_rows("SELECT id FROM comments WHERE post_id = ?1", post["id"])) == 1
    assert len(await d1_rows("SELECT * FROM post_reactions WHERE post_id = ?1", post["id"])) == 1
    await comment(client, ada, "Still in the object's buffer.")
    assert (await client.delete("/api/posts/spring-beds", headers=auth())).status_code == 200
    await platform.runtime.advance(HOUR_MS)  # any flush the object still had due
    assert await d1_rows("SELECT id FROM comments WHERE post_id = ?1", post["id"]) == []
    assert await d1_rows("SELECT * FROM post_reactions WHERE post_id = ?1", post["id"]) == []
    meta = await meta_object(post["id"])
    for table in ("reactions", "pending_comments", "stats"):
        assert meta.sql.exec(f"SELECT COUNT(*) AS n FROM {table}").one()["n"] == 0, table
    env = platform.runtime.worker().env
    content = env.POST_CONTENT.get(env.POST_CONTENT.idFromName(f"post-content:autumn:{post['id']}"))
    assert (await content.list_versions(None, 20))["versions"] == []
    # A new post at the address starts with nothing of the old one's.
    await create_post("Spring Beds", "Again.")
    assert (await client.get("/api/posts/spring-beds/comments")).json()["comments"] == []
    assert sum((await client.get("/api/posts/spring-beds/reactions")).json()["counts"].values()) == 0


async def test_hide_by_owner_or_post_author_and_delete_by_the_comment_author(client, auth, post, platform, d1_rows, clock):
    ada, bo = reader(auth, "ada"), reader(auth, "bo")
    first = await comment(client, ada, "one")
    clock.advance(1)
    second = await comment(client, ada, "two")
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)
    third = await comment(client, ada, "three")  # still buffered
    url = "/api/posts/spring-beds/comments"
    assert (await client.post(f"{url}/{first['id']}/hide", headers=bo)).status_code == 403
    assert (await client.post(f"{url}/{first['id']}/hide", headers=auth("autumn", "author", user="cyd"))).status_code == 403
    hidden = await client.post(f"{url}/{first['id']}/hide", headers=auth())  # the owner
    assert hidden.status_code == 200 and hidden.json()["comment"]["state"] == "hidden"
    # The post's author (ada created it through the owner fixture; its author_id is "ada").
    assert (await client.post(f"{url}/{third['id']}/hide", headers=auth("autumn", "author", user="ada"))).status_code == 200
    assert (await client.delete(f"{url}/{second['id']}", headers=bo)).status_code == 403
    deleted = await client.delete(f"{url}/{second['id']}", headers=ada)
    assert deleted.status_code == 200 and deleted.json()["comment"]["state"] == "deleted"
    assert (await client.delete(f"{url}/{'f' * 32}", headers=ada)).status_code == 404
    listed = (await client.get(url)).json()["comments"]
    assert [(c["state"], c["html"]) for c in listed] == [("hidden", ""), ("deleted", ""), ("hidden", "")]
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)
    stored = {r["id"]: r for r in await d1_rows("SELECT * FROM comments")}
    assert stored[first["id"]]["hidden_at_ms"] and stored[second["id"]]["deleted_at_ms"] and stored[third["id"]]["hidden_at_ms"]
    stats = (await client.get("/api/posts/spring-beds/stats", headers=auth())).json()
    assert stats["comments"] == 0


async def test_an_evicted_object_with_buffered_comments_loses_none(client, auth, post, platform, d1_rows):
    ada = reader(auth, "ada")
    made = {(await comment(client, ada, f"c{n}"))["id"] for n in range(23)}
    platform.runtime.evict_all()
    assert {c["id"] for c in (await client.get("/api/posts/spring-beds/comments")).json()["comments"]} == made
    platform.runtime.evict_all()
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)
    assert {r["id"] for r in await d1_rows("SELECT id FROM comments")} == made


async def test_a_d1_failure_during_the_flush_loses_nothing_and_later_alarms_deliver_each_once(client, auth, post, platform, d1_rows, meta_object):
    ada = reader(auth, "ada")
    made = [(await comment(client, ada, f"c{n}"))["id"] for n in range(12)]
    await client.post("/api/posts/spring-beds/reactions", json={"type": "like"}, headers=ada)
    faults = platform.services.faults
    faults.arm(FaultPoint.D1_STATEMENT_ERROR, match="INSERT INTO comments")
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)
    assert faults.fired(FaultPoint.D1_STATEMENT_ERROR) >= 1
    assert await d1_rows("SELECT id FROM comments") == []
    # Still listed from the buffer meanwhile; the failure count outlives eviction.
    assert len((await client.get("/api/posts/spring-beds/comments")).json()["comments"]) == 12
    platform.runtime.evict_all()
    faults.disarm(FaultPoint.D1_STATEMENT_ERROR)
    await platform.runtime.advance(10 * MINUTE_MS)
    assert sorted(r["id"] for r in await d1_rows("SELECT id FROM comments")) == sorted(made)
    assert (await meta_object(post["id"])).comments.pending == 0
    assert len(await d1_rows("SELECT * FROM post_reactions")) == 1


async def test_an_object_reset_while_its_flush_awaits_d1_loses_nothing_and_stores_each_once(client, auth, post, platform, d1_rows):
    ada = reader(auth, "ada")
    made = [(await comment(client, ada, f"c{n}"))["id"] for n in range(7)]
    faults = platform.services.faults
    # The alarm's D1 insert is the object's first await on other I/O: it is reset there.
    faults.arm(FaultPoint.DO_EVICTED_AT_AWAIT, times=1)
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)
    assert faults.fired(FaultPoint.DO_EVICTED_AT_AWAIT) == 1
    await platform.runtime.advance(10 * MINUTE_MS)  # the runtime retries the alarm
    assert sorted(r["id"] for r in await d1_rows("SELECT id FROM comments")) == sorted(made)
    listed = (await client.get("/api/posts/spring-beds/comments")).json()["comments"]
    assert sorted(c["id"] for c in listed) == sorted(made)


async def test_a_batch_sent_twice_is_stored_once(client, auth, post, platform, d1_rows, meta_object):
    ada = reader(auth, "ada")
    made = [(await comment(client, ada, f"c{n}"))["id"] for n in range(5)]
    instance = await meta_object(post["id"])
    rows = instance.sql.exec("SELECT * FROM pending_comments").toArray()
    await instance._send_comments([dict(r) for r in rows])  # delivered, not yet removed
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)  # and delivered again
    assert sorted(r["id"] for r in await d1_rows("SELECT id FROM comments")) == sorted(made)


# --- views and stats -------------------------------------------------------------------------


def beacon(client, address: str, agent: str = "Firefox"):
    return client.post("/api/posts/spring-beds/views", headers={"cf-connecting-ip": address, "user-agent": agent})


async def test_views_count_once_per_reader_per_30_minutes_and_reach_d1_hourly(client, auth, post, platform, clock, d1_rows, tenant_object):
    async def views() -> int:
        return (await client.get("/api/posts/spring-beds/stats", headers=auth())).json()["views"]

    reply = await beacon(client, "203.0.113.5")
    assert reply.status_code == 202 and reply.json() == {"accepted": True}
    assert reply.headers["cache-control"] == "private, no-store"
    assert await views() == 1
    await beacon(client, "203.0.113.5")  # the same reader: not again
    assert await views() == 1
    await beacon(client, "203.0.113.5", "Safari")  # another browser behind the address
    await beacon(client, "198.51.100.7")
    assert await views() == 3
    clock.advance(31 * MINUTE_MS)
    await beacon(client, "203.0.113.5")  # the same reader, 31 minutes later
    stats = (await client.get("/api/posts/spring-beds/stats", headers=auth())).json()
    assert stats["views"] == 4 and stats["views_30d"] == 4 and stats["daily_uniques_30d"] == 3
    assert stats["last_viewed_at_ms"] == clock.now_ms()
    (row,) = await d1_rows("SELECT views, views_30d, last_viewed_at_ms FROM posts WHERE id = ?1", post["id"])
    assert row["views"] == 0
    await platform.runtime.advance(HOUR_MS)
    (row,) = await d1_rows("SELECT views, views_30d, daily_uniques_30d, last_viewed_at_ms FROM posts WHERE id = ?1", post["id"])
    assert row == {"views": 4, "views_30d": 4, "daily_uniques_30d": 3, "last_viewed_at_ms": stats["last_viewed_at_ms"]}
    # Each counted view is the owner's page_view too (delivered by the TenantDO's own flush).
    stored = await d1_rows("SELECT path FROM analytics_events WHERE type = 'page_view'")
    assert [r["path"] for r in stored] == ["/blog/spring-beds"] * 4


async def test_a_new_day_forgets_yesterdays_readers(client, auth, post, clock):
    await beacon(client, "203.0.113.5")
    clock.advance(24 * HOUR_MS)
    await beacon(client, "203.0.113.5")
    clock.advance(24 * HOUR_MS)
    await beacon(client, "203.0.113.5")
    stats = (await client.get("/api/posts/spring-beds/stats", headers=auth())).json()
    assert stats["views"] == 3 and stats["daily_uniques_30d"] == 3


async def test_an_hour_of_views_costs_d1_one_write(client, post, platform, d1_rows):
    writes = lambda: platform.services.stats.get("d1.batches")  # noqa: E731
    before = writes()
    for n in range(300):
        await beacon(client, f"10.0.{n // 250}.{n % 250}")
    await platform.runtime.advance(HOUR_MS)
    # The post's totals: one batch. The analytics events: 300 in batches of 100.
    assert writes() - before == 1 + 3


async def test_stats_are_for_the_blogs_writers(client, auth, post):
    assert (await client.get("/api/posts/spring-beds/stats")).status_code == 401
    assert (await client.get("/api/posts/spring-beds/stats", headers=reader(auth, "ada"))).status_code == 403
    assert (await client.get("/api/posts/spring-beds/stats", headers=auth("willow", "owner"))).status_code == 403
    reply = await client.get("/api/posts/spring-beds/stats", headers=auth("autumn", "author", user="cyd"))
    assert reply.status_code == 200 and set(reply.json()) == {
        "views", "views_30d", "daily_uniques_30d", "last_viewed_at_ms", "reactions", "comments"
    }


# --- presence (WebSockets, hibernation API) ----------------------------------------------------

LIVE_URL = "http://autumn.localhost:8787/api/posts/spring-beds/live"


async def open_live(platform):
    response = await platform.runtime.fetch(LIVE_URL, headers={"upgrade": "websocket"})
    assert response.status == 101
    return response.web_socket


async def next_of(ws, kind: str) -> dict:
    """The next message of type ``kind`` (earlier ones of other types are skipped)."""
    import json

    while True:
        record = await asyncio.wait_for(ws.receive(), 5)
        assert record is not None and record["type"] == "message", record
        message = json.loads(record["data"])
        if message["type"] == kind:
            return message


async def test_presence_goes_up_and_down_across_an_eviction_and_changes_arrive_live(client, auth, post, platform):
    first = await open_live(platform)
    assert (await next_of(first, "hello"))["counts"]["like"] == 0
    assert (await next_of(first, "presence"))["reading"] == 1
    second = await open_live(platform)
    assert (await next_of(second, "presence"))["reading"] == 2
    assert (await next_of(first, "presence"))["reading"] == 2
    platform.runtime.evict_all()  # hibernation: the sockets stay, the instance goes
    await client.post("/api/posts/spring-beds/reactions", json={"type": "funny"}, headers=reader(auth, "ada"))
    assert (await next_of(second, "reactions"))["counts"]["funny"] == 1
    made = await comment(client, reader(auth, "ada"), "Hello *live*")
    live = (await next_of(second, "comment"))["comment"]
    assert live["id"] == made["id"] and live["html"] == made["html"] and live["mine"] is False
    platform.runtime.evict_all()
    first.close(1000, "bye")
    assert (await next_of(second, "presence"))["reading"] == 1
    second.send("ping")  # answered with the state, by a new instance
    assert (await next_of(second, "presence"))["reading"] == 1


async def test_live_without_an_upgrade_is_426_and_a_draft_has_no_live(client, auth, create_post):
    await create_post("Spring Beds", "x")
    reply = await client.get("/api/posts/spring-beds/live")
    assert reply.status_code == 426 and reply.json()["error"]["code"] == "upgrade_required"
    await create_post("Secret", "x", status="draft")
    response = await client.get("/api/posts/secret/live", headers={"upgrade": "websocket"})
    assert response.status_code == 404
