"""A post page's live parts in headless Chromium, used as readers use them: two browser
contexts as two readers (one reacts and comments, the other sees the count and the comment
arrive over the WebSocket without reloading, both see two readers present; the page HTML is
the same for both); a phone (threads, no sideways scroll, the keyboard); refusals in words
(rate limited, signed out, offline, too long); pages of comments by cursor; moderation.
Screenshots go to ``.artifacts/post-live/``."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from browser_kit import ARTIFACTS, NEEDS_CHROMIUM, finish_sign_in

from grove_dev.accounts import LOCAL_EMAIL_DOMAIN

playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = NEEDS_CHROMIUM
WAIT_MS = 15_000
SHOTS = ARTIFACTS / "post-live"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def platform_secrets(platform_secrets):
    # A page of comments (50) and then some, from one writer; two reactions a minute, so the
    # third is refused.
    return {**platform_secrets, "RATE_LIMIT_COMMENT": "1000/60", "RATE_LIMIT_REACTION": "2/60"}


async def _signed_in_reader(browser, site: str, email: str, path: str, **options):
    """A reader who signs in from the post (the sign-in page, the emailed link) and comes back
    to it with the session cookie: no token anywhere."""
    context = await browser.new_context(**options)
    page = await context.new_page()
    await page.goto(f"{site}/auth/sign-in?next={path}")
    await finish_sign_in(page, site, email, path)
    return page


async def test_one_reader_reacts_and_comments_the_other_sees_it_live(site, browser, create_post, mint, client, platform, clock):
    await create_post("Spring Beds", "Mulch *everything*.")
    url = f"{site}/blog/spring-beds"
    # Wren signs in for the first time (a new account) and has no role on this blog: a reader.
    writer = await _signed_in_reader(browser, site, "wren@example.com", "/blog/spring-beds")
    tokens: list[str] = []
    writer.context.on("request", lambda r: r.headers.get("authorization") and tokens.append(r.url))
    watcher = await (await browser.new_context()).new_page()
    # The watcher's browser clock is the server's (simulated) one, so times read "just now".
    await watcher.clock.set_fixed_time(datetime.fromtimestamp(clock.now_ms() / 1000, tz=UTC))
    await watcher.goto(url)
    expect = playwright_api.expect
    for page in (writer, watcher):
        await expect(page.locator(".live-reading")).to_have_text("2 people reading now", timeout=WAIT_MS)
    # The anonymous reader is offered a sign-in link that comes back to the post.
    await expect(watcher.locator("a", has_text="Sign in to comment")).to_have_attribute(
        "href", "/auth/sign-in?next=%2Fblog%2Fspring-beds"
    )
    # A reaction signed out: said beside the bar, with a link; the reader stays on the post.
    await watcher.click('.reactions button[data-type="like"]')
    await expect(watcher.locator(".bar-status")).to_have_text("Sign in to react.")
    await expect(watcher.locator(".bar-status a")).to_have_attribute("href", "/auth/sign-in?next=%2Fblog%2Fspring-beds")
    assert watcher.url == url
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
    # The writer's own comment shows once: from the POST's reply, and updated in place when the
    # same comment arrives over the WebSocket.
    await expect(writer.locator(".comment-form .live-status")).to_have_text("Your comment is posted.")
    await expect(writer.locator("ol.comments li")).to_have_count(1)
    await expect(writer.locator("ol.comments li .author")).to_have_text("wren")
    await expect(watcher.locator("ol.comments li time")).to_have_text("just now")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await writer.screenshot(path=str(SHOTS / "two-readers-writer-desktop.png"), full_page=True)
    # Without the script, the page reads; and its HTML is the same for both readers.
    first = await client.get("/blog/spring-beds")
    second = await client.get("/blog/spring-beds", headers={"cf-connecting-ip": "198.51.100.9", "user-agent": "other"})
    assert first.content == second.content and "Mulch <em>everything</em>" in first.text
    await writer.close()
    await expect(watcher.locator(".live-reading")).to_have_text("Just you reading now", timeout=WAIT_MS)
    stats = (await client.get("/api/posts/spring-beds/stats", headers={"authorization": f"Bearer {mint()}"})).json()
    # Both pages sent their view; one address and one browser build are one reader for 30 min.
    assert stats["views"] == 1 and stats["reactions"]["love"] == 1 and stats["comments"] == 1
    assert tokens == []  # the reader's writes rode on the session cookie


async def _no_sideways_scroll(page, what: str) -> None:
    widths = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], (what, widths)


async def test_on_a_phone_threads_read_the_keyboard_reacts_and_nothing_scrolls_sideways(site, browser, create_post):
    await create_post("Compost Notes", "Turn it *weekly*.")
    reader = await _signed_in_reader(browser, site, "robin@example.com", "/blog/compost-notes", **PHONE)
    expect = playwright_api.expect
    await expect(reader.locator(".live-reading")).to_have_text("Just you reading now", timeout=WAIT_MS)
    await expect(reader.locator(".no-comments")).to_be_visible()
    # The keyboard: Tab reaches the first reaction, Space presses it; its name says what and how many.
    like = reader.locator('.reactions button[data-type="like"]')
    await expect(like).to_have_accessible_name("Like 0")
    await like.focus()
    await reader.keyboard.press("Space")
    await expect(like).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(like).to_have_accessible_name("Like 1")
    assert await like.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"  # a visible focus ring
    # A comment, a reply to it, and replies three deep with a long unbroken word (a URL).
    await reader.fill(".comment-form textarea", "First **thoughts**.")
    await reader.click(".comment-form button[type=submit]")
    await expect(reader.locator("ol.comments > li")).to_have_count(1, timeout=WAIT_MS)
    parent = reader.locator("ol.comments > li").first
    for depth, words in enumerate(["A reply.", "Deeper: https://example.com/" + "x" * 120, "Deepest."], start=1):
        await reader.locator("ol.comments li button", has_text="Reply").last.click()
        await expect(reader.locator(".comment-form .replying")).to_have_text("Replying to robin")
        await expect(reader.locator(".comment-form textarea")).to_be_focused()
        await reader.keyboard.type(words)
        await reader.click(".comment-form button[type=submit]")
        await expect(parent.locator("ol.replies li")).to_have_count(depth, timeout=WAIT_MS)
    # The form went back under the thread after each reply; Cancel puts it back too.
    await expect(reader.locator(".comment-form-home > .comment-form")).to_have_count(1)
    await reader.locator("ol.comments li button", has_text="Reply").first.click()
    await reader.click(".comment-form button.cancel")
    await expect(reader.locator(".comment-form-home > .comment-form .replying")).to_be_hidden()
    assert await parent.locator(":scope > ol.replies > li > ol.replies > li > ol.replies > li .body").inner_text() == "Deepest."
    await _no_sideways_scroll(reader, "post with a deep thread on a phone")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await reader.screenshot(path=str(SHOTS / "thread-phone.png"), full_page=True)


async def test_refusals_are_said_in_words_and_nothing_is_sent_twice(site, browser, create_post):
    await create_post("Seed Swap", "Bring *beans*.")
    path = "/blog/seed-swap"
    reader = await _signed_in_reader(browser, site, "jay@example.com", path, **DESKTOP)
    expect = playwright_api.expect
    love = reader.locator('.reactions button[data-type="love"]')
    said = reader.locator(".bar-status")
    await expect(love.locator(".count")).to_have_text("0", timeout=WAIT_MS)
    # While a toggle is on its way the button is disabled: a double click sends one toggle.
    toggles: list[str] = []
    reader.on("request", lambda r: r.method == "POST" and r.url.endswith("/reactions") and toggles.append(r.url))
    held = asyncio.Event()

    async def hold(route):
        await held.wait()
        await route.continue_()

    await reader.route("**/api/posts/seed-swap/reactions", hold)
    await love.dblclick()
    await expect(love).to_have_attribute("aria-disabled", "true")
    held.set()
    await expect(love).to_have_attribute("aria-pressed", "true", timeout=WAIT_MS)
    await expect(love).not_to_have_attribute("aria-disabled", "true")
    await expect(love).to_be_focused()  # busy is not `disabled`: the focus stays put
    await reader.unroute("**/api/posts/seed-swap/reactions")
    assert len(toggles) == 1
    await love.click()
    await expect(love).to_have_attribute("aria-pressed", "false", timeout=WAIT_MS)
    # The third toggle within the minute is over the limit (2/60): said, with when to retry.
    await love.click()
    await expect(said).to_contain_text("That is a lot at once, so your reaction was not saved. Try again in", timeout=WAIT_MS)
    await expect(love).to_have_attribute("aria-pressed", "false")
    await expect(love.locator(".count")).to_have_text("0")

    # Offline: the comment is kept in the box and the reader is told.
    await reader.route("**/api/posts/seed-swap/comments", lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    box = reader.locator(".comment-form textarea")
    await box.fill("Runner beans!")
    await reader.click(".comment-form button[type=submit]")
    form_said = reader.locator(".comment-form .live-status")
    await expect(form_said).to_contain_text("Could not reach the site", timeout=WAIT_MS)
    await expect(box).to_have_value("Runner beans!")
    await reader.unroute("**/api/posts/seed-swap/comments")

    # Too long: counted near the limit, refused before sending.
    await box.fill("b" * 10_001)
    await expect(reader.locator(".comment-form .counter")).to_have_text("1 character too long (the limit is 10,000)")
    await reader.click(".comment-form button[type=submit]")
    await expect(form_said).to_have_text("That comment is over the length limit; please shorten it.")
    await box.fill("b" * 9_500)
    await expect(reader.locator(".comment-form .counter")).to_have_text("9,500 / 10,000 characters")

    # A server refusal is the server's own message (a reply to a comment that is not there).
    await box.fill("Hello")
    await reader.evaluate("document.querySelector('.comment-form').dataset.parent = '0123456789abcdef0123456789abcdef'")
    await reader.click(".comment-form button[type=submit]")
    await expect(form_said).to_have_text("parent_id: no comment with this id on this post", timeout=WAIT_MS)
    await reader.evaluate("delete document.querySelector('.comment-form').dataset.parent")

    # Signed out meanwhile (the session cookie gone, the page still open): a link to sign in.
    cookies = await reader.context.cookies()
    await reader.context.clear_cookies()
    await reader.context.add_cookies([c for c in cookies if c["name"] != "grove_session"])
    await reader.click(".comment-form button[type=submit]")
    await expect(form_said).to_contain_text("You are signed out, so your comment was not posted. Sign in again.", timeout=WAIT_MS)
    await expect(form_said.locator("a")).to_have_attribute("href", "/auth/sign-in?next=%2Fblog%2Fseed-swap")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await reader.screenshot(path=str(SHOTS / "refusals-desktop.png"), full_page=True)
    assert await reader.locator("ol.comments li").count() == 0  # nothing half-sent shows


async def test_pages_of_comments_in_order_and_moderated_comments_keep_their_place(site, browser, create_post, client, auth, clock):
    await create_post("Frost Dates", "Wait for *May*.")
    headers = auth("autumn", "reader", user="finch")
    ids = []
    for n in range(52):
        clock.advance(1000)  # one a second: the order is the order written
        reply = await client.post("/api/posts/frost-dates/comments", json={"markdown": f"Comment {n}"}, headers=headers)
        assert reply.status_code == 201, reply.text
        ids.append(reply.json()["comment"]["id"])
    reader = await _signed_in_reader(browser, site, "lark@example.com", "/blog/frost-dates", **PHONE)
    expect = playwright_api.expect
    top = reader.locator("ol.comments > li")
    await expect(top).to_have_count(50, timeout=WAIT_MS)
    more = reader.locator("button.more")
    await expect(more).to_have_text("Show more comments")
    # A comment arriving live while a page is still unread waits in its place (after the unread ones).
    clock.advance(1000)
    reply = await client.post("/api/posts/frost-dates/comments", json={"markdown": "Comment 52"}, headers=headers)
    assert reply.status_code == 201
    await expect(top).to_have_count(51, timeout=WAIT_MS)
    await more.click()
    await expect(top).to_have_count(53, timeout=WAIT_MS)
    await expect(more).to_be_hidden()
    bodies = await top.locator(":scope > .body").all_inner_texts()
    assert bodies == [f"Comment {n}" for n in range(53)]
    # The author hides one, its writer deletes another: both keep their place, without words or name.
    hidden = await client.post(f"/api/posts/frost-dates/comments/{ids[1]}/hide", headers=auth())
    assert hidden.status_code == 200, hidden.text
    gone = await client.delete(f"/api/posts/frost-dates/comments/{ids[2]}", headers=headers)
    assert gone.status_code == 200, gone.text
    await expect(top.nth(1).locator(".body")).to_have_text("This comment was hidden by the blog.", timeout=WAIT_MS)
    await expect(top.nth(2).locator(".body")).to_have_text("This comment was deleted.", timeout=WAIT_MS)
    assert await top.nth(1).locator(".author").count() == 0
    await _no_sideways_scroll(reader, "comments on a phone")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await reader.locator("#post-live h2").scroll_into_view_if_needed()
    await reader.screenshot(path=str(SHOTS / "comments-phone.png"))
    # One's own comment: Delete asks first.
    await reader.fill(".comment-form textarea", "Mine, briefly.")
    await reader.click(".comment-form button[type=submit]")
    mine = reader.locator("#" + await top.filter(has_text="Mine, briefly.").get_attribute("id", timeout=WAIT_MS))
    reader.once("dialog", lambda dialog: dialog.accept())
    await mine.locator("button", has_text="Delete").click()
    await expect(mine.locator(".body")).to_have_text("This comment was deleted.", timeout=WAIT_MS)
    await expect(reader.locator(".live-status", has_text="Your comment was deleted.")).to_be_visible()
    # The blog's owner signs in on the post and hides a comment from the page.
    owner = await _signed_in_reader(browser, site, f"ada@{LOCAL_EMAIL_DOMAIN}", "/blog/frost-dates", **DESKTOP)
    third = owner.locator(f"#comment-{ids[3]}")
    owner.once("dialog", lambda dialog: dialog.accept())
    await third.locator("button", has_text="Hide").click(timeout=WAIT_MS)
    await expect(third.locator(".body")).to_have_text("This comment was hidden by the blog.", timeout=WAIT_MS)
    await expect(reader.locator(f"#comment-{ids[3]} .body")).to_have_text("This comment was hidden by the blog.", timeout=WAIT_MS)
    # A reader has no Hide.
    assert await reader.locator("ol.comments button", has_text="Hide").count() == 0


async def _set_hidden(page, hidden: bool) -> None:
    """The tab goes to the background (or comes back), as the browser reports it."""
    await page.evaluate(
        "hidden => { Object.defineProperty(document, 'hidden', {value: hidden, configurable: true});"
        " document.dispatchEvent(new Event('visibilitychange')); }",
        hidden,
    )


async def test_a_hidden_tab_lets_go_of_its_socket_and_catches_up_when_shown(site, browser, create_post, client, auth):
    await create_post("Cold Frames", "Vent them *daily*.")
    url = f"{site}/blog/cold-frames"
    expect = playwright_api.expect
    one = await (await browser.new_context()).new_page()
    two = await (await browser.new_context()).new_page()
    for page in (one, two):
        await page.goto(url)
    await expect(one.locator(".live-reading")).to_have_text("2 people reading now", timeout=WAIT_MS)
    await _set_hidden(two, True)
    await expect(one.locator(".live-reading")).to_have_text("Just you reading now", timeout=WAIT_MS)
    # While it is hidden a comment is written: nothing reaches the hidden tab...
    reply = await client.post("/api/posts/cold-frames/comments", json={"markdown": "Opened at *noon*."}, headers=auth("autumn", "reader", user="kite"))
    assert reply.status_code == 201, reply.text
    await expect(one.locator("ol.comments li .body")).to_have_text("Opened at noon.", timeout=WAIT_MS)
    assert await two.locator("ol.comments li").count() == 0
    # ...and shown again, it reconnects and reloads what it missed, once.
    await _set_hidden(two, False)
    await expect(two.locator(".live-reading")).to_have_text("2 people reading now", timeout=WAIT_MS)
    await expect(two.locator("ol.comments li .body")).to_have_text("Opened at noon.", timeout=WAIT_MS)
    await expect(one.locator(".live-reading")).to_have_text("2 people reading now", timeout=WAIT_MS)


async def test_a_dropped_socket_comes_back_and_catches_up(site, browser, create_post, client, auth):
    await create_post("Hot Beds", "Fresh *manure*.")
    expect = playwright_api.expect
    page = await (await browser.new_context()).new_page()
    sockets: list[object] = []
    written = asyncio.Event()

    async def through(ws):
        # Every socket passes to the server; the second (the reconnect) only once a comment
        # was written while the reader had none.
        sockets.append(ws)
        if len(sockets) > 1:
            await written.wait()
        ws.connect_to_server()

    await page.route_web_socket("**/live", through)
    await page.goto(f"{site}/blog/hot-beds")
    reading = page.locator(".live-reading")
    await expect(reading).to_have_text("Just you reading now", timeout=WAIT_MS)
    await sockets[0].close()
    await expect(reading).to_be_hidden(timeout=WAIT_MS)  # no stale count while down
    reply = await client.post(
        "/api/posts/hot-beds/comments", json={"markdown": "Steaming."}, headers=auth("autumn", "reader", user="wren")
    )
    assert reply.status_code == 201, reply.text
    written.set()
    await expect(reading).to_have_text("Just you reading now", timeout=WAIT_MS)
    await expect(page.locator("ol.comments li .body")).to_have_text("Steaming.", timeout=WAIT_MS)
    assert len(sockets) == 2  # one reconnect, not a storm
