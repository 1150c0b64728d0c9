"""Shared fixtures: the repository's Workers on the local runtime, with a simulated clock.

Everything runs for real: SQLite files under pytest's tmp_path, the app imported as workerd
imports it, requests through the same ASGI server `grove dev` uses.

Blog fixtures: ``tenants`` creates two tenants (autumn, willow) the way `grove tenant create`
does; ``mint`` signs tokens with the test secret on the simulated clock; ``read`` is a GET
that also waits for the work the Worker left in ``waitUntil`` (cache fills), so that the next
request sees what a later request in production would; ``d1_queries`` reads the counter.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

# The entry point of every test: the local `workers` SDK and the app's module root (src/) go on
# sys.path before any test module imports them.
install_paths(REPO_ROOT)

from grove.auth import mint_token  # noqa: E402
from grove_dev.accounts import ensure_account_sync  # noqa: E402
from grove_dev.platform import Platform, start_platform  # noqa: E402
from grove_dev.seed import create_tenant  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402
from local_runtime.server import LocalServer  # noqa: E402

TEST_SECRETS = {"JWT_SECRET": "test-secret-not-for-production"}
BASE_URL = "http://autumn.localhost:8787"


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock()


@pytest.fixture
def platform_secrets() -> dict[str, str]:
    """Secrets the Workers get; a test module overrides this fixture to add its own."""
    return dict(TEST_SECRETS)


@pytest.fixture
def platform(tmp_path, clock, platform_secrets) -> Platform:
    p = start_platform(tmp_path / "state", clock=clock, secrets=platform_secrets)
    yield p
    p.runtime.close()


@pytest.fixture
async def client(platform) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=LocalServer(platform.runtime))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


@pytest.fixture
async def tenants(platform) -> list[str]:
    await create_tenant(platform.runtime, "autumn", "Autumn's Grove", tier="oak", theme={"accent": "#b5542c"})
    await create_tenant(platform.runtime, "willow", "Willow Notes", tier="sapling", theme={"accent": "#3f6e4f"})
    return ["autumn", "willow"]


@pytest.fixture
def mint(clock, platform) -> Callable[..., str]:
    """A token as `grove token` makes one: the account (and, for owner/author, the membership
    of an existing blog) is created first, since roles come from memberships."""

    def mint_(tenant: str = "autumn", role: str = "owner", *, ttl_s: int = 3600, user: str = "ada") -> str:
        user_id = ensure_account_sync(platform.runtime.d1(), user, tenant=tenant, role=role, now_ms=clock.now_ms())
        return mint_token(
            TEST_SECRETS["JWT_SECRET"], sub=user_id, tenant=tenant, role=role, ttl_s=ttl_s,
            now_ms=clock.now_ms(), jti=uuid.uuid4().hex,
        )

    return mint_


@pytest.fixture
def auth(mint) -> Callable[..., dict[str, str]]:
    """``headers=auth()``: an owner of autumn; ``auth("willow", "reader")`` and so on."""

    def auth_(tenant: str = "autumn", role: str = "owner", **kwargs) -> dict[str, str]:
        return {"authorization": f"Bearer {mint(tenant, role, **kwargs)}"}

    return auth_


@pytest.fixture
def read(client, platform) -> Callable[..., Awaitable[httpx.Response]]:
    async def read_(url: str, **kwargs) -> httpx.Response:
        reply = await client.get(url, **kwargs)
        await platform.runtime.drain()
        return reply

    return read_


@pytest.fixture
def d1_queries(platform) -> Callable[[], int]:
    return lambda: platform.services.stats.get("d1.queries")


@pytest.fixture
def create_post(client, auth, platform) -> Callable[..., Awaitable[dict]]:
    """POST /api/posts as autumn's owner; asserts 201 and returns the post."""

    async def create_(title: str = "First Light", markdown: str = "Morning, *garden*.", **fields) -> dict:
        fields.setdefault("status", "published")
        reply = await client.post("/api/posts", json={"title": title, "markdown": markdown, **fields}, headers=auth())
        assert reply.status_code == 201, reply.text
        await platform.runtime.drain()
        return reply.json()

    return create_
