"""Headless Chromium for the browser tests (the ``site`` and ``browser`` fixtures are in
conftest.py): the app on a real loopback port.

Debian's ``chromium`` (``make browser`` installs it; CI runs ``make test``, which does),
driven by Playwright with an explicit executable path: Playwright never downloads a browser.
The app is served by uvicorn on 127.0.0.1 from the test's own platform (simulated clock for
the server; the page's own timers run in real time), and Chromium maps ``*.localhost`` there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

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
