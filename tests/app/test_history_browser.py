"""The editor's History panel in headless Chromium, on a desktop and on a 390 px phone, signed in
with the session cookie (so every write also passes the CSRF rule): a post is made, edited
twice through the editor, its history lists three versions with time, author and size; version
1 shows a line diff against the current text (set as text: a line that looks like markup stays
text); "Restore this version" asks first, then the editor shows the restored text and so does
the public page. Screenshots go to ``.artifacts/history/``.
"""

from __future__ import annotations

import pytest
from browser_kit import ARTIFACTS, NEEDS_CHROMIUM, finish_sign_in, playwright_api

pytestmark = NEEDS_CHROMIUM

WAIT_MS = 15_000
SHOTS = ARTIFACTS / "history"
EMAIL = "ada.history@example.com"
SLUG = "bean-rows"
FIRST = "# Bean rows\n\nSow the beans in **two** rows.\n\n<b>not markup</b>\n"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


async def _state(page, state: str) -> None:
    await playwright_api.expect(page.locator("#status")).to_have_attribute("data-state", state, timeout=WAIT_MS)


async def _signed_in(browser, site: str, options: dict):
    context = await browser.new_context(**options)
    page = await context.new_page()
    await page.goto(f"{site}/auth/sign-in?next=/admin")
    await finish_sign_in(page, site, EMAIL, "/admin")
    return context, page


async def _edit_and_publish(page, text: str) -> None:
    await page.fill("#content", text)
    await _state(page, "saved")
    await page.click("#publish")
    await playwright_api.expect(page.locator("#publish-result a").first).to_have_text("Published: view the post", timeout=WAIT_MS)
    await _state(page, "saved")


@pytest.mark.parametrize("form", ["desktop", "phone"])
async def test_history_diff_and_restore(site, browser, client, auth, form):
    SHOTS.mkdir(parents=True, exist_ok=True)
    auth(user=EMAIL)  # the account owns autumn
    context, page = await _signed_in(browser, site, VIEWPORTS[form])
    tokens: list[str] = []
    context.on("request", lambda r: r.headers.get("authorization") and tokens.append(r.url))

    # A new post from the editor (version 1), then two edits, each published (versions 2, 3).
    await page.goto(f"{site}/admin/editor/{SLUG}")
    await _state(page, "saved")
    await page.fill("#title", "Bean Rows")
    await _edit_and_publish(page, FIRST)
    second = FIRST.replace("**two**", "**three**")
    await _edit_and_publish(page, second)
    third = second + "\nWater them on Sundays.\n"
    await _edit_and_publish(page, third)

    # Open the history with the keyboard: three versions, newest first, current marked.
    await page.focus("#history summary")
    await page.keyboard.press("Enter")
    await playwright_api.expect(page.locator("#history")).to_have_attribute("data-state", "loaded", timeout=WAIT_MS)
    items = page.locator("#versions button.version")
    await playwright_api.expect(items).to_have_count(3)
    await playwright_api.expect(page.locator("#older-versions")).to_be_hidden()  # all on one page
    newest = items.nth(0)
    await playwright_api.expect(newest).to_contain_text("Version 3")
    await playwright_api.expect(newest).to_contain_text("current")
    await playwright_api.expect(newest).to_contain_text(EMAIL.split("@")[0])  # the author's display name
    await playwright_api.expect(newest).to_contain_text(f"{len(third.encode())} B")
    await playwright_api.expect(newest).to_contain_text(" UTC")

    # Version 1 against the current text: a readable line diff, set as text.
    oldest = items.nth(2)
    await oldest.focus()
    await page.keyboard.press("Enter")
    await playwright_api.expect(page.locator("#version-title")).to_contain_text("Version 1 compared with the current text (version 3)", timeout=WAIT_MS)
    await playwright_api.expect(oldest).to_have_attribute("aria-pressed", "true")
    removed = page.locator('.diff-line[data-op="removed"] .text')
    added = page.locator('.diff-line[data-op="added"] .text')
    await playwright_api.expect(removed).to_have_text(["Sow the beans in **two** rows."])
    await playwright_api.expect(added).to_have_text(["Sow the beans in **three** rows.", "", "Water them on Sundays."])
    assert await page.locator("#diff b").count() == 0  # "<b>not markup</b>" stayed text
    await playwright_api.expect(page.locator("#diff")).to_contain_text("<b>not markup</b>")
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    await page.locator("#history").scroll_into_view_if_needed()
    await page.screenshot(path=str(SHOTS / f"diff-{form}.png"), full_page=True)

    # Restore version 1: asked first (declining changes nothing), then done.
    page.once("dialog", lambda dialog: dialog.dismiss())
    await page.click("#restore")
    assert (await client.get(f"/api/posts/{SLUG}", headers=auth(user=EMAIL))).json()["markdown"] == third
    asked: list[str] = []

    async def accept(dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    page.once("dialog", accept)
    await page.focus("#restore")
    await page.keyboard.press("Enter")
    await playwright_api.expect(page.locator("#history-note")).to_have_text("Version 1 restored as version 4.", timeout=WAIT_MS)
    assert asked and asked[0].startswith("Restore version 1?")
    await _state(page, "saved")
    assert await page.input_value("#content") == FIRST
    await playwright_api.expect(items).to_have_count(4)
    await playwright_api.expect(items.nth(0)).to_contain_text("Version 4")
    await playwright_api.expect(items.nth(0)).to_contain_text("current")
    await page.screenshot(path=str(SHOTS / f"restored-{form}.png"), full_page=True)

    # The public page shows the restored text.
    public = await context.new_page()
    await public.goto(f"{site}/blog/{SLUG}")
    await playwright_api.expect(public.locator("article")).to_contain_text("Sow the beans in two rows.")
    await playwright_api.expect(public.locator("article")).not_to_contain_text("Sundays")
    assert (await client.get(f"/api/posts/{SLUG}", headers=auth(user=EMAIL))).json()["markdown"] == FIRST

    # A reload opens the draft made from the restored post: nothing stale on the device.
    await page.reload()
    await _state(page, "saved")
    assert await page.input_value("#content") == FIRST
    assert tokens == []  # the cookie session did everything
    await context.close()


async def test_a_restore_keeps_another_devices_newer_draft(site, browser, client, auth):
    """The restore removes only the draft version this device held: text saved meanwhile on
    another device stays, is shown, and the author is told; the post has the restored text."""
    auth(user=EMAIL)
    laptop_context, laptop = await _signed_in(browser, site, VIEWPORTS["desktop"])
    await laptop.goto(f"{site}/admin/editor/{SLUG}")
    await _state(laptop, "saved")
    await laptop.fill("#title", "Bean Rows")
    await _edit_and_publish(laptop, FIRST)
    await _edit_and_publish(laptop, FIRST + "\nSecond thoughts.\n")

    phone_context, phone = await _signed_in(browser, site, VIEWPORTS["phone"])
    await phone.goto(f"{site}/admin/editor/{SLUG}")
    await _state(phone, "saved")
    await phone.fill("#content", "Typed on the phone, not published.")
    await _state(phone, "saved")  # a newer draft version than the laptop holds

    await laptop.click("#history summary")
    await laptop.locator("#versions button.version", has_text="Version 1").click()
    await playwright_api.expect(laptop.locator("#restore")).to_be_visible(timeout=WAIT_MS)
    laptop.once("dialog", lambda dialog: dialog.accept())
    await laptop.click("#restore")
    await playwright_api.expect(laptop.locator("#history-note")).to_contain_text("Another device saved this draft meanwhile", timeout=WAIT_MS)
    assert await laptop.input_value("#content") == "Typed on the phone, not published."
    post = (await client.get(f"/api/posts/{SLUG}", headers=auth(user=EMAIL))).json()
    assert post["markdown"] == FIRST and post["content_version"] == 3
    await laptop_context.close()
    await phone_context.close()
