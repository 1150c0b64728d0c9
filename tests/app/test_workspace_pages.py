"""The author's workspace over HTTP: the dashboard, settings and analytics pages, and how each
refuses a caller who is not signed in or has not the role (a page for browsers, JSON for others)."""

from __future__ import annotations

import re

import pytest
from client_kinds import BROWSER

from grove.pages.workspace import views_chart

pytestmark = pytest.mark.usefixtures("tenants")

PAGES = ["/admin", "/admin/account", "/admin/settings", "/admin/analytics", "/admin/editor/spring"]


@pytest.mark.parametrize("path", PAGES)
async def test_a_browser_that_is_not_signed_in_gets_a_sign_in_link(client, path):
    reply = await client.get(path, headers=BROWSER)
    assert reply.status_code == 401 and reply.headers["content-type"].startswith("text/html")
    assert reply.headers["cache-control"] == "private, no-store"
    assert f'href="/auth/sign-in?next={path}"' in reply.text and "Sign in" in reply.text
    assert "<title>Sign in to continue · Autumn&#x27;s Grove</title>" in reply.text  # the blog's own page
    api = await client.get(path)  # not a browser: the JSON shape
    assert api.status_code == 401 and api.json()["error"]["code"] == "missing_token"


@pytest.mark.parametrize("path", PAGES)
async def test_a_refused_session_is_said_in_words(client, path, auth, clock):
    expired = auth(ttl_s=60)
    clock.advance(120_000)
    reply = await client.get(path, headers={**BROWSER, **expired})
    assert reply.status_code == 401 and "session has ended" in reply.text and "/auth/sign-in?next=" in reply.text
    other_blog = await client.get(path, headers={**BROWSER, **auth("willow")})
    assert other_blog.status_code == 403 and "not as a writer of this blog" in other_blog.text


@pytest.mark.parametrize("path", ["/admin/settings", "/admin/analytics"])
async def test_settings_and_analytics_are_for_owners(client, path, auth):
    reply = await client.get(path, headers={**BROWSER, **auth(role="author")})
    assert reply.status_code == 403 and "for the blog&#x27;s owner" in reply.text
    assert (await client.get(path, headers={**BROWSER, **auth()})).status_code == 200


async def test_the_dashboard_lists_posts_of_every_status_and_new_drafts(client, auth, create_post, platform):
    await create_post("Spring Notes", slug="spring", description="Seeds.")
    await create_post("Half Done", slug="half-done", status="draft")
    await create_post("Old Things", slug="old-things", status="archived")
    draft = {"content": "x", "metadata": {"title": "Not Yet", "description": "", "tags": []}, "device_id": "d"}
    assert (await client.put("/api/drafts/not-yet", json=draft, headers=auth())).status_code == 201
    reply = await client.get("/admin", headers={**BROWSER, **auth(role="author")})
    assert reply.status_code == 200 and reply.headers["cache-control"] == "private, no-store"
    assert "content-security-policy" in reply.headers
    text = reply.text
    for slug, title, status in [("spring", "Spring Notes", "published"), ("half-done", "Half Done", "draft"),
                                ("old-things", "Old Things", "archived")]:
        row = re.search(rf'<li><a class="title" href="/admin/editor/{slug}">{title}</a>(.*?)</li>', text)
        assert row is not None, slug
        assert f">{status}</span>" in row.group(1) and "hot · D1" in row.group(1) and "updated " in row.group(1)
    assert '<a class="title" href="/admin/editor/not-yet">Not Yet</a>' in text and "new · draft" in text
    # The author sees no owner links.
    assert 'href="/admin/settings"' not in text
    owner = await client.get("/admin", headers={**BROWSER, **auth()})
    assert 'href="/admin/settings"' in owner.text and 'href="/admin/analytics"' in owner.text


@pytest.fixture
def platform_secrets(platform_secrets) -> dict[str, str]:
    # The paging test makes more posts a minute than the per-user post_create limit allows.
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60"}


def _titles(html: str) -> list[str]:
    return re.findall(r'<a class="title" href="/admin/editor/[^"]+">([^<]+)</a>', html)


async def test_the_dashboard_pages_by_keyset_most_recently_updated_first(client, auth, create_post, clock):
    for n in range(45):
        await create_post(f"Post {n:02d}", status="draft" if n % 3 else "published")
        clock.advance(1000)
    await client.put("/api/posts/post-00", json={"title": "Post 00 again"}, headers=auth())  # now the newest change
    first = await client.get("/admin", headers={**BROWSER, **auth(role="author")})
    titles = _titles(first.text)
    assert titles == ["Post 00 again", *(f"Post {n:02d}" for n in range(44, 25, -1))]
    assert 'rel="prev"' not in first.text
    older = re.search(r'<a rel="next" href="(/admin\?cursor=[^"]+)">', first.text).group(1)
    second = await client.get(older, headers={**BROWSER, **auth(role="author")})
    assert _titles(second.text) == [f"Post {n:02d}" for n in range(25, 5, -1)]
    third = await client.get(re.search(r'<a rel="next" href="(/admin\?cursor=[^"]+)">', second.text).group(1), headers={**BROWSER, **auth()})
    assert _titles(third.text) == [f"Post {n:02d}" for n in range(5, 0, -1)] and 'rel="next"' not in third.text
    back = re.search(r'<a rel="prev" href="(/admin\?cursor=[^"]+)">', third.text).group(1)
    assert _titles((await client.get(back, headers={**BROWSER, **auth()})).text) == _titles(second.text)
    bad = await client.get("/admin?cursor=not-a-cursor", headers={**BROWSER, **auth()})
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    assert (await client.get("/admin?cursor=not-a-cursor", headers=auth())).json()["error"]["code"] == "bad_cursor"


async def test_the_account_page_shows_the_name_the_blogs_and_hand_off_links(client, auth, mint):
    mint("willow", "author")  # ada writes for willow too
    page = await client.get("/admin/account", headers={**BROWSER, **auth(role="author")})
    assert page.status_code == 200 and page.headers["cache-control"] == "private, no-store"
    assert 'id="user-display-name" name="display_name" value="ada"' in page.text
    assert '<a href="/admin" aria-current="page">' in page.text
    assert 'href="/auth/handoff?to=willow.localhost:8787&amp;next=/admin"' in page.text
    assert 'href="/auth/handoff?to=meadow.localhost:8787&amp;next=/"' in page.text
    assert '<option value="owner">' not in page.text  # an author's token can be at most an author's


async def test_the_dashboard_shows_each_storage_tier(client, auth, create_post, platform):
    await create_post("Warm One", slug="warm-one")
    await platform.runtime.worker().env.DB.prepare(
        "UPDATE posts SET storage_location = 'r2_archived', r2_key = 'archive/autumn/x.json' WHERE slug = 'warm-one'"
    ).run()
    reply = await client.get("/admin", headers=auth())
    assert "cold · archive" in reply.text


async def test_settings_show_the_current_values_escaped(client, auth):
    update = {"display_name": "Autumn <b>Grove</b>", "theme": {"tagline": 'Leaves & "light"', "accent": "#abc"}}
    assert (await client.put("/api/config", json=update, headers=auth())).status_code == 200
    reply = await client.get("/admin/settings", headers=auth())
    assert 'value="Autumn &lt;b&gt;Grove&lt;/b&gt;"' in reply.text
    assert 'value="Leaves &amp; &quot;light&quot;"' in reply.text
    assert 'type="color" value="#aabbcc"' in reply.text and 'id="accent-text" value="#abc"' in reply.text
    assert 'id="members"' in reply.text


async def test_analytics_draws_views_per_day_and_top_paths(client, auth, clock, platform):
    now = clock.now_ms()
    events = [{"type": "page_view", "path": "/blog/a<b>", "ts_ms": now} for _ in range(3)]
    events += [{"type": "page_view", "path": "/", "ts_ms": now}]
    assert (await client.post("/api/analytics", json=events)).status_code == 202
    await platform.runtime.advance(60_000)  # the TenantDO's alarm delivers the batch to D1
    reply = await client.get("/admin/analytics?days=7", headers=auth())
    assert reply.status_code == 200 and reply.headers["cache-control"] == "private, no-store"
    assert len(re.findall(r'<rect class="bar"', reply.text)) == 7
    assert '<strong id="total-views">4</strong>' in reply.text
    rows = re.findall(r"<tr><td><code>(.*?)</code></td><td class=\"num\">(\d+)</td></tr>", reply.text)
    assert rows == [("/blog/a&lt;b&gt;", "3"), ("/", "1")]
    assert (await client.get("/admin/analytics?days=0", headers={**BROWSER, **auth()})).status_code == 422


def test_the_chart_has_one_bar_a_day_scaled_to_the_peak():
    summary = {
        "days": 3, "since_ms": 0, "total_views": 6, "top_paths": [],
        "views_per_day": [{"date": "2026-01-01", "views": 0}, {"date": "2026-01-02", "views": 2},
                          {"date": "2026-01-03", "views": 4}],
    }
    svg = views_chart(summary)
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([0-9.]+)"', svg)]
    assert len(heights) == 3 and heights[0] == 1.0 and heights[2] == pytest.approx(2 * heights[1])
    assert "<title>2026-01-03: 4 views</title>" in svg and ">4 views</text>" in svg
    assert 'aria-label="Views per day, 2026-01-01 to 2026-01-03; at most 4 a day"' in svg
