"""Reader pages and their JSON twins over HTTP: content, tenancy, pagination, visibility."""

from __future__ import annotations

import re

import pytest
from client_kinds import BROWSER

from grove.cache_keys import PAGE_SIZE
from grove.pages.assets import ASSETS

pytestmark = pytest.mark.usefixtures("tenants")


@pytest.fixture
def platform_secrets(platform_secrets) -> dict[str, str]:
    # Long lists need more posts a minute than the per-user post_create limit allows.
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60"}


async def test_post_page_is_a_readable_html_document(create_post, read):
    await create_post("Putting the Garden to Bed", "## Mulch\n\nLeaves, *lots* of them.", description="Before the frost.", tags=["garden", "winter"])
    reply = await read("/blog/putting-the-garden-to-bed")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    page = reply.text
    assert page.startswith("<!doctype html>")
    assert "<title>Putting the Garden to Bed · Autumn&#x27;s Grove</title>" in page
    assert '<h2 id="mulch">Mulch</h2>' in page and "<em>lots</em>" in page
    assert "Before the frost." in page and '<a href="/tags/garden" rel="tag">garden</a>' in page
    assert "--accent: #b5542c" in page  # the tenant's theme
    # No JavaScript needed to read: the scripts only add "Signed in as …" and the live parts
    # (reactions, comments) into an empty placeholder after the article, after load; the other
    # script element is the share preview's JSON-LD data.
    assert re.findall(r"<script[^>]*>", page) == [
        f'<script src="{ASSETS.url("session.js")}" defer>',
        '<script type="application/ld+json">',
        f'<script src="{ASSETS.url("post_live.js")}" defer>',
    ]
    # The placeholder names the post and its author (for "Follow on Meadow"), the same for all.
    assert re.search(r'<section id="post-live" data-slug="putting-the-garden-to-bed" data-author-id="[^"]+" data-author-name="[^"]+" hidden></section>', page)
    assert "1 January 2026" in page and "1 min read" in page


async def test_home_lists_recent_posts_newest_first(create_post, read, clock):
    for n in range(1, 8):
        await create_post(f"Note {n}")
        clock.advance(60_000)
    page = (await read("/")).text
    assert "Autumn&#x27;s Grove" in page and "Recent writing" in page
    assert page.index("Note 7") < page.index("Note 6") < page.index("Note 3")
    assert "Note 2" not in page  # five most recent
    assert 'href="/blog"' in page


async def test_blog_index_paginates(create_post, read, clock):
    for n in range(PAGE_SIZE + 3):
        await create_post(f"Entry {n:02d}")
        clock.advance(6000)  # post creation is limited to 10 a minute per user (grove.limits)
    first = (await read("/blog")).text
    assert "Entry 12" in first and "Entry 03" in first and "Entry 02" not in first
    assert 'href="/blog?page=2"' in first
    second = await read("/blog?page=2")
    assert second.status_code == 200
    assert "Entry 02" in second.text and "Entry 00" in second.text and "Older" not in second.text
    assert (await read("/blog?page=3")).status_code == 404
    assert (await read("/blog?page=abc")).status_code == 404


async def test_json_twins(create_post, read):
    created = await create_post("Cold Frames", "Lettuce in *February*.", tags=["winter"])
    one = await read("/api/posts/cold-frames")
    assert one.status_code == 200 and one.headers["content-type"] == "application/json; charset=utf-8"
    body = one.json()
    assert body["id"] == created["id"] and body["html"] == "<p>Lettuce in <em>February</em>.</p>\n"
    assert "markdown" not in body and "storage_location" not in body  # readers get the rendered post
    listing = (await read("/api/posts")).json()
    assert [p["slug"] for p in listing["posts"]] == ["cold-frames"]
    assert listing["has_more"] is False and listing["next_page"] is None and "html" not in listing["posts"][0]


async def test_unknown_tenant_is_a_404_page(read, client):
    reply = await client.get("http://nobody.localhost:8787/blog", headers=BROWSER)
    assert reply.status_code == 404
    assert "text/html" in reply.headers["content-type"] and "no blog at this address" in reply.text
    api = await client.get("http://nobody.localhost:8787/api/posts")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    bare = await client.get("http://localhost:8787/")
    assert bare.status_code == 404


async def test_unknown_post_is_a_404_page_with_the_tenant_chrome(read):
    reply = await read("/blog/nothing-here", headers=BROWSER)
    assert reply.status_code == 404
    assert "Autumn&#x27;s Grove" in reply.text
    assert reply.headers["cache-control"] == "private, no-store"
    api = await read("/api/posts/nothing-here")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


async def test_drafts_are_invisible_to_readers(create_post, read):
    await create_post("Half Written", status="draft")
    assert (await read("/blog/half-written")).status_code == 404
    assert (await read("/api/posts/half-written")).status_code == 404
    assert "Half Written" not in (await read("/blog")).text


async def test_archived_posts_stay_readable_but_leave_the_lists(create_post, read):
    await create_post("Old News", status="archived")
    page = await read("/blog/old-news")
    assert page.status_code == 200 and "This post is archived." in page.text
    assert "Old News" not in (await read("/blog")).text


async def test_tenants_are_isolated(create_post, client, read):
    await create_post("Autumn Only")
    assert (await read("http://willow.localhost:8787/blog/autumn-only")).status_code == 404
    assert "Autumn Only" not in (await read("http://willow.localhost:8787/blog")).text
    assert "Willow Notes" in (await read("http://willow.localhost:8787/")).text


async def test_head_gets_headers_without_a_body(create_post, client):
    await create_post("Heads Up")
    reply = await client.head("/blog/heads-up")
    assert reply.status_code == 200 and reply.content == b"" and reply.headers["etag"]


async def test_deep_pages_are_reached_by_cursor_both_ways(create_post, read, clock):
    from grove.cache_keys import NUMBERED_PAGES

    total = PAGE_SIZE * (NUMBERED_PAGES + 2) + 4
    for n in range(total):
        await create_post(f"Deep {n:03d}")
        clock.advance(1000)
    seen: list[str] = []
    pages: list[dict] = []
    url: str | None = "/api/posts"
    while url is not None:
        reply = await read(url)
        assert reply.status_code == 200, reply.text
        body = reply.json()
        pages.append(body)
        seen += [p["title"] for p in body["posts"]]
        url = body["older"]
    assert seen == [f"Deep {n:03d}" for n in reversed(range(total))]  # each post once, newest first
    assert [p["page"] for p in pages[:NUMBERED_PAGES]] == list(range(1, NUMBERED_PAGES + 1))
    assert all(p["page"] is None for p in pages[NUMBERED_PAGES:])  # beyond: cursors
    # Back again by the newer links, from the last page to the first.
    back: list[str] = []
    url = f"/api/posts?cursor={pages[-1]['newer_cursor']}"
    while url is not None:
        body = (await read(url)).json()
        back = [p["title"] for p in body["posts"]] + back
        url = body["newer"]
    assert back == seen[: len(seen) - len(pages[-1]["posts"])]
    # The HTML index links the same way.
    html = (await read(f"/blog?page={NUMBERED_PAGES}")).text
    assert 'href="/blog?cursor=' in html and f'href="/blog?page={NUMBERED_PAGES - 1}"' in html


@pytest.mark.parametrize("cursor", ["nope", "%00", "MW8uMS4", "x" * 500, "MW8uMTIzNDU2Nzg5MDEyMzQ1Ni5hYg", "ٱ"])
async def test_a_bad_cursor_is_a_400_with_the_error_shape(create_post, read, cursor):
    await create_post("Only")
    api = await read(f"/api/posts?cursor={cursor}")
    assert api.status_code == 400 and api.json()["error"]["code"] == "bad_cursor"
    page = await read(f"/blog?cursor={cursor}", headers=BROWSER)
    assert page.status_code == 400 and "text/html" in page.headers["content-type"]


@pytest.mark.parametrize("page", ["٢", "²", "2.0", "-1", "0", "99999999999999999999", "4"])
async def test_page_numbers_are_ascii_and_few(create_post, read, page):
    await create_post("Only")
    assert (await read(f"/blog?page={page}")).status_code == 404
