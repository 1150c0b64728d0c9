"""The Meadow page and Trending over HTTP: the page at ``meadow.{root}/`` is the same bytes for
everyone under public cache headers; Trending is computed by the main Worker's cron from D1's
engagement counters (never per request), public, and holds only published posts; reactions
from the feed are toggled by post id, signed-in only."""

from __future__ import annotations

import pytest

from grove.tiers import TRENDING_CRON

pytestmark = pytest.mark.usefixtures("tenants")

MEADOW = "http://meadow.localhost:8787"


@pytest.fixture
def platform_secrets(platform_secrets):
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60"}


async def test_the_page_is_one_public_shell_for_everyone(client, auth):
    anonymous = await client.get(f"{MEADOW}/", headers={"accept": "text/html"})
    signed_in = await client.get(f"{MEADOW}/", headers={"accept": "text/html", **auth("autumn", "reader", user="rita")})
    assert anonymous.status_code == signed_in.status_code == 200
    assert anonymous.content == signed_in.content
    assert anonymous.headers["cache-control"].startswith("public")
    assert "<title>Meadow · Meadow</title>" not in anonymous.text and "<title>Meadow</title>" in anonymous.text
    assert 'id="meadow-config"' in anonymous.text and "rita" not in anonymous.text
    # Other paths of the Meadow host are no blog.
    assert (await client.get(f"{MEADOW}/blog")).status_code == 404


async def test_trending_ranks_recent_engagement_from_the_cron_and_only_published_posts(client, auth, create_post, platform):
    before = await client.get(f"{MEADOW}/api/meadow/trending")
    assert before.status_code == 200 and before.json() == {"items": [], "computed_at_ms": None}
    assert before.headers["cache-control"].startswith("public, max-age=")
    quiet = await create_post("Quiet Beds", "Nobody reacts.")
    loved = await create_post("Loved Beds", "Everybody reacts.")
    await create_post("Secret Beds", "A draft.", status="draft")
    for user in ("rita", "sam", "tova"):
        reply = await client.post(f"{MEADOW}/api/meadow/reactions/{loved['id']}", json={"type": "love"}, headers=auth("autumn", "reader", user=user))
        assert reply.status_code == 200 and reply.json()["added"] is True
    one = await client.post(f"{MEADOW}/api/meadow/reactions/{quiet['id']}", json={"type": "like"}, headers=auth("autumn", "reader", user="rita"))
    assert one.json()["count"] == 1
    await platform.runtime.advance(6 * 60 * 1000)  # the objects flush their reactions to D1
    # Not per request: the list changes only when the cron runs.
    assert (await client.get(f"{MEADOW}/api/meadow/trending")).json()["items"] == []
    await platform.runtime.scheduled(TRENDING_CRON)
    listing = (await client.get(f"{MEADOW}/api/meadow/trending")).json()
    assert [item["title"] for item in listing["items"]] == ["Loved Beds", "Quiet Beds"]
    assert listing["items"][0]["reactions"] == 3 and listing["computed_at_ms"] is not None
    # Unpublished: gone at the next computation.
    assert (await client.put("/api/posts/loved-beds", json={"status": "draft"}, headers=auth())).status_code == 200
    await platform.runtime.scheduled(TRENDING_CRON)
    assert [item["title"] for item in (await client.get(f"{MEADOW}/api/meadow/trending")).json()["items"]] == ["Quiet Beds"]


async def test_reactions_by_post_id_need_a_signed_in_caller_and_a_published_post(client, auth, create_post):
    post = await create_post("Open Beds", "Come in.")
    draft = await create_post("Shut Beds", "Not yet.", status="draft")
    anonymous = await client.post(f"{MEADOW}/api/meadow/reactions/{post['id']}", json={"type": "like"})
    assert anonymous.status_code == 401
    rita = auth("autumn", "reader", user="rita")
    assert (await client.post(f"{MEADOW}/api/meadow/reactions/{draft['id']}", json={"type": "like"}, headers=rita)).status_code == 404
    assert (await client.post(f"{MEADOW}/api/meadow/reactions/{post['id']}", json={"type": "shout"}, headers=rita)).status_code == 422
    toggled = await client.post(f"{MEADOW}/api/meadow/reactions/{post['id']}", json={"type": "like"}, headers=rita)
    assert toggled.status_code == 200 and toggled.headers["cache-control"] == "private, no-store"
    # The blog's own route sees the same reaction (one object per post).
    mine = await client.get("/api/posts/open-beds/reactions", headers=rita)
    assert mine.json()["mine"] == ["like"]
