"""Signing in in headless Chromium (``browser_kit``): the form, the link from the dev outbox,
the HttpOnly session cookie, "Signed in as …" with an "Edit" link on a public post page for
the blog's owner, sign-out, and the sign-in page at phone width without horizontal scroll."""

from __future__ import annotations

import pytest
from browser_kit import NEEDS_CHROMIUM, outbox_link

playwright_api = pytest.importorskip("playwright.async_api")

pytestmark = NEEDS_CHROMIUM
PHONE = {"width": 390, "height": 844}


async def test_sign_in_through_the_outbox_link(site, browser, create_post, client, auth, tmp_path):
    await create_post("Open House", "Come *in*.")
    # Ada owns autumn (the invite makes the membership on her first sign-in).
    assert (await client.post("/api/members/invites", json={"email": "ada.browser@example.com", "role": "owner"}, headers=auth())).status_code == 202
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{site}/auth/sign-in?next=/blog/open-house")
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width  # no horizontal scroll at 390 px
    await page.screenshot(path=str(tmp_path / "sign-in-phone.png"), full_page=True)
    await page.fill("#email", "ada.browser@example.com")
    await page.click("form.sign-in button")
    await playwright_api.expect(page.locator("h1")).to_have_text("Check your email")

    await page.goto(await outbox_link(site, "ada.browser@example.com"))
    assert page.url.endswith("/blog/open-house")
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["grove_session"]["httpOnly"] is True and cookies["grove_session"]["sameSite"] == "Lax"
    assert await page.evaluate("document.cookie.includes('grove_session')") is False  # invisible to scripts
    whoami = page.locator("#whoami")
    await playwright_api.expect(whoami).to_contain_text("Signed in as ada.browser")
    await playwright_api.expect(whoami.locator("a", has_text="Edit")).to_have_attribute("href", "/admin/editor/open-house")
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width

    await page.goto(f"{site}/auth/sign-in")
    await playwright_api.expect(page.locator("main")).to_contain_text("ada.browser@example.com")
    await page.click("text=Sign out")
    await playwright_api.expect(page.locator("h1")).to_have_text("Sign in")
    names = {c["name"] for c in await context.cookies()}
    assert "grove_session" not in names
    await page.goto(f"{site}/blog/open-house")
    await playwright_api.expect(page.locator("#whoami")).to_be_empty()
    await context.close()
