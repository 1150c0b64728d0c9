"""The author's workspace in headless Chromium: an existing post opens in the editor with its
fields filled; changing only its title and publishing keeps its description and tags; the
dashboard lists it; refused sessions and fields are said in words; every page fits a 390 px
phone without horizontal scrolling and lines up with the page header on a desktop.

Screenshots go to ``.artifacts/workspace/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import pytest
from browser_kit import ARTIFACTS, CHROMIUM, device, playwright_api

from grove.post_drafts import post_content_stub
from local_runtime.faults import FaultPoint

pytestmark = [
    pytest.mark.usefixtures("tenants"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: run `make browser`"),
]

WAIT_MS = 15_000
SHOTS = ARTIFACTS / "workspace"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
FIELDS = {"description": "What came up first, and when.", "tags": ["garden", "spring"]}


@pytest.fixture
async def post(create_post) -> dict:
    markdown = "# Beans\n\nThe *first* beans came up on the **third** day.\n\n- runner\n- broad\n"
    return await create_post("Spring Notes", markdown, slug="spring-notes", **FIELDS)


async def _state(page, state: str) -> None:
    await playwright_api.expect(page.locator("#status")).to_have_attribute("data-state", state, timeout=WAIT_MS)


async def test_an_existing_post_opens_filled_and_a_title_change_keeps_the_rest(site, browser, mint, post, client, auth):
    context = await device(browser, mint(role="author"))
    dashboard = await context.new_page()
    await dashboard.goto(f"{site}/admin")
    row = dashboard.locator("#posts li", has_text="Spring Notes")
    await playwright_api.expect(row).to_contain_text("published")
    await playwright_api.expect(row).to_contain_text("hot · D1")
    await row.locator("a.title").click()

    await dashboard.wait_for_url(f"{site}/admin/editor/spring-notes")
    editor = dashboard
    await _state(editor, "saved")
    assert await editor.input_value("#title") == "Spring Notes"
    assert await editor.input_value("#description") == FIELDS["description"]
    assert await editor.input_value("#tags") == "garden, spring"
    assert await editor.input_value("#slug") == "spring-notes"
    assert await editor.input_value("#content") == post["markdown"]
    assert "<em>first</em>" in await editor.inner_html("#preview")

    await editor.fill("#title", "Spring Notes, Revised")
    await _state(editor, "saved")
    await editor.click("#publish")
    await playwright_api.expect(editor.locator("#publish-result a")).to_have_text("Published: view the post", timeout=WAIT_MS)
    live = (await client.get("/api/posts/spring-notes", headers=auth())).json()
    assert live["title"] == "Spring Notes, Revised"
    assert live["description"] == FIELDS["description"] and live["tags"] == FIELDS["tags"]
    assert live["markdown"] == post["markdown"] and live["storage_location"] == "d1"


async def test_refused_sessions_and_fields_are_said_in_words(site, browser, mint, post, client):
    token = mint(role="author")
    context = await device(browser, token)
    editor = await context.new_page()
    await editor.goto(f"{site}/admin/editor/spring-notes")
    await _state(editor, "saved")

    await editor.fill("#slug", "Not A Slug")
    await _state(editor, "error")
    notice = editor.locator("#notice")
    await playwright_api.expect(notice).to_have_text(
        "The slug may use lower-case letters, digits and single dashes (at most 80)."
    )
    await editor.fill("#slug", "spring-notes")
    await _state(editor, "saved")
    await playwright_api.expect(notice).to_be_hidden()

    # The session ends (signed out elsewhere): the next save says so and links to sign-in.
    assert (await client.post("/api/auth/logout", headers={"authorization": f"Bearer {token}"})).status_code == 200
    await editor.fill("#content", "Typed after the session ended.")
    await _state(editor, "signin")
    await playwright_api.expect(notice).to_contain_text("You are signed out")
    assert await notice.locator("a").get_attribute("href") == "/auth/sign-in?next=/admin/editor/spring-notes"
    # Nothing typed is lost: the local copy holds it.
    stored = await editor.evaluate("localStorage.getItem('grove:draft:spring-notes')")
    assert "Typed after the session ended." in stored
    await editor.screenshot(path=str(SHOTS / "editor-signed-out-desktop.png"))

    anonymous = await (await browser.new_context()).new_page()
    reply = await anonymous.goto(f"{site}/admin")
    assert reply.status == 401
    await playwright_api.expect(anonymous.locator("main a")).to_have_attribute("href", "/auth/sign-in?next=/admin")


async def test_settings_save_and_list_members(site, browser, mint, client, auth):
    context = await device(browser, mint())
    page = await context.new_page()
    await page.goto(f"{site}/admin/settings")
    # The members come from GET /api/members: the signed-in owner is one of them.
    await playwright_api.expect(page.locator("#members")).to_have_attribute("data-state", "loaded", timeout=WAIT_MS)
    await playwright_api.expect(page.locator("#members li").first).to_contain_text("owner")
    await page.fill("#tagline", "Notes from the allotment")
    await page.fill("#accent-text", "#225577")
    await page.click("#settings button[type=submit]")
    await playwright_api.expect(page.locator("#settings-result")).to_have_text("Saved.", timeout=WAIT_MS)
    config = (await client.get("/admin/settings", headers=auth())).text
    assert 'value="Notes from the allotment"' in config and 'value="#225577"' in config
    await page.fill("#display-name", "")
    await page.click("#settings button[type=submit]")
    await playwright_api.expect(page.locator("#settings-result")).to_have_text("The blog name needs 1 to 100 characters.")


LAYOUT_PAGES = {
    "dashboard": "/admin",
    "editor": "/admin/editor/spring-notes",
    "settings": "/admin/settings",
    "analytics": "/admin/analytics",
}


@pytest.mark.parametrize("name", sorted(LAYOUT_PAGES))
async def test_each_page_fits_a_phone_and_lines_up_with_the_header(name, site, browser, mint, post, client, clock, platform):
    day_ms = 86_400_000
    for days_ago, views in ((0, 3), (1, 5), (3, 2), (6, 8)):
        path = "/blog/a-rather-long-path-that-might-not-fit-a-phone-screen-at-all" if days_ago == 6 else "/blog/spring-notes"
        events = [{"type": "page_view", "path": path, "ts_ms": clock.now_ms() - days_ago * day_ms}] * views
        assert (await client.post("/api/analytics", json=events)).status_code == 202
    await platform.runtime.advance(60_000)  # delivered to D1
    SHOTS.mkdir(parents=True, exist_ok=True)
    token = mint()
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = await device(browser, token, viewport=viewport)
        page = await context.new_page()
        await page.goto(f"{site}{LAYOUT_PAGES[name]}")
        if name == "editor":
            await _state(page, "saved")
        width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], (name, label, width)
        await page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        if label == "desktop":
            header = await page.locator("header.site .wrap").bounding_box()
            main = await page.locator("main").bounding_box()
            heading = await page.locator("main h1").first.bounding_box()
            brand = await page.locator("header.site .site-name").bounding_box()
            # The same column: main's edges are the header's, and the page's heading starts
            # where the blog's name does.
            assert abs(main["x"] - header["x"]) < 1 and abs(main["width"] - header["width"]) < 1, (name, main, header)
            assert abs(heading["x"] - brand["x"]) < 1, (name, heading, brand)
        await context.close()


async def test_a_save_refused_while_d1_is_down_waits_on_the_device_and_goes_through_after(site, browser, mint, post, platform):
    faults = platform.services.faults
    context = await device(browser, mint(role="author"))
    editor = await context.new_page()
    await editor.goto(f"{site}/admin/editor/spring-notes")
    await _state(editor, "saved")
    faults.arm(FaultPoint.D1_UNAVAILABLE)
    try:
        await editor.fill("#content", "Written while the database was away.")
        await _state(editor, "offline")
        await playwright_api.expect(editor.locator("#notice")).to_contain_text("nothing typed here is lost")
    finally:
        faults.disarm(FaultPoint.D1_UNAVAILABLE)
    await _state(editor, "saved")  # sent again after the server's Retry-After
    await playwright_api.expect(editor.locator("#notice")).to_be_hidden()
    env = platform.runtime.worker().env
    draft = (await post_content_stub(env, "autumn", post["id"]).get_draft("spring-notes"))["draft"]
    assert draft["content"] == "Written while the database was away." and draft["version"] == 2
