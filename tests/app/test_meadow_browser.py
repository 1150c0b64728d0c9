"""The Meadow page in headless Chromium, on a desktop and a 390 px phone: a reader following
Ada sees her posts, reacts inline, switches to For you, is told of a new post without a reload
(the page's poll, on Playwright's fake timers) and opens Trending; a signed-out visitor gets the
sign-in prompt and Trending. Screenshots go to ``.artifacts/meadow/``."""

from __future__ import annotations

import pytest
from browser_kit import ARTIFACTS, NEEDS_CHROMIUM, playwright_api

from grove.pages.meadow import NEW_POSTS_POLL_MS
from grove.tiers import TRENDING_CRON

pytestmark = NEEDS_CHROMIUM

WAIT_MS = 15_000
BATCH_TIMEOUT_MS = 5_000  # wrangler.toml [[queues.consumers]] meadow-fanout
DEVICES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture
def platform_secrets(platform_secrets):
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60", "RATE_LIMIT_FOLLOW": "1000/60"}


async def _no_sideways_scroll(page, what: str) -> None:
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], (what, width)


@pytest.mark.parametrize("device_name", DEVICES)
async def test_a_reader_scrolls_reacts_and_sees_new_posts(site, browser, client, auth, create_post, platform, mint, device_name):
    for n in range(3):
        await create_post(f"Field Note {n}", f"Note {n} from the *field*.", tags=["field"], description=f"The {n}th note.")
        await platform.runtime.advance(1000)  # one second apart: Recent's order is by time
    meadow = site.replace("autumn.", "meadow.")
    token = mint("autumn", "reader", user="rita")
    rita = {"authorization": f"Bearer {token}"}
    assert (await client.post("http://meadow.localhost:8787/api/meadow/follows/ada", headers=rita)).status_code in (200, 201)
    context = await browser.new_context(extra_http_headers=rita, **DEVICES[device_name])
    # The hint cookie the session sets beside the HttpOnly one (the page asks only when it is there).
    await context.add_cookies([{"name": "grove_signed_in", "value": "1", "url": meadow}])
    page = await context.new_page()
    await page.clock.install()
    await page.goto(meadow + "/")
    expect = playwright_api.expect
    cards = page.locator("#feed .card")
    await expect(cards).to_have_count(3, timeout=WAIT_MS)
    await expect(cards.first.locator("h2 a")).to_have_text("Field Note 2")
    assert await cards.first.locator("h2 a").get_attribute("href") == site + "/blog/field-note-2"
    like = cards.first.locator('.reactions button[data-type="like"]')
    await like.click()
    await expect(like).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(like.locator(".count")).to_have_text("1")

    await page.click("#sort-relevance")
    await expect(page.locator("#sort-relevance")).to_have_attribute("aria-pressed", "true")
    await expect(cards).to_have_count(3, timeout=WAIT_MS)
    await page.click("#sort-recent")
    await expect(cards.first.locator("h2 a")).to_have_text("Field Note 2", timeout=WAIT_MS)

    # A new post reaches rita's feed through the queue; the page's poll announces it.
    await create_post("Field Note 3", "A late note.")
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    await platform.runtime.advance(2 * BATCH_TIMEOUT_MS)
    await page.clock.fast_forward(NEW_POSTS_POLL_MS + 1000)
    await expect(page.locator("#new-posts")).to_have_text("1 new post", timeout=WAIT_MS)
    await _no_sideways_scroll(page, f"feed on the {device_name}")
    shots = ARTIFACTS / "meadow"
    shots.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(shots / f"feed-{device_name}.png"), full_page=True)
    await page.click("#new-posts")
    await expect(cards).to_have_count(4, timeout=WAIT_MS)
    await expect(cards.first.locator("h2 a")).to_have_text("Field Note 3")
    await expect(page.locator("#new-posts")).to_be_hidden()

    await platform.runtime.advance(6 * 60 * 1000)  # reactions reach D1
    await platform.runtime.scheduled(TRENDING_CRON)
    await page.click("#tab-trending")
    await expect(page.locator("#trending .card").first.locator("h2 a")).to_have_text("Field Note 2", timeout=WAIT_MS)
    await _no_sideways_scroll(page, f"trending on the {device_name}")
    await page.screenshot(path=str(shots / f"trending-{device_name}.png"), full_page=True)
    await context.close()


async def test_a_signed_out_visitor_sees_the_prompt_and_trending(site, browser, create_post, platform):
    await create_post("Open Field", "Everyone may read this.")
    context = await browser.new_context(**DEVICES["phone"])
    page = await context.new_page()
    await page.goto(site.replace("autumn.", "meadow.") + "/")
    expect = playwright_api.expect
    await expect(page.locator("#signed-out")).to_be_visible()
    await expect(page.locator("#sign-in")).to_have_attribute("href", "/auth/sign-in?next=/")
    await expect(page.locator("#tab-trending")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#trending-status")).to_have_text("Nothing is trending yet.", timeout=WAIT_MS)
    (ARTIFACTS / "meadow").mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "meadow" / "signed-out-phone.png"), full_page=True)
    await context.close()


async def test_follow_on_meadow_from_a_post_page(site, browser, client, create_post, mint):
    await create_post("Follow Me", "A post worth following.")
    token = mint("autumn", "reader", user="wren")
    expect = playwright_api.expect
    anonymous = await (await browser.new_context(**DEVICES["phone"])).new_page()
    await anonymous.goto(f"{site}/blog/follow-me")
    await expect(anonymous.locator(".follow a")).to_have_attribute("href", "/auth/sign-in?next=%2Fblog%2Ffollow-me", timeout=WAIT_MS)
    # The reader's credentials on every request, and the hint cookie a session sets beside its
    # HttpOnly one (the page's script asks only when it is there).
    context = await browser.new_context(extra_http_headers={"authorization": f"Bearer {token}"}, **DEVICES["phone"])
    await context.add_cookies([{"name": "grove_signed_in", "value": "1", "url": site}])
    page = await context.new_page()
    await page.goto(f"{site}/blog/follow-me")
    button = page.locator(".follow-button")
    await expect(button).to_have_text("Follow ada on Meadow", timeout=WAIT_MS)
    await button.click()
    await expect(button).to_have_text("Following ada on Meadow", timeout=WAIT_MS)
    await expect(button).to_have_attribute("aria-pressed", "true")
    follows = (await client.get("http://meadow.localhost:8787/api/meadow/follows", headers={"authorization": f"Bearer {token}"})).json()
    assert [f["author_id"] for f in follows["follows"]] == ["ada"]
    await _no_sideways_scroll(page, "post page with the follow button")
    await page.screenshot(path=str(ARTIFACTS / "meadow" / "follow-phone.png"), full_page=True)
    await button.click()
    await expect(button).to_have_text("Follow ada on Meadow", timeout=WAIT_MS)
    await context.close()
