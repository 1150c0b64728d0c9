"""Fixtures shared by the app tests: a stand-in for Cloudflare's purge API, the live TenantDO
behind a tenant (to look at its storage), the D1 statements a test's paths sent, sign-in through
the dev outbox, and the app on a loopback port with headless Chromium for the page tests
(``browser_kit``)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from browser_kit import CHROMIUM, CHROMIUM_ARGS
from purge_stand_in import EmailApiStandIn, PurgeApiStandIn
from sign_in_helpers import LINK, session_of

from grove.tenancy import tenant_stub
from local_runtime.bindings.d1 import D1Database


@pytest.fixture
def purge_api():
    """Cloudflare's purge API on 127.0.0.1; a module that wants the Worker to call it overrides
    ``platform_secrets`` with ``purge_api.secrets(platform_secrets)``."""
    stand_in = PurgeApiStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def d1_statements(monkeypatch) -> dict[str, tuple]:
    """SQL text -> the parameters it was last run with, for every D1 call from here on (their
    plans are checked with ``query_plans.unindexed``)."""
    seen: dict[str, tuple] = {}
    execute = D1Database._execute

    async def recording(self, queries):
        for query in queries:
            seen[query.sql] = tuple(query.params)
        return await execute(self, queries)

    monkeypatch.setattr(D1Database, "_execute", recording)
    return seen


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """Every D1 statement sent from here on, in order."""
    sent: list[str] = []
    execute = D1Database._execute

    async def recording(self, queries):
        sent.extend(query.sql for query in queries)
        return await execute(self, queries)

    monkeypatch.setattr(D1Database, "_execute", recording)
    return sent


@pytest.fixture
def email_api():
    """An email API on 127.0.0.1 in Resend's shape; a module overrides ``platform_secrets``
    with ``email_api.secrets(platform_secrets)`` to have the Worker send through it."""
    stand_in = EmailApiStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def outbox_link(client) -> Callable[..., Awaitable[str]]:
    """``await outbox_link("bea@example.com")``: the newest sign-in link mailed to that address,
    read from the dev outbox at ``/__outbox`` as a developer would."""

    async def latest(email: str) -> str:
        messages = (await client.get("/__outbox")).json()["messages"]
        mine = [m for m in messages if m["to_email"] == email.lower()]
        assert mine, f"no mail to {email} in the outbox"
        found = LINK.search(mine[0]["text_body"])
        assert found, mine[0]["text_body"]
        return found.group(0)

    return latest


@pytest.fixture
def sign_in(client, outbox_link) -> Callable[..., Awaitable[str]]:
    """``await sign_in("bea@example.com")``: the whole flow (ask for a link, open it from the
    outbox) on ``host``; returns the session cookie's value."""

    async def sign_in_(email: str, *, host: str = "autumn.localhost:8787", next_path: str = "/", ip: str = "198.51.100.7") -> str:
        asked = await client.post(
            f"http://{host}/api/auth/email-link", json={"email": email, "next": next_path}, headers={"cf-connecting-ip": ip}
        )
        assert asked.status_code == 202, asked.text
        opened = await client.get(await outbox_link(email))
        client.cookies.clear()  # tests send the cookie they mean to, by header
        assert opened.status_code == 303, opened.text
        return session_of(opened)

    return sign_in_


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
    """The app on a real loopback port (uvicorn, as `grove dev`); the tenant's base URL."""
    import uvicorn

    from local_runtime.server import LocalServer

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(LocalServer(platform.runtime), host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
        await asyncio.sleep(0.05)
    yield f"http://autumn.localhost:{port}"
    server.should_exit = True
    await serving


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    """Debian's Chromium, headless, driven by Playwright by path (never a download)."""
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


@pytest.fixture
def faults(platform):
    """The runtime's fault registry (``local_runtime.faults``), cleared after the test."""
    registry = platform.services.faults
    yield registry
    registry.clear()
