"""Headless Chromium for the page tests: Debian's ``chromium`` (``make browser`` installs it;
CI runs ``make test``, which does), driven by Playwright with an explicit executable path, so
Playwright never downloads a browser. ``site`` serves this test's platform on a loopback port
(uvicorn, as ``grove dev`` does) and Chromium maps ``*.localhost`` there. A test module
uses the ``site`` and ``browser`` fixtures (``tests/app/conftest.py``) and these helpers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

playwright_api = pytest.importorskip("playwright.async_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP *.localhost 127.0.0.1",
]
NEEDS_CHROMIUM = [
    pytest.mark.usefixtures("tenants"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: run `make browser`"),
]
# Where screenshots go (git-ignored); look at them before calling a page done.
ARTIFACTS = Path(__file__).resolve().parents[2] / ".artifacts"


async def device(browser, token: str, **options):
    """A browser context (one device) whose every request carries ``token`` (as a session
    cookie will for people)."""
    return await browser.new_context(extra_http_headers={"Authorization": f"Bearer {token}"}, **options)


LINK = re.compile(r"https?://\S+/auth/callback\?token=[A-Za-z0-9_-]+")


async def outbox_messages(site: str) -> list[dict]:
    """The dev outbox (``GET /__outbox``), newest first, as a developer reads it."""
    # Only Chromium maps *.localhost to the loopback; the runtime's endpoint answers any host.
    port = site.rsplit(":", 1)[1]
    async with httpx.AsyncClient() as client:
        return (await client.get(f"http://127.0.0.1:{port}/__outbox")).json()["messages"]


async def outbox_link(site: str, email: str) -> str:
    """The newest sign-in link mailed to ``email``."""
    messages = await outbox_messages(site)
    return LINK.search(next(m for m in messages if m["to_email"] == email)["text_body"]).group(0)
