"""Meadow's fan-out over the local Queues binding (``grove.fanout``), through HTTP and the
simulated clock: a post reaches followers' feeds within the queue's batch settings; edits and
unpublishing reach the pushed copies; a celebrity's post reaches followers by pull and is never
pushed; an inactive follower gets no push and rebuilds on return; a poison message lands in
the dead-letter queue and is reported; a load with pull items still sends no D1 query."""

from __future__ import annotations

import logging

import pytest

from durable_objects.feed import FeedDO
from grove import sessions
from grove.meadow_policy import FEED_ACTIVE_WINDOW_MS, PULL_REFRESH_MS, author_object_name
from local_runtime.faults import FaultPoint

pytestmark = pytest.mark.usefixtures("tenants")

MEADOW = "http://meadow.localhost:8787"
BATCH_TIMEOUT_MS = 5_000  # wrangler.toml [[queues.consumers]] meadow-fanout
# Followers x posts a day over 2 is pull: ada with 2 followers is pushed, with 3 pulled.
SECRETS = {"RATE_LIMIT_POST_CREATE": "1000/60", "RATE_LIMIT_FOLLOW": "1000/60", "MEADOW_PULL_THRESHOLD": "2"}


@pytest.fixture
def platform_secrets(platform_secrets):
    return {**platform_secrets, **SECRETS}


@pytest.fixture
def readers(client, auth, platform):
    """``await readers("rita", "sam")``: signed-in readers following ada whose feeds were read
    (so their use is reported to D1 ``feed_activity``, as the feed's alarm does)."""

    async def follow(*names: str) -> dict[str, dict[str, str]]:
        auth()  # ada, autumn's owner, exists
        out = {}
        for name in names:
            headers = auth("autumn", "reader", user=name)
            assert (await client.post(f"{MEADOW}/api/meadow/follows/ada", headers=headers)).status_code in (200, 201)
            assert (await client.get(f"{MEADOW}/api/meadow/feed", headers=headers)).status_code == 200
            out[name] = headers
        await platform.runtime.advance(0)  # the feeds' alarms report the reads
        return out

    return follow


@pytest.fixture
def pushed(monkeypatch) -> list[tuple[str, str]]:
    """(feed, post id) of every item a FeedDO is handed by ``add_items`` (the push)."""
    seen: list[tuple[str, str]] = []
    add_items = FeedDO.add_items

    async def spy(self, items):
        seen.extend((self.object_name, entry["post_id"]) for entry in items)
        return await add_items(self, items)

    monkeypatch.setattr(FeedDO, "add_items", spy)
    return seen


async def feed_ids(client, headers) -> list[str]:
    reply = await client.get(f"{MEADOW}/api/meadow/feed", headers=headers)
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "private, no-store"
    return [entry["post_id"] for entry in reply.json()["items"]]


async def test_a_post_reaches_followers_within_the_queue_batch_settings(client, create_post, readers, platform, pushed):
    people = await readers("rita", "sam")
    post = await create_post("Fresh Shoots")
    await platform.runtime.advance(BATCH_TIMEOUT_MS - 1)
    # Nothing yet: the publish message waits for its batch (5 s, not full).
    assert pushed == []
    # Then the publish is expanded into one push message, delivered after its own batch timeout.
    await platform.runtime.advance(1 + BATCH_TIMEOUT_MS)
    assert sorted(pushed) == [("feed:rita", post["id"]), ("feed:sam", post["id"])]
    for headers in people.values():
        assert (await feed_ids(client, headers))[0] == post["id"]
    stats = platform.services.stats
    assert stats.get("queue.messages_sent") == 2 and stats.get("queue.acks") == 2


async def test_edit_and_unpublish_reach_the_pushed_copies(client, create_post, auth, readers, platform):
    people = await readers("rita")
    post = await create_post("Draft Title")
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    edited = await client.put(f"/api/posts/{post['slug']}", json={"title": "Better Title"}, headers=auth())
    assert edited.status_code == 200, edited.text
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    reply = await client.get(f"{MEADOW}/api/meadow/feed", headers=people["rita"])
    assert reply.json()["items"][0]["preview"]["title"] == "Better Title"
    unpublished = await client.put(f"/api/posts/{post['slug']}", json={"status": "draft"}, headers=auth())
    assert unpublished.status_code == 200, unpublished.text
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    assert post["id"] not in await feed_ids(client, people["rita"])
    second = await create_post("Short Lived")
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    assert (await feed_ids(client, people["rita"]))[0] == second["id"]
    assert (await client.delete(f"/api/posts/{second['slug']}", headers=auth())).status_code == 200
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    assert second["id"] not in await feed_ids(client, people["rita"])


async def test_a_celebrity_post_arrives_by_pull_and_is_never_pushed(client, create_post, readers, platform, pushed, statements):
    people = await readers("rita", "sam", "tom")  # 3 followers x 1 post a day > 2: pull
    post = await create_post("From The Stage")
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    assert pushed == []  # no follower's feed was written
    env = platform.runtime.worker().env
    store = env.AUTHOR_POSTS.get(env.AUTHOR_POSTS.idFromName(author_object_name("ada")))
    assert [entry["post_id"] for entry in await store.recent(10)] == [post["id"]]
    for headers in people.values():
        statements.clear()
        assert await feed_ids(client, headers) == [post["id"]]
        assert statements == [sessions._ACCESS_QUERY]  # the pull is one RPC to the store, no D1
    assert pushed == []
    # A later post arrives the same way, once the feed's pull is due again (once a minute).
    later = await create_post("Encore")
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    assert await feed_ids(client, people["rita"]) == [post["id"]]
    await platform.runtime.advance(PULL_REFRESH_MS)
    assert await feed_ids(client, people["rita"]) == [later["id"], post["id"]]
    assert pushed == []


async def test_an_inactive_follower_gets_no_push_and_rebuilds_on_return(client, create_post, readers, platform, pushed, auth):
    await readers("rita", "sam")
    await platform.runtime.advance(FEED_ACTIVE_WINDOW_MS + 1)
    # sam keeps reading (a fresh token: a week has passed); rita stays away.
    await feed_ids(client, auth("autumn", "reader", user="sam"))
    await platform.runtime.advance(0)
    post = await create_post("While You Were Away")
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    assert pushed == [("feed:sam", post["id"])]
    rita = auth("autumn", "reader", user="rita")
    assert await feed_ids(client, rita) == [post["id"]]  # rebuilt from D1 on return


async def test_a_poison_message_lands_in_the_dead_letter_queue_and_is_reported(client, platform, caplog):
    env = platform.runtime.worker().env
    with caplog.at_level(logging.ERROR, logger="grove.fanout"):
        await env.MEADOW_FANOUT.send({"kind": "push", "post_id": "x"}, contentType="json")  # no followers
        for _ in range(5):
            await platform.runtime.advance(BATCH_TIMEOUT_MS)
    stats = platform.services.stats
    assert stats.get("queue.dead_lettered") == 1 and stats.get("queue.retries") == 3
    assert platform.runtime.queues.depth("meadow-fanout") == 0
    assert "dead-lettered after" in caplog.text  # the dead-letter queue's consumer reports it
    reported = (await client.get("/__stats")).json()
    assert reported["queue"]["dead_lettered"] == 1
    assert reported["queue_depths"] == {"meadow-fanout": 0, "meadow-fanout-dlq": 0}


async def test_a_failing_consumer_is_retried_and_nothing_is_lost(client, create_post, readers, platform, pushed):
    people = await readers("rita")
    platform.services.faults.arm(FaultPoint.QUEUE_CONSUMER_EXCEPTION, times=2)
    post = await create_post("Through The Storm")
    await platform.runtime.advance(6 * BATCH_TIMEOUT_MS)
    assert platform.services.faults.fired(FaultPoint.QUEUE_CONSUMER_EXCEPTION) == 2
    assert pushed == [("feed:rita", post["id"])]
    assert (await feed_ids(client, people["rita"]))[0] == post["id"]
