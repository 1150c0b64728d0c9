"""The demo data `make dev` loads: a reader can open autumn's blog and read posts from every
storage tier."""

from __future__ import annotations

import re

import pytest

from grove_dev.seed import seed_demo


async def test_a_reader_can_browse_the_demo_blogs(platform, read):
    await seed_demo(platform.runtime)
    locations = await platform.runtime.d1().prepare(
        "SELECT storage_location, COUNT(*) AS n FROM posts GROUP BY storage_location"
    ).all()
    assert {r["storage_location"] for r in locations["results"]} == {"d1", "r2", "r2_archived"}
    index = await read("/blog")
    assert index.status_code == 200 and "Autumn&#x27;s Grove" in index.text
    slugs = re.findall(r'href="/blog/([a-z0-9-]+)"', index.text)
    assert len(slugs) == 10 and 'href="/blog?page=2"' in index.text
    older = re.findall(r'href="/blog/([a-z0-9-]+)"', (await read("/blog?page=2")).text)
    for slug in slugs + older:
        post = await read(f"/blog/{slug}")
        assert post.status_code == 200 and '<div class="content">' in post.text and "<h2 id=" in post.text
    for host in ("willow", "fern"):
        assert (await read(f"http://{host}.localhost:8787/")).status_code == 200


async def test_the_demo_authors_are_accounts_and_write_the_posts(platform, client, sign_in):
    from grove.accounts import display_names
    from grove_dev.seed import DEMO_AUTHORS

    first = await seed_demo(platform.runtime)
    assert first["accounts_created"] == len(DEMO_AUTHORS)
    assert (await seed_demo(platform.runtime))["accounts_created"] == 0  # idempotent
    db = platform.runtime.d1()
    authors = (await db.prepare("SELECT DISTINCT author_id FROM posts WHERE tenant = 'autumn'").all())["results"]
    assert await display_names(db, [row["author_id"] for row in authors]) == {DEMO_AUTHORS[0].user_id: "Ada Hart"}
    # The README's demo account signs in through the outbox and owns autumn.
    session = await sign_in("ada@grove.test")
    me = (await client.get("/api/me", headers={"cookie": f"grove_session={session}"})).json()
    assert me["user"] == {"id": DEMO_AUTHORS[0].user_id, "email": "ada@grove.test", "display_name": "Ada Hart"}
    assert me["role_here"] == "owner"


async def test_the_demo_reads_like_a_real_blog(platform, read):
    await seed_demo(platform.runtime)
    for tenant in ("autumn", "willow", "fern"):
        rows = (await platform.runtime.d1().prepare(
            "SELECT slug, description, html FROM posts WHERE tenant = ?1 AND html IS NOT NULL"
        ).bind(tenant).all())["results"]
        paragraphs = [p for row in rows for p in re.findall(r"<p>(.*?)</p>", row["html"], re.S)]
        assert len(paragraphs) == len(set(paragraphs)), tenant  # no paragraph twice in a blog
        for row in rows:  # the excerpt is the post's own opening
            assert row["description"] and row["description"] in re.sub(r"<[^>]+>", "", row["html"]).replace("\n", " ")
    html = " ".join(
        r["html"] for r in (await platform.runtime.d1().prepare("SELECT html FROM posts WHERE html IS NOT NULL").all())["results"]
    )
    for construct in ('class="footnote-ref"', "<table>", '<pre class="code"><code class="language-', 'type="checkbox"', 'href="https://images.example.org/'):
        assert construct in html, construct


class TestDemoMeadow:
    @pytest.fixture
    def platform_secrets(self, platform_secrets):
        from grove_dev.demo_meadow import DEMO_PULL_THRESHOLD

        return {**platform_secrets, "MEADOW_PULL_THRESHOLD": str(DEMO_PULL_THRESHOLD)}  # as `grove dev` runs

    async def test_the_demo_meadow_reader_has_a_feed_with_a_celebrity_by_pull(self, platform, client, sign_in):
        from grove_dev.demo_meadow import CELEBRITY_EMAIL, DEMO_READER, demo_readers
        from grove_dev.seed import demo_user_id

        created = await seed_demo(platform.runtime)
        assert created["meadow_readers_created"] == len(demo_readers()) >= 30
        await platform.runtime.advance(2 * 5_000)  # the fan-out's batches (wrangler.toml: 5 s)
        pull = (await platform.runtime.d1().prepare("SELECT author_id FROM meadow_pull_authors").all())["results"]
        # The fan-out itself found the celebrity over the demo's threshold, and nobody else.
        assert [row["author_id"] for row in pull] == [demo_user_id(CELEBRITY_EMAIL)]
        session = await sign_in(DEMO_READER[0], host="meadow.localhost:8787")
        feed = await client.get("http://meadow.localhost:8787/api/meadow/feed?limit=50", headers={"cookie": f"grove_session={session}"})
        assert feed.status_code == 200, feed.text
        # Mira follows every demo blog's owner: her feed (built from D1 on this first load, Wes's
        # posts pulled from his author store) has all three blogs.
        assert {item["tenant"] for item in feed.json()["items"]} == {"autumn", "willow", "fern"}
