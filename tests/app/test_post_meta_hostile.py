"""A post's live parts against callers the feature tests do not play: tampered cursors,
comments with nothing to read, and the other edges a reviewer tried (``tests/app/test_post_meta.py``
holds the feature's own tests)."""

from __future__ import annotations

import pytest

from grove.engagement import COMMENT_FLUSH, VIEW_DEDUP_MS, VIEW_READERS_PER_ADDRESS
from local_runtime.faults import FaultPoint
from tests.app import test_post_meta as feature
from tests.app.test_post_meta import beacon, reader

pytestmark = pytest.mark.usefixtures("tenants")

# The feature tests' fixtures (raised limits, the post, D1 rows), not copies.
platform_secrets, post, d1_rows = feature.platform_secrets, feature.post, feature.d1_rows

URL = "/api/posts/spring-beds"


@pytest.mark.parametrize("cursor", ["9999999999999999." + "f" * 32, "9007199254740991." + "0" * 32])
async def test_a_cursor_past_any_time_is_a_422_not_a_500(client, post, cursor):
    reply = await client.get(f"{URL}/comments", params={"cursor": cursor})
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["code"] == "validation_error"


async def test_the_largest_valid_cursor_is_an_empty_last_page(client, post):
    reply = await client.get(f"{URL}/comments", params={"cursor": "9007199254740990." + "f" * 32})
    assert reply.status_code == 200 and reply.json() == {"comments": [], "next_cursor": None}


@pytest.mark.parametrize("markdown", ["   ", "\n\t\n", "\u200b", "\u202e\u200f", "\u00a0\u3000", "\ufeff", "\x00"])
async def test_a_comment_with_nothing_to_read_is_refused_and_nothing_is_stored(client, auth, post, markdown):
    reply = await client.post(f"{URL}/comments", json={"markdown": markdown}, headers=reader(auth, "ada"))
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["field"] == "markdown"
    assert (await client.get(f"{URL}/comments")).json()["comments"] == []
    assert (await client.get(f"{URL}/stats", headers=auth())).json()["comments"] == 0


async def test_indented_markdown_keeps_its_leading_spaces(client, auth, post):
    reply = await client.post(f"{URL}/comments", json={"markdown": "    code()"}, headers=reader(auth, "ada"))
    assert reply.status_code == 201 and "<code>" in reply.json()["comment"]["html"]


async def test_one_address_rotating_its_user_agent_adds_a_bounded_number_of_views(client, auth, post, clock, d1_rows, platform):
    async def views() -> int:
        return (await client.get(f"{URL}/stats", headers=auth())).json()["views"]

    for n in range(VIEW_READERS_PER_ADDRESS + 30):
        assert (await beacon(client, "203.0.113.66", f"Agent/{n}")).status_code == 202
    assert await views() == VIEW_READERS_PER_ADDRESS
    await beacon(client, "198.51.100.8")  # another address still counts
    assert await views() == VIEW_READERS_PER_ADDRESS + 1
    clock.advance(VIEW_DEDUP_MS)  # a new window for the address
    await beacon(client, "203.0.113.66", "Agent/new")
    assert await views() == VIEW_READERS_PER_ADDRESS + 2
    await platform.runtime.drain()
    await platform.runtime.advance(60 * 60_000)
    events = await d1_rows("SELECT COUNT(*) AS n FROM analytics_events WHERE type = 'page_view'")
    assert events == [{"n": VIEW_READERS_PER_ADDRESS + 2}]  # the owner's analytics are bounded too


async def test_d1_failing_under_comments_is_a_503_and_nothing_changes(client, auth, post, platform):
    ada = reader(auth, "ada")
    root = (await client.post(f"{URL}/comments", json={"markdown": "root"}, headers=ada)).json()["comment"]
    await platform.runtime.advance(COMMENT_FLUSH.max_wait_ms)  # in D1 now: lookups read it there
    faults, point = platform.services.faults, FaultPoint.D1_STATEMENT_ERROR
    faults.arm(point, match="FROM comments")  # the object's reads of D1 (a page, a comment by id)
    calls = [
        client.get(f"{URL}/comments"),
        client.post(f"{URL}/comments", json={"markdown": "reply", "parent_id": root["id"]}, headers=ada),
        client.post(f"{URL}/comments/{root['id']}/hide", headers=auth()),
        client.delete(f"{URL}/comments/{root['id']}", headers=ada),
    ]
    for call in calls:
        reply = await call
        assert reply.status_code == 503, reply.text
        assert reply.json()["error"]["code"] == "post_meta_unavailable" and reply.headers["retry-after"]
    assert faults.fired(point) >= 4
    faults.disarm(point)
    listed = (await client.get(f"{URL}/comments")).json()["comments"]
    assert [(c["id"], c["state"]) for c in listed] == [(root["id"], "visible")]
    assert (await client.get(f"{URL}/stats", headers=auth())).json()["comments"] == 1


@pytest.mark.parametrize(
    "labels",
    [{"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}, {"origin": "https://elsewhere.example"}],
)
async def test_another_sites_pages_cannot_beacon_views(client, auth, post, labels):
    reply = await client.post(f"{URL}/views", headers={"cf-connecting-ip": "203.0.113.70", **labels})
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "csrf_refused"
    assert (await client.get(f"{URL}/stats", headers=auth())).json()["views"] == 0


@pytest.mark.parametrize(
    "labels", [{"sec-fetch-site": "same-origin"}, {"origin": "http://autumn.localhost:8787"}, {}]
)
async def test_the_posts_own_page_and_unlabelled_clients_count(client, auth, post, labels):
    reply = await client.post(f"{URL}/views", headers={"cf-connecting-ip": "203.0.113.71", **labels})
    assert reply.status_code == 202, reply.text
    assert (await client.get(f"{URL}/stats", headers=auth())).json()["views"] == 1
