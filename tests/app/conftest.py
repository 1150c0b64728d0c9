"""Fixtures shared by the app tests: a stand-in for Cloudflare's purge API, the live
TenantDO behind a tenant (to look at its storage), and headless Chromium with the app on a
loopback port (``browser_support``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from browser_support import browser, site  # noqa: F401 (fixtures for the page tests in Chromium)
from purge_stand_in import PurgeApiStandIn

from grove.tenancy import tenant_stub


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
