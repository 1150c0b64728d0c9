"""Fixtures shared by the app tests: a stand-in for Cloudflare's purge API, and the live
TenantDO behind a tenant (to look at its storage), and the app on a loopback port with headless
Chromium for the page tests (``browser_kit``)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import uvicorn
from purge_stand_in import PurgeApiStandIn

from grove.tenancy import tenant_stub
from local_runtime.server import LocalServer


@pytest.fixture
def purge_api():
    """Cloudflare's purge API on 127.0.0.1; a module that wants the Worker to call it overrides
    ``platform_secrets`` with ``purge_api.secrets(platform_secrets)``."""
    stand_in = PurgeApiStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def tenant_object(platform) -> Callable[..., Awaitable[Any]]:
    """``await tenant_object("autumn")``: the live TenantDO (constructed if needed, as its
    next event would), to look at its storage."""

    async def get(subdomain: str = "autumn") -> Any:
        stub = tenant_stub(platform.runtime.worker().env, subdomain)
        namespace = platform.runtime.namespaces[("grove-edge", "TenantDO")]
        return await namespace.instance_for_test(stub)

    return get


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def site(platform) -> AsyncIterator[str]:
    """The app on a real loopback port; the tenant's base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(LocalServer(platform.runtime), host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
        await asyncio.sleep(0.05)
    yield f"http://autumn.localhost:{port}"
    server.should_exit = True
    await serving


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    from browser_kit import CHROMIUM, CHROMIUM_ARGS, playwright_api

    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()
