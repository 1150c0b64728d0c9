"""GET /admin/editor/{slug}: the editor page itself (its behaviour in a browser is
test_editor_browser.py)."""

from __future__ import annotations

import re

import pytest
from client_kinds import BROWSER

from grove.pages.assets import ASSETS

pytestmark = pytest.mark.usefixtures("tenants")


async def test_the_page_is_private_and_runs_only_its_own_scripts(client, auth):
    reply = await client.get("/admin/editor/spring-notes", headers=auth(role="author"))
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    assert reply.headers["cache-control"] == "private, no-store"
    nonce = re.search(r"script-src 'nonce-([^']+)'", reply.headers["content-security-policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", reply.text)
    # The scripts are files at their content-hashed URLs, admitted by the nonce; no inline code.
    assert scripts == [
        f' src="{ASSETS.url("session.js")}" defer nonce="{nonce}"',
        ' type="application/json" id="editor-config"',
        f' src="{ASSETS.url("workspace.js")}" nonce="{nonce}"',
        f' src="{ASSETS.url("editor.js")}" nonce="{nonce}"',
    ]
    policy = reply.headers["content-security-policy"]
    assert f"style-src 'self' 'nonce-{nonce}'" in policy and "unsafe-inline" not in policy
    assert re.findall(r"<style([^>]*)>", reply.text) == [f' nonce="{nonce}"']  # the accent colour only
    stylesheets = re.findall(r'<link rel="stylesheet" href="([^"]+)">', reply.text)
    assert stylesheets == [ASSETS.url("reader.css"), ASSETS.url("workspace.css"), ASSETS.url("editor.css")]
    assert '"slug": "spring-notes"' in reply.text and "Autumn&#x27;s Grove" in reply.text
    # No token is ever asked for: the page calls the API with the browser's own credentials.
    assert "token" not in reply.text.lower()
    other = await client.get("/admin/editor/spring-notes", headers=auth(role="author"))
    assert other.headers["content-security-policy"] != reply.headers["content-security-policy"]


async def test_the_page_holds_no_draft_data(client, auth):
    body = {"content": "secret draft text", "device_id": "d"}
    assert (await client.put("/api/drafts/spring-notes", json=body, headers=auth())).status_code == 201
    assert "secret draft text" not in (await client.get("/admin/editor/spring-notes", headers=auth())).text


async def test_unknown_tenant_and_invalid_slug_are_404_pages(client, auth):
    missing = await client.get("http://nobody.localhost:8787/admin/editor/x", headers={**BROWSER, **auth("nobody")})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    bad = await client.get("/admin/editor/Not%20A%20Slug", headers=BROWSER)
    assert bad.status_code == 404 and "lower-case" in bad.text
    # Other clients get the one error shape.
    api = await client.get("/admin/editor/Not%20A%20Slug")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
