"""The editor page in headless Chromium: two browser contexts are two devices.

Debian's ``chromium`` (``make browser`` installs it; CI runs ``make test``, which does),
driven by Playwright with an explicit executable path: Playwright never downloads a browser.
The app is served by uvicorn on 127.0.0.1 from this test's own platform (simulated clock for
the server; the page's own timers run in real time), and Chromium maps ``*.localhost`` there.
A device is a browser context signed in by an ``Authorization`` header on every request (the
session cookie does the same job for people); the pages never ask for a token.
"""

from __future__ import annotations

import json

from browser_kit import NEEDS_CHROMIUM, device, playwright_api

from grove.tenancy import tenant_stub

SLUG = "spring-notes"
# The page saves 2 s after typing stops; leave room for a slow CI machine.
WAIT_MS = 15_000

pytestmark = NEEDS_CHROMIUM


async def _open_editor(context, site: str, slug: str = SLUG):
    page = await context.new_page()
    await page.goto(f"{site}/admin/editor/{slug}")
    await _state(page, "saved")
    return page


async def _state(page, state: str) -> None:
    await playwright_api.expect(page.locator("#status")).to_have_attribute("data-state", state, timeout=WAIT_MS)


async def _type(page, text: str) -> None:
    await page.fill("#content", text)  # fires "input": the local copy is written at once


async def _server_draft(platform) -> dict:
    reply = await tenant_stub(platform.runtime.worker().env, "autumn").get_draft(SLUG)
    return reply.get("draft") or {}


async def test_two_devices_get_a_conflict_dialog_and_keep_mine_saves_the_right_text(site, browser, platform, mint):
    token = mint(role="author")
    laptop = await _open_editor(await device(browser, token), site)
    await laptop.fill("#title", "Spring Notes")
    await _type(laptop, "# Spring\n\nFirst *light* in the garden.")
    await _state(laptop, "saved")
    assert "<em>light</em>" in await laptop.inner_html("#preview")
    assert (await _server_draft(platform))["version"] == 1

    phone = await _open_editor(await device(browser, token), site)
    assert await phone.input_value("#content") == "# Spring\n\nFirst *light* in the garden."
    assert await phone.input_value("#title") == "Spring Notes"

    await _type(laptop, "Laptop: the beans are in.")
    await _state(laptop, "saved")  # version 2
    await _type(phone, "Phone: the garlic is in.")  # still edited from version 1
    await _state(phone, "conflict")
    dialog = phone.locator("#conflict")
    await playwright_api.expect(dialog).to_be_visible()
    assert await phone.text_content("#mine") == "Phone: the garlic is in."
    assert await phone.text_content("#theirs") == "Laptop: the beans are in."
    assert (await _server_draft(platform))["content"] == "Laptop: the beans are in."  # not overwritten

    await phone.click("#keep-mine")
    await _state(phone, "saved")
    await playwright_api.expect(dialog).to_be_hidden()
    draft = await _server_draft(platform)
    assert draft["content"] == "Phone: the garlic is in." and draft["version"] == 3
    assert draft["metadata"]["title"] == "Spring Notes"

    # The laptop is behind now: its next save shows the conflict, and "take theirs" adopts it.
    await _type(laptop, "Laptop: and the onions.")
    await _state(laptop, "conflict")
    await laptop.click("#take-theirs")
    await _state(laptop, "saved")
    assert await laptop.input_value("#content") == "Phone: the garlic is in."
    assert (await _server_draft(platform))["version"] == 3


async def test_a_reload_after_going_offline_restores_the_local_copy(site, browser, platform, mint):
    context = await device(browser, mint(role="author"))
    page = await _open_editor(context, site)
    await _type(page, "Typed while online.")
    await _state(page, "saved")

    await context.set_offline(True)
    await _type(page, "Typed while offline: nothing may be lost.")
    await _state(page, "offline")
    await page.close()  # the save on page hide cannot get through either
    assert (await _server_draft(platform))["content"] == "Typed while online."

    await context.set_offline(False)
    reloaded = await _open_editor(context, site)
    assert await reloaded.input_value("#content") == "Typed while offline: nothing may be lost."
    # The server still held the version the local copy was edited from, so the page sent it
    # ("saved" is shown only once the server confirmed).
    draft = await _server_draft(platform)
    assert draft["content"] == "Typed while offline: nothing may be lost." and draft["version"] == 2


async def test_a_lost_reply_of_this_devices_own_save_is_not_a_conflict(site, browser, platform, mint):
    token = mint(role="author")
    context = await device(browser, token)
    page = await _open_editor(context, site)
    await _type(page, "one")
    await _state(page, "saved")  # version 1
    device_id = await page.evaluate("localStorage.getItem('grove:device')")

    await context.set_offline(True)
    await _type(page, "one two three")
    await _state(page, "offline")
    await page.close()
    # Meanwhile the server got a save from this device (base 1) whose reply never came back.
    body = json.dumps({"content": "one two", "device_id": device_id, "base_version": 1})
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    reply = await platform.runtime.fetch(f"http://autumn.localhost/api/drafts/{SLUG}", method="PUT", headers=headers, body=body)
    assert reply.status == 200

    await context.set_offline(False)
    reloaded = await _open_editor(context, site)
    # Same device, one version on: the local text (which contains it) goes on top, no dialog.
    await playwright_api.expect(reloaded.locator("#conflict")).to_be_hidden()
    assert await reloaded.input_value("#content") == "one two three"
    draft = await _server_draft(platform)
    assert draft["content"] == "one two three" and draft["version"] == 3


async def test_the_pages_get_their_stylesheets_and_script_under_the_csp(site, browser, create_post, mint):
    """Styles from the hashed stylesheet URLs apply (the tenant's accent too), and the editor's
    script runs under its Content-Security-Policy without a single refusal."""
    await create_post("First Light", markdown="Some `code` and a [link](https://example.com).")
    context = await device(browser, mint(role="author"))
    refused: list[str] = []  # CSP refusals reported on the console
    static_replies: list[tuple[str, int]] = []

    def watch(page) -> None:
        page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("response", lambda r: static_replies.append((r.url, r.status)) if "/static/" in r.url else None)

    post = await context.new_page()
    watch(post)
    await post.goto(f"{site}/blog/first-light")
    computed = "(s) => getComputedStyle(document.querySelector(s))"
    assert await post.evaluate(f"({computed})('header.site').borderBottomStyle") == "solid"  # reader.css
    assert await post.evaluate(f"({computed})('.content a').color") == "rgb(181, 84, 44)"  # autumn's #b5542c
    editor = await context.new_page()
    watch(editor)
    await editor.goto(f"{site}/admin/editor/{SLUG}")
    await _state(editor, "saved")  # the script ran
    assert await editor.evaluate(f"({computed})('.panes').display") == "grid"  # editor.css
    assert await editor.evaluate(f"({computed})('#status').borderTopColor") == "rgb(231, 225, 214)"  # var(--rule)
    assert refused == []
    assert {status for _, status in static_replies} == {200}
    assert {url.rsplit("/", 1)[1].split(".")[0] for url, _ in static_replies} == {"reader", "workspace", "editor", "session", "post_live"}
