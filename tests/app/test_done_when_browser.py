"""Issue 9's "done when", in headless Chromium, as a person does it: open a blog's ``/admin``
signed out, sign in through the emailed link (read from the dev outbox), edit a published post
on two devices (the second one a phone) under the draft conflict rule of ``grove.drafts``,
publish a title-only change that keeps the description and tags, then move to another blog
and to Meadow without another email. No token anywhere: every request rides on the session
cookie. Then the workspace's own management: the writer's name, API tokens, members.

Screenshots (desktop and phone, dashboard and editor) go to ``.artifacts/done-when/``.
"""

from __future__ import annotations

import pytest
from browser_kit import ARTIFACTS, NEEDS_CHROMIUM, outbox_link, outbox_messages, playwright_api

pytestmark = NEEDS_CHROMIUM

WAIT_MS = 15_000
SHOTS = ARTIFACTS / "done-when"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
EMAIL = "ada.hart@example.com"
FIELDS = {"description": "What came up first, and when.", "tags": ["garden", "spring"]}
MARKDOWN = "The *first* beans came up on the **third** day.\n"


@pytest.fixture
async def seeded(client, auth) -> dict:
    """Ada's account owns autumn and writes for willow; a published post of hers on autumn."""
    ada = auth(user=EMAIL)
    auth("willow", "author", user=EMAIL)
    reply = await client.post(
        "/api/posts", json={"title": "Spring Notes", "slug": "spring-notes", "markdown": MARKDOWN, "status": "published", **FIELDS},
        headers=ada,
    )
    assert reply.status_code == 201, reply.text
    return reply.json()


def _watch_for_tokens(context, seen: list[str]) -> None:
    context.on("request", lambda request: request.headers.get("authorization") and seen.append(request.url))


async def _sign_in_from_admin(site: str, context, label: str):
    """Signed out at /admin -> the sign-in page -> the email -> the outbox link -> /admin."""
    page = await context.new_page()
    refused = await page.goto(f"{site}/admin")
    assert refused.status == 401
    await page.click("main a.button")  # "Sign in"
    await page.wait_for_url(f"{site}/auth/sign-in?next=/admin")
    await page.fill("#email", EMAIL)
    await page.click("form.sign-in button")
    await playwright_api.expect(page.locator("h1")).to_have_text("Check your email")
    await page.goto(await outbox_link(site, EMAIL))
    await page.wait_for_url(f"{site}/admin")
    cookies = {c["name"]: c for c in await context.cookies()}
    assert cookies["grove_session"]["httpOnly"], label
    assert await page.evaluate("localStorage.getItem('grove:token')") is None
    return page


async def _state(page, state: str) -> None:
    await playwright_api.expect(page.locator("#status")).to_have_attribute("data-state", state, timeout=WAIT_MS)


async def _no_horizontal_scroll(page, what: str) -> None:
    width = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], (what, width)


async def test_sign_in_edit_on_two_devices_publish_and_move_between_blogs(site, browser, seeded, client, auth):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tokens_sent: list[str] = []
    laptop = await browser.new_context(viewport=DESKTOP)
    phone = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    for context in (laptop, phone):
        _watch_for_tokens(context, tokens_sent)

    # Device 1 signs in and opens the published post from the dashboard, every field filled.
    dashboard = await _sign_in_from_admin(site, laptop, "laptop")
    row = dashboard.locator("#posts li", has_text="Spring Notes")
    await playwright_api.expect(row).to_contain_text("published")
    await dashboard.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)
    await row.locator("a.title").click()
    await dashboard.wait_for_url(f"{site}/admin/editor/spring-notes")
    one = dashboard
    await _state(one, "saved")
    assert await one.input_value("#title") == "Spring Notes"
    assert await one.input_value("#description") == FIELDS["description"]
    assert await one.input_value("#tags") == "garden, spring"
    assert await one.input_value("#content") == MARKDOWN

    # Device 2 (a phone) signs in the same way and opens the same post.
    phone_dashboard = await _sign_in_from_admin(site, phone, "phone")
    await playwright_api.expect(phone_dashboard.locator("#posts li", has_text="Spring Notes")).to_be_visible()
    await _no_horizontal_scroll(phone_dashboard, "dashboard on a phone")
    await phone_dashboard.screenshot(path=str(SHOTS / "dashboard-phone.png"), full_page=True)
    two = await phone.new_page()
    await two.goto(f"{site}/admin/editor/spring-notes")
    await _state(two, "saved")
    assert await two.input_value("#title") == "Spring Notes"

    # Device 1 changes the title (version 2). Device 2, still on version 1, edits the text:
    # its save is refused, nothing is overwritten, and the phone shows both versions.
    await one.fill("#title", "Spring Notes, Revised")
    await _state(one, "saved")
    await two.fill("#content", MARKDOWN + "\nWritten on the phone.\n")
    await _state(two, "conflict")
    await playwright_api.expect(two.locator("#conflict")).to_be_visible()
    await playwright_api.expect(two.locator("#theirs")).to_have_text(MARKDOWN)
    draft = (await client.get("/api/drafts/spring-notes", headers=auth(user=EMAIL))).json()
    assert draft["version"] == 2 and draft["metadata"]["title"] == "Spring Notes, Revised"
    assert "Written on the phone." not in draft["content"]
    await _no_horizontal_scroll(two, "editor on a phone (conflict)")
    await two.screenshot(path=str(SHOTS / "editor-conflict-phone.png"), full_page=True)
    await two.click("#take-theirs")  # the author decides: the laptop's version
    await _state(two, "saved")
    assert await two.input_value("#title") == "Spring Notes, Revised"
    await _no_horizontal_scroll(two, "editor on a phone")
    await two.screenshot(path=str(SHOTS / "editor-phone.png"), full_page=True)

    # Publish from the laptop: only the title changed, so description and tags survive.
    await one.screenshot(path=str(SHOTS / "editor-desktop.png"), full_page=True)
    await one.click("#publish")
    await playwright_api.expect(one.locator("#publish-result a").first).to_have_text("Published: view the post", timeout=WAIT_MS)
    live = (await client.get("/api/posts/spring-notes")).json()
    assert live["title"] == "Spring Notes, Revised"
    assert live["description"] == FIELDS["description"] and live["tags"] == FIELDS["tags"]
    assert live["html"] == seeded["html"] and live["author_name"] == "ada.hart"

    # To another blog Ada writes for, and to Meadow, without another email.
    mail_before = len(await outbox_messages(site))
    account = await laptop.new_page()
    await account.goto(f"{site}/admin/account")
    await account.click("#blog-list a[href*='to=willow.']")
    willow = site.replace("autumn.", "willow.")
    await account.wait_for_url(f"{willow}/admin")
    await playwright_api.expect(account.locator("h1")).to_have_text("Posts")
    me = await account.evaluate("fetch('/api/me').then(r => r.json())")
    assert me["user"]["email"] == EMAIL and me["role_here"] == "author"
    await account.goto(f"{willow}/admin/account")
    await account.click("#blog-list a[href*='to=meadow.']")
    meadow = site.replace("autumn.", "meadow.")
    await account.wait_for_url(f"{meadow}/")
    me = await account.evaluate("fetch('/api/me').then(r => r.json())")
    assert me["user"]["email"] == EMAIL and me["role_here"] is None
    assert len(await outbox_messages(site)) == mail_before
    hosts = {c["domain"] for c in await laptop.cookies() if c["name"] == "grove_session"}
    assert hosts == {"autumn.localhost", "willow.localhost", "meadow.localhost"}  # host-only, one each
    assert tokens_sent == []  # no request of either device carried a token
    await laptop.close()
    await phone.close()


async def test_name_tokens_and_members_are_managed_in_the_workspace(site, browser, seeded, client, auth):
    context = await browser.new_context(viewport=PHONE)
    await _sign_in_from_admin(site, context, "phone")
    page = await context.new_page()

    # The writer's name: saved here, shown in the byline at once.
    await page.goto(f"{site}/admin/account")
    await page.fill("#user-display-name", "Ada Hart")
    await page.click("#profile button[type=submit]")
    await playwright_api.expect(page.locator("#profile-result")).to_have_text("Saved.", timeout=WAIT_MS)
    assert '<span class="author">Ada Hart</span>' in (await client.get("/blog/spring-notes")).text

    # A personal API token: shown once, works, listed, revoked.
    await page.fill("#token-label", "backup script")
    await page.click("#new-token button[type=submit]")
    token = await page.locator("#token-value").text_content(timeout=WAIT_MS)
    bearer = {"authorization": f"Bearer {token}"}
    assert (await client.get("/api/me", headers=bearer)).json()["user"]["email"] == EMAIL
    item = page.locator("#tokens li", has_text="backup script")
    await playwright_api.expect(item).to_contain_text("author")  # the least role is the default
    await _no_horizontal_scroll(page, "account on a phone")
    await page.screenshot(path=str(SHOTS / "account-phone.png"), full_page=True)
    await item.locator("button", has_text="Revoke").click()
    await playwright_api.expect(page.locator("#tokens li", has_text="backup script")).to_contain_text("revoked", timeout=WAIT_MS)
    assert (await client.get("/api/me", headers=bearer)).status_code == 401

    # Members: invite Bea by email, she signs in and is one; remove her.
    await page.goto(f"{site}/admin/settings")
    await playwright_api.expect(page.locator("#members")).to_have_attribute("data-state", "loaded", timeout=WAIT_MS)
    await page.fill("#invite-email", "bea@example.com")
    await page.click("#invite button[type=submit]")
    await playwright_api.expect(page.locator("#members-result")).to_have_text("Invitation sent to bea@example.com.", timeout=WAIT_MS)
    bea = await browser.new_context()
    bea_page = await bea.new_page()
    await bea_page.goto(await outbox_link(site, "bea@example.com"))
    await bea_page.wait_for_url(f"{site}/admin")
    await page.reload()
    bea_row = page.locator("#members li", has_text="bea@example.com")
    await playwright_api.expect(bea_row).to_contain_text("author", timeout=WAIT_MS)
    await _no_horizontal_scroll(page, "settings on a phone")
    await page.screenshot(path=str(SHOTS / "settings-phone.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    await bea_row.locator("button", has_text="Remove").click()
    await playwright_api.expect(page.locator("#members-result")).to_contain_text("Removed", timeout=WAIT_MS)
    await playwright_api.expect(page.locator("#members li", has_text="bea@example.com")).to_have_count(0)
    assert (await bea_page.goto(f"{site}/admin")).status == 403  # on her next request
    # The last owner stays, said in words.
    page.once("dialog", lambda dialog: dialog.accept())
    await page.locator("#members li", has_text=EMAIL).locator("button", has_text="Remove").click()
    await playwright_api.expect(page.locator("#members-result")).to_have_text("The blog's last owner cannot be removed.", timeout=WAIT_MS)
    await context.close()
    await bea.close()
