"""A post page's live parts in headless Chromium, two browser contexts as two readers: one
reacts and comments, the other sees the count and the comment arrive over the WebSocket
without reloading, and both see two readers present. The page HTML is the same for both."""

from __future__ import annotations

import pytest
from browser_kit import NEEDS_CHROMIUM, finish_sign_in

playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = NEEDS_CHROMIUM
WAIT_MS = 15_000


async def _signed_in_reader(browser, site: str, email: str, path: str):
    """A reader who signs in from the post (the sign-in page, the emailed link) and comes back
    to it with the session cookie: no token anywhere."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{site}/auth/sign-in?next={path}")
    await finish_sign_in(page, site, email, path)
    return page


async def test_one_reader_reacts_and_comments_the_other_sees_it_live(site, browser, create_post, mint, client, platform):
    await create_post("Spring Beds", "Mulch *everything*.")
    url = f"{site}/blog/spring-beds"
    # Wren signs in for the first time (a new account) and has no role on this blog: a reader.
    writer = await _signed_in_reader(browser, site, "wren@example.com", "/blog/spring-beds")
    tokens: list[str] = []
    writer.context.on("request", lambda r: r.headers.get("authorization") and tokens.append(r.url))
    watcher = await (await browser.new_context()).new_page()
    await watcher.goto(url)
    expect = playwright_api.expect
    for page in (writer, watcher):
        await expect(page.locator(".live-reading")).to_have_text("2 reading now", timeout=WAIT_MS)
    # The anonymous reader is offered a sign-in link that comes back to the post.
    await expect(watcher.locator("a", has_text="Sign in to comment")).to_have_attribute(
        "href", "/auth/sign-in?next=%2Fblog%2Fspring-beds"
    )
    await writer.click('.reactions button[data-type="love"]')
    await expect(writer.locator('.reactions button[data-type="love"]')).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(watcher.locator('.reactions button[data-type="love"] .count')).to_have_text("1", timeout=WAIT_MS)
    await writer.fill(".comment-form textarea", "Leaf mould, *lots*. <script>alert(1)</script>")
    await writer.click(".comment-form button[type=submit]")
    arrived = watcher.locator("ol.comments li .body")
    await expect(arrived).to_contain_text("Leaf mould, lots.", timeout=WAIT_MS)
    assert await arrived.locator("em").inner_text() == "lots"
    assert await watcher.locator("ol.comments script").count() == 0
    await expect(writer.locator("ol.comments li button", has_text="Delete")).to_be_visible()
    # Without the script, the page reads; and its HTML is the same for both readers.
    first = await client.get("/blog/spring-beds")
    second = await client.get("/blog/spring-beds", headers={"cf-connecting-ip": "198.51.100.9", "user-agent": "other"})
    assert first.content == second.content and "Mulch <em>everything</em>" in first.text
    await writer.close()
    await expect(watcher.locator(".live-reading")).to_have_text("1 reading now", timeout=WAIT_MS)
    stats = (await client.get("/api/posts/spring-beds/stats", headers={"authorization": f"Bearer {mint()}"})).json()
    # Both pages sent their view; one address and one browser build are one reader for 30 min.
    assert stats["views"] == 1 and stats["reactions"]["love"] == 1 and stats["comments"] == 1
    assert tokens == []  # the reader's writes rode on the session cookie
