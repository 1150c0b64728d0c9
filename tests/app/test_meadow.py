"""Meadow over HTTP: the follow graph (D1 ``follows``) and the feed answered by the caller's
FeedDO: backfill on follow, removal on unfollow, keyset paging that neither repeats nor skips
while items arrive and leave, relevance snapshots, the 500-item bound, a rebuild that reads D1
once, no D1 work per load of a built feed, and private responses only."""

from __future__ import annotations

import asyncio

import pytest

from grove import sessions
from grove.feed_scoring import relevance_score
from grove.meadow_policy import FEED_MAX_ITEMS, RELEVANCE_SNAPSHOT_TTL_MS, feed_object_name

pytestmark = pytest.mark.usefixtures("tenants")

MEADOW = "http://meadow.localhost:8787"
RAISED = {"RATE_LIMIT_POST_CREATE": "1000/60", "RATE_LIMIT_FOLLOW": "1000/60"}


@pytest.fixture
def platform_secrets(platform_secrets):
    return {**platform_secrets, **RAISED}


@pytest.fixture
def as_user(auth):
    """``as_user("rita")``: a signed-in account with no blog (a Meadow reader)."""
    return lambda user: auth("autumn", "reader", user=user)


@pytest.fixture
def feed_stub(platform):
    def get(user_id: str):
        env = platform.runtime.worker().env
        return env.FEEDS.get(env.FEEDS.idFromName(feed_object_name(user_id)))

    return get


def item(n: int, *, author: str = "ada", published_at_ms: int | None = None, reactions: int = 0) -> dict:
    published = published_at_ms if published_at_ms is not None else 1_767_225_600_000 + n * 1000
    counts = {"like": reactions} if reactions else {}
    return {
        "post_id": f"{n:032x}", "tenant": "autumn", "slug": f"post-{n}", "author_id": author,
        "published_at_ms": published, "score": relevance_score(published, counts),
        "preview": {"title": f"Post {n}", "description": "", "author_name": "Ada", "tags": []},
        "reactions": counts, "comments": 0, "views": 0,
    }


async def pages(client, headers, *, sort: str = "recent", limit: int = 20, between=None) -> list[str]:
    """Every post id of the feed, page by page; ``between(i)`` runs before page ``i`` > 0."""
    seen: list[str] = []
    cursor = None
    i = 0
    while True:
        if i and between is not None:
            await between(i)
        params = {"limit": limit, "sort": sort} | ({"cursor": cursor} if cursor else {})
        reply = await client.get(f"{MEADOW}/api/meadow/feed", params=params, headers=headers)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        seen += [entry["post_id"] for entry in body["items"]]
        cursor = body["next_cursor"]
        i += 1
        if cursor is None:
            return seen


# --- follows ---------------------------------------------------------------------------------


async def test_follow_backfills_the_authors_published_posts_and_unfollow_removes_them(client, create_post, as_user, clock):
    first = await create_post("First Light")
    clock.advance(1000)
    second = await create_post("Second Light")
    await create_post("Not Yet", status="draft")
    rita = as_user("rita")
    followed = await client.post(f"{MEADOW}/api/meadow/follows/ada", headers=rita)
    assert followed.status_code == 201, followed.text
    assert followed.json()["following"] is True and followed.json()["backfilled"] == 2
    assert followed.headers["cache-control"] == "private, no-store"
    again = await client.post(f"{MEADOW}/api/meadow/follows/ada", headers=rita)
    assert again.status_code == 200 and again.json()["followed_at_ms"] == followed.json()["followed_at_ms"]

    feed = await client.get(f"{MEADOW}/api/meadow/feed", headers=rita)
    assert feed.status_code == 200
    body = feed.json()
    assert [entry["post_id"] for entry in body["items"]] == [second["id"], first["id"]]  # the draft never enters
    assert body["next_cursor"] is None and body["partial"] is False
    top = body["items"][0]
    assert top["tenant"] == "autumn" and top["slug"] == "second-light" and top["author_id"] == "ada"
    assert top["preview"]["title"] == "Second Light"
    assert feed.headers["cache-control"] == "private, no-store"
    assert "Cookie" in feed.headers["vary"] and "Authorization" in feed.headers["vary"]

    state = await client.get(f"{MEADOW}/api/meadow/follows/ada", headers=rita)
    assert state.json()["following"] is True
    gone = await client.delete(f"{MEADOW}/api/meadow/follows/ada", headers=rita)
    assert gone.status_code == 200 and gone.json() == {"author_id": "ada", "following": False, "followed_at_ms": None, "removed": 2}
    assert (await client.get(f"{MEADOW}/api/meadow/feed", headers=rita)).json()["items"] == []
    assert (await client.get(f"{MEADOW}/api/meadow/follows/ada", headers=rita)).json()["following"] is False
    # Unfollowing again is not an error; nothing is left to remove.
    assert (await client.delete(f"{MEADOW}/api/meadow/follows/ada", headers=rita)).json()["removed"] == 0


async def test_the_api_answers_on_blog_hosts_too(client, create_post, as_user):
    await create_post()
    followed = await client.post("/api/meadow/follows/ada", headers=as_user("rita"))  # autumn.localhost
    assert followed.status_code == 201
    assert len((await client.get(f"{MEADOW}/api/meadow/feed", headers=as_user("rita"))).json()["items"]) == 1


async def test_follow_refusals(client, as_user, mint):
    rita = as_user("rita")
    assert (await client.post(f"{MEADOW}/api/meadow/follows/ada")).status_code == 401
    assert (await client.get(f"{MEADOW}/api/meadow/feed")).status_code == 401
    assert (await client.get(f"{MEADOW}/api/meadow/follows")).status_code == 401
    nobody = await client.post(f"{MEADOW}/api/meadow/follows/nobody", headers=rita)
    assert nobody.status_code == 404 and nobody.json()["error"]["code"] == "not_found"
    self_follow = await client.post(f"{MEADOW}/api/meadow/follows/rita", headers=rita)
    assert self_follow.status_code == 422
    assert (await client.post(f"{MEADOW}/api/meadow/follows/a.b", headers=rita)).status_code == 404
    for params, status, code in [
        ({"cursor": "!!"}, 400, "bad_cursor"), ({"sort": "hot"}, 422, "validation_error"), ({"limit": "0"}, 422, "validation_error"),
        ({"limit": "51"}, 422, "validation_error"),
    ]:
        reply = await client.get(f"{MEADOW}/api/meadow/feed", params=params, headers=rita)
        assert (reply.status_code, reply.json()["error"]["code"]) == (status, code), params


async def test_a_cookie_follow_needs_the_same_origin(client, sign_in):
    cookie = await sign_in("rita@grove.test", host="meadow.localhost:8787")
    jar = {"cookie": f"grove_session={cookie}"}
    refused = await client.post(f"{MEADOW}/api/meadow/follows/ada", headers={**jar, "origin": "http://evil.test"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_refused"


async def test_follow_list_is_newest_first_by_keyset(client, as_user, mint, clock):
    authors = [f"author{n}" for n in range(7)]
    for name in authors:
        mint("autumn", "reader", user=name)
    rita = as_user("rita")
    for name in authors:
        assert (await client.post(f"{MEADOW}/api/meadow/follows/{name}", headers=rita)).status_code == 201
        clock.advance(1000)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = (await client.get(f"{MEADOW}/api/meadow/follows", params=params, headers=rita)).json()
        seen += [f["author_id"] for f in page["follows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(authors))


# --- the feed --------------------------------------------------------------------------------


async def test_a_built_feed_costs_no_d1_query_beyond_the_credential_check(client, create_post, as_user, statements):
    for n in range(3):
        await create_post(f"Post {n}")
    rita = as_user("rita")
    await client.post(f"{MEADOW}/api/meadow/follows/ada", headers=rita)
    for sort in ("recent", "relevance"):
        statements.clear()
        reply = await client.get(f"{MEADOW}/api/meadow/feed", params={"sort": sort}, headers=rita)
        assert len(reply.json()["items"]) == 3
        # The one statement is the credential check every signed-in request makes (sessions).
        assert statements == [sessions._ACCESS_QUERY], statements


async def test_paging_while_posts_arrive_and_leave_never_repeats_or_skips(client, as_user, feed_stub):
    rita = as_user("rita")
    assert (await client.get(f"{MEADOW}/api/meadow/feed", headers=rita)).json()["items"] == []  # built: empty
    stub = feed_stub("rita")
    start = [item(n) for n in range(300)]
    assert (await stub.add_items(start))["kept"] == 300
    deleted: set[str] = set()
    arrived = 0

    async def churn(i: int) -> None:
        nonlocal arrived
        # 50 new posts (newest) arrive and 10 posts leave, spread over the pages.
        if arrived < 50:
            await stub.add_items([item(1000 + arrived + k) for k in range(5)])
            arrived += 5
        if len(deleted) < 10:
            victim = f"{(i * 37) % 300:032x}"
            deleted.add(victim)
            await stub.remove_posts([victim])

    seen = await pages(client, rita, between=churn)
    assert len(seen) == len(set(seen)), "an item repeated"
    expected = {entry["post_id"] for entry in start}
    missed = expected - set(seen) - deleted
    assert not missed, f"skipped {len(missed)} items"
    assert arrived == 50 and len(deleted) == 10
    # Items deleted after they were shown were shown once; ones deleted before never.
    assert set(seen) <= expected


async def test_relevance_pages_come_from_one_snapshot(client, as_user, feed_stub, clock):
    rita = as_user("rita")
    await client.get(f"{MEADOW}/api/meadow/feed", headers=rita)
    stub = feed_stub("rita")
    await stub.add_items([item(n, reactions=n % 7) for n in range(60)])
    first = (await client.get(f"{MEADOW}/api/meadow/feed", params={"sort": "relevance", "limit": 20}, headers=rita)).json()
    scores = [entry["score"] for entry in first["items"]]
    assert scores == sorted(scores, reverse=True)
    # Engagement moves an unseen item to the top; the snapshot keeps its order for this reader.
    shown = {entry["post_id"] for entry in first["items"]}
    unseen = next(n for n in range(60) if f"{n:032x}" not in shown)
    await stub.add_items([item(unseen, reactions=10_000)])
    rest: list[str] = []
    cursor = first["next_cursor"]
    while cursor:
        page = (await client.get(f"{MEADOW}/api/meadow/feed", params={"sort": "relevance", "limit": 20, "cursor": cursor}, headers=rita)).json()
        rest += [entry["post_id"] for entry in page["items"]]
        cursor = page["next_cursor"]
    everything = [entry["post_id"] for entry in first["items"]] + rest
    assert len(everything) == 60 == len(set(everything))
    # A new first page is a new snapshot, with the item on top.
    fresh = (await client.get(f"{MEADOW}/api/meadow/feed", params={"sort": "relevance", "limit": 1}, headers=rita)).json()
    assert fresh["items"][0]["post_id"] == f"{unseen:032x}"
    # A relevance cursor is refused for recent, and expires with its snapshot.
    assert (await client.get(f"{MEADOW}/api/meadow/feed", params={"cursor": first["next_cursor"]}, headers=rita)).status_code == 400
    clock.advance(RELEVANCE_SNAPSHOT_TTL_MS + 1)
    expired = await client.get(f"{MEADOW}/api/meadow/feed", params={"sort": "relevance", "cursor": first["next_cursor"]}, headers=rita)
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "cursor_expired"


async def test_a_full_feed_keeps_the_newest_and_inserts_are_idempotent(client, as_user, feed_stub):
    rita = as_user("rita")
    await client.get(f"{MEADOW}/api/meadow/feed", headers=rita)
    stub = feed_stub("rita")
    batch = [item(n) for n in range(FEED_MAX_ITEMS + 20)]
    assert await stub.add_items(batch) == {"added": FEED_MAX_ITEMS + 20, "kept": FEED_MAX_ITEMS}
    assert await stub.add_items(batch[-5:]) == {"added": 0, "kept": FEED_MAX_ITEMS}
    # An item older than everything kept does not displace a newer one.
    assert (await stub.add_items([item(0)]))["kept"] == FEED_MAX_ITEMS
    seen = await pages(client, rita, limit=50)
    assert seen == [f"{n:032x}" for n in reversed(range(20, FEED_MAX_ITEMS + 20))]


async def test_a_never_built_feed_rebuilds_from_d1_once(client, create_post, as_user, platform, clock, statements):
    for n in range(4):
        await create_post(f"Post {n}")
    rita = as_user("rita")
    # Follows that reached D1 without the feed hearing of them (a feed evicted, or new).
    await platform.runtime.d1().prepare(
        "INSERT INTO follows (follower_id, author_id, followed_at_ms) VALUES ('rita', 'ada', ?1)"
    ).bind(clock.now_ms()).run()
    statements.clear()
    replies = await asyncio.gather(*(client.get(f"{MEADOW}/api/meadow/feed", headers=rita) for _ in range(5)))
    assert all(len(reply.json()["items"]) == 4 and not reply.json()["partial"] for reply in replies)
    rebuild_reads = [sql for sql in statements if "FROM posts p" in sql]
    assert len(rebuild_reads) == 1, rebuild_reads
