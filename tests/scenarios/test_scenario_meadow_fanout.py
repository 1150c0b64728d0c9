"""Meadow's fan-out through the Worker's queue, as a scenario: a post published through the
API reaches a follower's feed once the queue's batches have run, and unpublishing takes it out
again. Needs ``queues`` (and ``simulated_clock``): the Pyodide lane has neither (the reasons
are in ``scenario_contract.CAPABILITY_REASONS``)."""

from __future__ import annotations

import json

from scenario_contract import TEST_SECRETS
from scenario_seed import add_member, add_tenant, bearer, user_statement

SECRET = TEST_SECRETS["JWT_SECRET"]
# Two batches (the publish, then its push) of at most max_batch_timeout (5 s) each.
FANOUT_MS = 10_000


async def test_a_published_post_is_pushed_to_an_active_follower_and_unpublishing_removes_it(edge):
    edge.require("queues")
    edge.require("simulated_clock")
    db = edge.env.DB
    await add_tenant(db, "autumn", tier="oak", display_name="Autumn")
    await add_member(db, "author-1", "autumn")
    await user_statement(db, "rita").run()
    rita = bearer(SECRET, edge.now_ms(), tenant="autumn", role="reader", user="rita")
    owner = bearer(SECRET, edge.now_ms(), tenant="autumn", user="author-1")
    assert (await edge.fetch("POST", edge.url("meadow", "/api/meadow/follows/author-1"), headers=rita)).status == 201
    assert (await edge.fetch("GET", edge.url("meadow", "/api/meadow/feed"), headers=rita)).json()["items"] == []
    await edge.settle()  # the feed reports its use: rita is an active follower

    body = {"title": "Queued Up", "markdown": "Hello.", "status": "published"}
    created = await edge.fetch("POST", edge.url("autumn", "/api/posts"), headers=owner, body=json.dumps(body))
    assert created.status == 201, created.text()
    await edge.advance(FANOUT_MS)
    feed = await edge.fetch("GET", edge.url("meadow", "/api/meadow/feed"), headers=rita)
    assert [item["post_id"] for item in feed.json()["items"]] == [created.json()["id"]]

    hidden = await edge.fetch("PUT", edge.url("autumn", "/api/posts/queued-up"), headers=owner, body=json.dumps({"status": "draft"}))
    assert hidden.status == 200, hidden.text()
    await edge.advance(FANOUT_MS)
    feed = await edge.fetch("GET", edge.url("meadow", "/api/meadow/feed"), headers=rita)
    assert feed.json()["items"] == []
