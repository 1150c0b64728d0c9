"""Headless Chromium for the page tests: Debian's ``chromium`` (``make browser`` installs it;
CI runs ``make test``, which does), driven by Playwright with an explicit executable path:
Playwright never downloads a browser. ``site`` serves this test's own platform with uvicorn on
127.0.0.1 (HTTP and WebSockets, as ``grove dev`` does); Chromium maps ``*.localhost`` there.
Test modules import the fixtures (``from browser_support import browser, site``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from dev_server import free_port

from local_runtime.server import LocalServer

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
needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium: run `make browser`")


@pytest.fixture
async def site(platform) -> AsyncIterator[str]:
    """The app on a real loopback port; the tenant's base URL."""
    port = free_port()
    config = uvicorn.Config(
        LocalServer(platform.runtime), host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
        await asyncio.sleep(0.05)
    yield f"http://autumn.localhost:{port}"
    server.should_exit = True
    await serving


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()
