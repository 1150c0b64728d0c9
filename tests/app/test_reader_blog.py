"""The reader's blog over HTTP: tags and tag pages, share previews, byline, previous/next,
and the wrong turns (old slugs, trailing slashes, HTML 404s for browsers, cached 404s)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from client_kinds import BROWSER

from grove.cache_keys import PAGE_SIZE

pytestmark = pytest.mark.usefixtures("tenants")

API = {"accept": "application/json"}


@pytest.fixture
def platform_secrets(platform_secrets) -> dict[str, str]:
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60"}


class Head(HTMLParser):
    """The document head's meta/link tags and JSON-LD, and every link of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: list[tuple[str, str]] = []
        self.links: list[dict[str, str]] = []
        self.hrefs: list[str] = []
        self.json_ld: list[object] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {k: v or "" for k, v in attrs}
        if tag == "meta" and "content" in named:
            self.meta.append((named.get("property") or named.get("name") or "", named["content"]))
        if tag == "link":
            self.links.append(named)
        if tag == "a" and "href" in named:
            self.hrefs.append(named["href"])
        self._in_ld = tag == "script" and named.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.json_ld.append(json.loads(data))
            self._in_ld = False

    def values(self, name: str) -> list[str]:
        return [content for key, content in self.meta if key == name]


def parse(text: str) -> Head:
    head = Head()
    head.feed(text)
    return head


# --- tags -----------------------------------------------------------------------------------


async def test_tag_links_lead_to_a_paginated_tag_page(create_post, read, clock):
    for n in range(PAGE_SIZE + 2):
        await create_post(f"Bulb {n:02d}", tags=["bulbs", "autumn"] if n % 2 == 0 else ["bulbs"])
        clock.advance(1000)
    await create_post("Other", tags=["tools"])
    post = await read("/blog/bulb-00")
    assert '<a href="/tags/bulbs" rel="tag">bulbs</a>' in post.text
    assert 'href="/tags/bulbs"' in (await read("/blog")).text  # lists show tags too
    first = await read("/tags/bulbs")
    assert first.status_code == 200 and "text/html" in first.headers["content-type"]
    assert "Bulb 11" in first.text and "Bulb 02" in first.text and "Bulb 01" not in first.text and "Other" not in first.text
    assert 'href="/tags/bulbs?page=2"' in first.text
    second = await read("/tags/bulbs?page=2")
    assert "Bulb 01" in second.text and "Bulb 00" in second.text and "Bulb 11" not in second.text
    even = (await read("/tags/autumn")).text
    assert "Bulb 10" in even and "Bulb 09" not in even
    assert (await read("/tags/nothing-here")).status_code == 404


async def test_tag_page_shows_a_new_post_at_once(create_post, read, clock):
    await create_post("One", tags=["x"])
    await read("/tags/x")
    await read("/tags/x")  # from the edge now
    clock.advance(1000)
    await create_post("Two", tags=["x"])
    assert "Two" in (await read("/tags/x")).text


async def test_blog_tag_query_redirects_to_the_tag_page(read):
    reply = await read("/blog?tag=winter%20veg")
    assert reply.status_code == 301 and reply.headers["location"] == "/tags/winter%20veg"


@pytest.mark.parametrize(
    "tag",
    ['<script>alert("t")</script>', "a/b?c#d", "100% ünïcode 🌱", '"quoted" & \'single\'', "..", "%2F"],
)
async def test_hostile_tag_names(create_post, read, tag):
    await create_post("Tagged Oddly", tags=[tag])
    page = (await read("/blog/tagged-oddly")).text
    assert "<script>alert" not in page
    href = next(h for h in parse(page).hrefs if h.startswith("/tags/"))
    assert href == f"/tags/{quote(tag, safe='')}"
    tag_page = await read(href)
    assert tag_page.status_code == 200, tag_page.text
    assert "Tagged Oddly" in tag_page.text and "<script>alert" not in tag_page.text
    assert (await read(f"{href}/feed.xml")).status_code == 200


async def test_tag_paths_that_can_name_no_tag_are_404s(read, d1_queries):
    before = d1_queries()
    for path in ("/tags/%FF", "/tags/" + "x" * 41, "/tags/%20padded"):
        reply = await read(path, headers=BROWSER)
        assert reply.status_code == 404 and "text/html" in reply.headers["content-type"], path
    assert d1_queries() == before


# --- share previews, byline, previous/next --------------------------------------------------


async def test_share_preview_matches_the_post(create_post, read):
    await create_post("Cold Frames", "Lettuce in *February*.", description="Salad all winter.", tags=["winter", "salad"])
    page = parse((await read("/blog/cold-frames")).text)
    canonical = [link["href"] for link in page.links if link.get("rel") == "canonical"]
    assert canonical == ["http://autumn.localhost:8787/blog/cold-frames"]
    feeds = {link["type"]: link["href"] for link in page.links if link.get("rel") == "alternate"}
    assert feeds == {"application/atom+xml": "http://autumn.localhost:8787/feed.xml", "application/rss+xml": "http://autumn.localhost:8787/rss.xml"}
    assert page.values("og:title") == ["Cold Frames"] and page.values("og:type") == ["article"]
    assert page.values("og:description") == ["Salad all winter."] and page.values("twitter:card") == ["summary"]
    assert page.values("article:tag") == ["winter", "salad"]  # the tags the page shows
    assert page.values("article:published_time") == ["2026-01-01T00:00:00Z"]
    (ld,) = page.json_ld
    assert ld["@type"] == "BlogPosting" and ld["headline"] == "Cold Frames" and ld["keywords"] == ["winter", "salad"]
    assert ld["datePublished"] == "2026-01-01T00:00:00Z" and ld["author"]["name"] == "ada"


async def test_json_ld_cannot_close_its_script(create_post, read):
    title = "</script><script>alert(1)</script>"
    await create_post(title, slug="sneaky", description="<!-- \u2028 -->")
    text = (await read("/blog/sneaky")).text
    block = text.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block)["headline"] == title
    assert "<" not in block and ">" not in block


async def test_byline_updated_date_and_neighbours(create_post, read, client, auth, clock):
    await create_post("First")
    clock.advance(60_000)
    await create_post("Second")
    page = (await read("/blog/first")).text
    assert '<span class="author">ada</span>' in page and "Updated" not in page
    assert 'href="/blog/second" rel="next"' in page and 'rel="prev"' not in page.split('class="neighbours"')[1]
    clock.advance(60_000)
    await create_post("Third")  # the cached page of Second gains a Next link at once
    second = (await read("/blog/second")).text
    assert 'href="/blog/first" rel="prev"' in second and 'href="/blog/third" rel="next"' in second
    clock.advance(2 * 3600_000)
    assert (await client.put("/api/posts/first", json={"markdown": "Revised."}, headers=auth())).status_code == 200
    assert "Updated" in (await read("/blog/first")).text
    await client.delete("/api/posts/second", headers=auth())
    assert 'href="/blog/third" rel="next"' in (await read("/blog/first")).text


# --- wrong turns ----------------------------------------------------------------------------


async def test_old_slug_redirects_until_it_is_reused(create_post, read, client, auth):
    await create_post("Old Name")
    await read("/blog/old-name")
    await client.put("/api/posts/old-name", json={"slug": "new-name"}, headers=auth())
    moved = await read("/blog/old-name")
    assert moved.status_code == 301 and moved.headers["location"] == "/blog/new-name"
    assert (await read(moved.headers["location"])).status_code == 200
    await client.put("/api/posts/new-name", json={"slug": "newest-name"}, headers=auth())
    assert (await read("/blog/old-name")).headers["location"] == "/blog/newest-name"  # no chains
    await create_post("Old Name Again", slug="old-name")
    reused = await read("/blog/old-name")
    assert reused.status_code == 200 and "Old Name Again" in reused.text


async def test_trailing_slash_redirects_to_the_canonical_url(create_post, read):
    await create_post("Slash")
    for path, target in (("/blog/", "/blog"), ("/blog/slash/", "/blog/slash"), ("/tags/x/", "/tags/x"), ("/blog/?page=2", "/blog?page=2")):
        reply = await read(path)
        assert (reply.status_code, reply.headers.get("location")) == (301, target), path
    # Never a redirect off the site: "//host" would be a network-path reference (RFC 3986 §4.2).
    from grove.app import _without_trailing_slash

    assert _without_trailing_slash("GET", "//blog/", "") is None
    assert _without_trailing_slash("POST", "/blog/", "") is None


async def test_browsers_get_html_errors_in_the_blogs_theme(read, client):
    for path in ("/nowhere", "/blog/no-such-post", "/blog/Not_A_Slug"):
        page = await read(path, headers=BROWSER)
        assert page.status_code == 404 and "text/html" in page.headers["content-type"], path
        assert "--accent: #b5542c" in page.text and "Autumn&#x27;s Grove" in page.text
        api = await read(path, headers=API)
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    refused = await client.post("/blog", headers=BROWSER)
    assert refused.status_code == 405 and "text/html" in refused.headers["content-type"] and "--accent: #b5542c" in refused.text


async def test_a_slug_that_breaks_the_rule_touches_no_storage(read, platform):
    stats = platform.services.stats
    before = {name: stats.get(name) for name in ("d1.queries", "kv.reads", "kv.writes", "cache.puts")}
    reply = await read("/blog/NO.such_slug!", headers=API)
    assert reply.status_code == 404
    assert {name: stats.get(name) for name in before} == before


async def test_a_missing_slug_is_cached_briefly_and_purged_by_creation(create_post, read, platform, clock):
    stats = platform.services.stats
    first = await read("/blog/not-yet", headers=BROWSER)
    assert first.status_code == 404 and "text/html" in first.headers["content-type"]
    assert first.headers["cache-control"] == "private, no-store"
    d1, kv_reads, kv_writes = stats.get("d1.queries"), stats.get("kv.reads"), stats.get("kv.writes")
    for _ in range(5):
        again = await read("/blog/not-yet", headers=BROWSER)
        assert again.status_code == 404 and "text/html" in again.headers["content-type"]
        api = await read("/blog/not-yet", headers=API)  # the same cached 404, in the JSON shape
        assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert (stats.get("d1.queries"), stats.get("kv.reads"), stats.get("kv.writes")) == (d1, kv_reads, kv_writes)
    assert kv_writes == 0  # not even the first probe wrote to KV
    await create_post("Not Yet", slug="not-yet")
    assert (await read("/blog/not-yet")).status_code == 200
