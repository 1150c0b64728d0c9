"""Feeds (Atom, RSS 2.0, per tag), the sitemap, robots.txt and the favicon over HTTP, parsed with
the standard library's XML parser and checked field by field."""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET

import pytest

from grove.feeds import FEED_ENTRIES

pytestmark = pytest.mark.usefixtures("tenants")

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
ORIGIN = "http://autumn.localhost:8787"


@pytest.fixture
def platform_secrets(platform_secrets) -> dict[str, str]:
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60"}


def xml(reply) -> ET.Element:
    assert reply.status_code == 200, reply.text
    return ET.fromstring(reply.content)


async def test_atom_feed_field_by_field(create_post, read, clock):
    await create_post("Seed Swap", "A [link](/blog/other) and *emphasis*.", description="Bring jars.", tags=["seeds", "community"])
    clock.advance(60_000)
    await create_post("Cold Frames", "Lettuce.", tags=["winter"])
    for path in ("/feed.xml", "/atom.xml"):
        reply = await read(path)
        assert reply.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert reply.headers["cache-control"].startswith("public") and "l-autumn" in reply.headers["cache-tag"]
        feed = xml(reply)
        assert feed.tag == f"{ATOM}feed"
        assert feed.findtext(f"{ATOM}title") == "Autumn's Grove"
        assert feed.findtext(f"{ATOM}id") == f"{ORIGIN}/feed.xml"
        assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{ORIGIN}/feed.xml"
        assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == f"{ORIGIN}/"
        assert feed.findtext(f"{ATOM}updated") == "2026-01-01T00:01:00Z"
        entries = feed.findall(f"{ATOM}entry")
        assert [e.findtext(f"{ATOM}title") for e in entries] == ["Cold Frames", "Seed Swap"]
        seed = entries[1]
        assert seed.find(f"{ATOM}link").get("href") == f"{ORIGIN}/blog/seed-swap"
        assert seed.findtext(f"{ATOM}id").startswith("tag:autumn.localhost,2026:post/")
        assert seed.findtext(f"{ATOM}published") == seed.findtext(f"{ATOM}updated") == "2026-01-01T00:00:00Z"
        assert seed.findtext(f"{ATOM}author/{ATOM}name") == "ada"
        assert [c.get("term") for c in seed.findall(f"{ATOM}category")] == ["seeds", "community"]
        assert seed.findtext(f"{ATOM}summary") == "Bring jars."
        content = seed.find(f"{ATOM}content")
        assert content.get("type") == "html" and content.get("{http://www.w3.org/XML/1998/namespace}base") == f"{ORIGIN}/blog/seed-swap"
        assert content.text == '<p>A <a href="/blog/other">link</a> and <em>emphasis</em>.</p>\n'


async def test_rss_feed_field_by_field(create_post, read):
    await create_post("Seed Swap", "Full *content*.", tags=["seeds"])
    reply = await read("/rss.xml")
    assert reply.headers["content-type"] == "application/rss+xml; charset=utf-8"
    rss = xml(reply)
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("title") == "Autumn's Grove" and channel.findtext("link") == f"{ORIGIN}/"
    assert channel.findtext("description") and channel.find(f"{ATOM}link").get("href") == f"{ORIGIN}/rss.xml"
    assert email.utils.parsedate_to_datetime(channel.findtext("lastBuildDate")).year == 2026
    (item,) = channel.findall("item")
    assert item.findtext("title") == "Seed Swap" and item.findtext("link") == f"{ORIGIN}/blog/seed-swap"
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.findtext("pubDate") == "Thu, 01 Jan 2026 00:00:00 GMT"
    assert item.findtext("{http://purl.org/dc/elements/1.1/}creator") == "ada"
    assert [c.text for c in item.findall("category")] == ["seeds"]
    assert item.findtext("description") == "<p>Full <em>content</em>.</p>\n"


async def test_tag_feeds_and_limits(create_post, read, clock):
    for n in range(FEED_ENTRIES + 2):
        await create_post(f"Note {n:02d}", tags=["notes"] if n % 2 else ["other"])
        clock.advance(1000)
    assert len(xml(await read("/feed.xml")).findall(f"{ATOM}entry")) == FEED_ENTRIES
    tagged = xml(await read("/tags/notes/feed.xml"))
    assert tagged.findtext(f"{ATOM}title") == "Autumn's Grove: notes"
    assert tagged.find(f"{ATOM}link[@rel='self']").get("href") == f"{ORIGIN}/tags/notes/feed.xml"
    titles = [e.findtext(f"{ATOM}title") for e in tagged.findall(f"{ATOM}entry")]
    assert titles[0] == "Note 21" and all(int(t[-2:]) % 2 for t in titles)
    assert xml(await read("/tags/notes/rss.xml")).find("channel/title").text == "Autumn's Grove: notes"
    assert (await read("/tags/none-such/feed.xml")).status_code == 404


async def test_feed_shows_a_publish_or_edit_at_once(create_post, read, client, auth, clock, d1_queries):
    await create_post("First")
    await read("/feed.xml")
    before = d1_queries()
    for _ in range(5):
        await read("/feed.xml")
        await read("/rss.xml")
    assert d1_queries() == before  # edge hits
    clock.advance(1000)
    await create_post("Second")
    assert [e.findtext(f"{ATOM}title") for e in xml(await read("/feed.xml")).findall(f"{ATOM}entry")] == ["Second", "First"]
    await client.put("/api/posts/first", json={"title": "First, Revised"}, headers=auth())
    assert "First, Revised" in (await read("/rss.xml")).text


async def test_feed_conditional_get(create_post, read):
    await create_post("Only")
    first = await read("/feed.xml")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert modified == "Thu, 01 Jan 2026 00:00:00 GMT"
    assert (await read("/feed.xml", headers={"if-none-match": etag})).status_code == 304
    not_modified = await read("/feed.xml", headers={"if-modified-since": modified})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert (await read("/feed.xml", headers={"if-modified-since": "Wed, 31 Dec 2025 00:00:00 GMT"})).status_code == 200
    assert (await read("/feed.xml", headers={"if-modified-since": "garbage"})).status_code == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    assert (await read("/feed.xml", headers={"if-none-match": '"other"', "if-modified-since": modified})).status_code == 200


async def test_hostile_text_keeps_feeds_well_formed(create_post, read):
    await create_post("Bell \x07 and <tags> & \"quotes\"", "Text with \x01 control and ]]> and </content>.", slug="odd", tags=["a&b<c>"])
    for path in ("/feed.xml", "/rss.xml", "/tags/a%26b%3Cc%3E/feed.xml", "/sitemap.xml"):
        xml(await read(path))  # parses: no control character, everything escaped
    entry = xml(await read("/feed.xml")).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == 'Bell  and <tags> & "quotes"'
    assert entry.find(f"{ATOM}category").get("term") == "a&b<c>"


async def test_sitemap_lists_every_published_post_and_each_answers(create_post, read, client, clock):
    for n in range(4):
        await create_post(f"Page {n}")
        clock.advance(1000)
    await create_post("Hidden", status="draft")
    urlset = xml(await read("/sitemap.xml"))
    assert urlset.tag == f"{SITEMAP}urlset"
    urls = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in urlset.findall(f"{SITEMAP}url")}
    assert set(urls) == {f"{ORIGIN}/", f"{ORIGIN}/blog", *(f"{ORIGIN}/blog/page-{n}" for n in range(4))}
    assert urls[f"{ORIGIN}/blog/page-3"] == "2026-01-01T00:00:03Z"
    for url in urls:
        assert (await read(url.removeprefix(ORIGIN))).status_code == 200, url


async def test_sitemap_index_past_the_limit(create_post, read, clock, monkeypatch):
    from grove import discovery

    monkeypatch.setattr(discovery, "SITEMAP_MAX_URLS", 3)
    for n in range(5):  # 5 posts + home + /blog = 7 URLs: 3 files of at most 3
        await create_post(f"Leaf {n}")
        clock.advance(1000)
    index = xml(await read("/sitemap.xml"))
    assert index.tag == f"{SITEMAP}sitemapindex"
    locs = [s.findtext(f"{SITEMAP}loc") for s in index.findall(f"{SITEMAP}sitemap")]
    assert locs == [f"{ORIGIN}/sitemap-{n}.xml" for n in (1, 2, 3)]
    seen: list[str] = []
    for loc in locs:
        page = xml(await read(loc.removeprefix(ORIGIN)))
        found = [u.findtext(f"{SITEMAP}loc") for u in page.findall(f"{SITEMAP}url")]
        assert 1 <= len(found) <= 3
        seen += found
    assert seen == [f"{ORIGIN}/", f"{ORIGIN}/blog", *(f"{ORIGIN}/blog/leaf-{n}" for n in (4, 3, 2, 1, 0))]
    assert (await read("/sitemap-4.xml")).status_code == 404
    assert (await read("/sitemap-0.xml")).status_code == 404


async def test_robots_and_favicon(read, client, auth):
    robots = await read("/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"] == "text/plain; charset=utf-8"
    assert f"Sitemap: {ORIGIN}/sitemap.xml" in robots.text.splitlines()
    icon = await read("/favicon.svg")
    assert icon.headers["content-type"] == "image/svg+xml"
    svg = xml(icon)
    assert svg.find("{http://www.w3.org/2000/svg}rect").get("fill") == "#b5542c"
    assert svg.find("{http://www.w3.org/2000/svg}text").text == "A"
    ico = await read("/favicon.ico")
    assert ico.status_code == 301 and ico.headers["location"] == "/favicon.svg"
    await client.put("/api/config", json={"theme": {"accent": "#225577"}, "display_name": "<Zed>"}, headers=auth())
    svg = xml(await read("/favicon.svg"))
    assert svg.find("{http://www.w3.org/2000/svg}rect").get("fill") == "#225577"
    assert svg.find("{http://www.w3.org/2000/svg}text").text == "Z"
    assert 'rel="icon" href="/favicon.svg"' in (await read("/")).text
