"""A post's live parts in both lanes: reactions and comments through the Worker and PostMetaDO
RPC, full batches flushed to D1 by the object's alarm, moderation, views and the writers'
stats. (The WebSocket upgrade is the lane's known gap: presence is tested on CPython, in
``tests/app/test_post_meta.py`` and the browser test.)"""

from __future__ import annotations

import json

from scenario_contract import TEST_SECRETS
from scenario_seed import add_member, add_tenant, add_users, bearer, post_statement

SECRET = TEST_SECRETS["JWT_SECRET"]
TYPES = ("like", "love", "insightful", "funny")


async def _published(edge) -> None:
    await add_tenant(edge.env.DB, "autumn", tier="oak", display_name="Autumn")
    await post_statement(edge.env.DB, "autumn", "spring-beds").run()
    # Tokens name accounts: the blog's owner and the readers who react and comment.
    await add_member(edge.env.DB, "ada", "autumn", "owner")
    await add_users(edge.env.DB, [f"u{n}" for n in range(50)])


async def _until(edge, sql: str, wanted: int) -> int:
    """Alarms due now run on the lane's own timer: wait for them."""
    count = -1
    for _ in range(100):
        await edge.settle()
        count = (await edge.env.DB.prepare(sql).first())["n"]
        if count == wanted:
            break
    return count


async def test_reactions_are_exact_and_reach_d1(edge):
    await _published(edge)
    url = edge.url("autumn", "/api/posts/spring-beds/reactions")
    for user in range(3):
        auth = bearer(SECRET, edge.now_ms(), tenant="willow", role="reader", user=f"u{user}")
        for kind in TYPES:
            reply = await edge.fetch("POST", url, headers=auth, body=json.dumps({"type": kind}))
            assert reply.status == 200 and reply.json()["added"] is True, reply.text()
    undone = await edge.fetch("POST", url, headers=auth, body=json.dumps({"type": "funny"}))
    assert undone.json() == {"added": False, "count": 2, "counts": {**dict.fromkeys(TYPES, 3), "funny": 2}}
    mine = await edge.fetch("GET", url, headers=auth)
    assert mine.json() == {"counts": {**dict.fromkeys(TYPES, 3), "funny": 2}, "mine": ["insightful", "like", "love"]}
    assert mine.headers["cache-control"] == "private, no-store"
    rows = await edge.do_sql("POST_META", "post-meta:autumn:autumn-spring-beds", "SELECT * FROM reactions")
    assert len(rows) == 11
    # The 5-minute flush needs time moved (the comments below flush a full batch in both lanes).
    edge.require("simulated_clock")
    await edge.advance(5 * 60_000)
    assert (await edge.env.DB.prepare("SELECT COUNT(*) AS n FROM post_reactions").first())["n"] == 11


async def test_a_refused_toggle_spends_nothing_of_the_users_reaction_limit(edge):
    """The toggle counts the user's limit beside the credential's lookup and gives the unit
    back when the request is refused (``grove.routes.visit.open_visit_with``): in both lanes,
    the RateLimiterDO's ``give_back`` over RPC and the Worker's concurrent awaits."""
    await _published(edge)
    auth = bearer(SECRET, edge.now_ms(), tenant="autumn", role="reader", user="u1")
    limit = 30  # grove.limits: Rule.REACTION, 30 a minute
    for _ in range(3):
        missing = await edge.fetch("POST", edge.url("autumn", "/api/posts/no-such-post/reactions"), headers=auth, body=json.dumps({"type": "like"}))
        assert missing.status == 404, missing.text()
    url = edge.url("autumn", "/api/posts/spring-beds/reactions")
    statuses = [(await edge.fetch("POST", url, headers=auth, body=json.dumps({"type": "like"}))).status for _ in range(limit + 1)]
    assert statuses == [200] * limit + [429]


async def test_comments_are_listed_at_once_flushed_in_a_batch_and_moderated(edge):
    await _published(edge)
    url = edge.url("autumn", "/api/posts/spring-beds/comments")
    made = []
    for user in range(50):  # a full batch of comments, sent at once
        auth = bearer(SECRET, edge.now_ms(), tenant="autumn", role="reader", user=f"u{user}")
        reply = await edge.fetch("POST", url, headers=auth, body=json.dumps({"markdown": f"*{user}* <b>x</b>"}))
        assert reply.status == 201, reply.text()
        made.append(reply.json()["comment"])
    assert made[0]["html"] == "<p><em>0</em> &lt;b&gt;x&lt;/b&gt;</p>\n"
    listed = await edge.fetch("GET", url)
    assert listed.status == 200 and {c["id"] for c in listed.json()["comments"]} == {c["id"] for c in made}
    assert await _until(edge, "SELECT COUNT(*) AS n FROM comments", 50) == 50
    owner = bearer(SECRET, edge.now_ms(), tenant="autumn", role="owner")
    hidden = await edge.fetch("POST", f"{url}/{made[0]['id']}/hide", headers=owner)
    assert hidden.status == 200 and hidden.json()["comment"]["state"] == "hidden", hidden.text()
    stranger = bearer(SECRET, edge.now_ms(), tenant="autumn", role="reader", user="u9")
    assert (await edge.fetch("DELETE", f"{url}/{made[1]['id']}", headers=stranger)).status == 403
    draft = await edge.fetch("POST", edge.url("autumn", "/api/posts/nothing-here/comments"), headers=stranger, body=json.dumps({"markdown": "x"}))
    assert draft.status == 404


async def test_deleting_the_post_empties_its_rows_in_d1_and_its_object(edge):
    """One D1 batch takes the post's comments and reactions with it; the post's object forgets
    what it holds (a buffered comment must never reach D1 after its post is gone)."""
    await _published(edge)
    post_id, meta = "autumn-spring-beds", "post-meta:autumn:autumn-spring-beds"
    await edge.env.DB.prepare(
        "INSERT INTO comments (id, tenant, post_id, user_id, markdown, html, created_at_ms) VALUES ('c1', 'autumn', ?1, 'u1', 'x', 'x', 1)"
    ).bind(post_id).run()
    await edge.env.DB.prepare(
        "INSERT INTO post_reactions (post_id, tenant, user_id, reaction_type, created_at_ms) VALUES (?1, 'autumn', 'u1', 'like', 1)"
    ).bind(post_id).run()
    reader = bearer(SECRET, edge.now_ms(), tenant="autumn", role="reader", user="u2")
    url = edge.url("autumn", "/api/posts/spring-beds")
    assert (await edge.fetch("POST", f"{url}/reactions", headers=reader, body=json.dumps({"type": "love"}))).status == 200
    assert (await edge.fetch("POST", f"{url}/comments", headers=reader, body=json.dumps({"markdown": "buffered"}))).status == 201
    owner = bearer(SECRET, edge.now_ms(), tenant="autumn", role="owner")
    deleted = await edge.fetch("DELETE", url, headers=owner)
    assert deleted.status in (200, 204), deleted.text()
    for table in ("comments", "post_reactions"):
        left = await edge.env.DB.prepare(f"SELECT COUNT(*) AS n FROM {table} WHERE post_id = ?1").bind(post_id).first()
        assert left["n"] == 0, table
    for table in ("reactions", "pending_comments"):
        assert (await edge.do_sql("POST_META", meta, f"SELECT COUNT(*) AS n FROM {table}"))[0]["n"] == 0, table


async def test_views_are_de_duplicated_and_counted_in_the_stats(edge):
    await _published(edge)
    url = edge.url("autumn", "/api/posts/spring-beds/views")
    for address in ("203.0.113.5", "203.0.113.5", "198.51.100.7"):
        reply = await edge.fetch("POST", url, headers={"cf-connecting-ip": address, "user-agent": "Firefox"})
        assert reply.status == 202, reply.text()
    owner = bearer(SECRET, edge.now_ms(), tenant="autumn", role="owner")
    stats = await edge.fetch("GET", edge.url("autumn", "/api/posts/spring-beds/stats"), headers=owner)
    assert stats.status == 200, stats.text()
    assert stats.json()["views"] == 2 and stats.json()["daily_uniques_30d"] == 2
    assert stats.json()["reactions"] == dict.fromkeys(TYPES, 0) and stats.json()["comments"] == 0
