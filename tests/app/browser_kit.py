"""Headless Chromium for the page tests: Debian's ``chromium`` (``make browser`` installs it;
CI runs ``make test``, which does), driven by Playwright with an explicit executable path, so
Playwright never downloads a browser. ``site`` serves this test's platform on a loopback port
(uvicorn, as ``grove dev`` does) and Chromium maps ``*.localhost`` there. A test module
uses the ``site`` and ``browser`` fixtures (``tests/app/conftest.py``) and these helpers."""

from __future__ import annotations

from pathlib import Path

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
