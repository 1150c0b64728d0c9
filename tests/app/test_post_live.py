"""The live socket of a post (``GET /api/posts/{slug}/live``, PostMetaDO's hibernation API)
against clients the page's script is not: a stale session cookie, one address opening many
sockets, an object at the platform's socket limit, sockets that talk instead of listening, and
readers that vanish without a close."""

from __future__ import annotations

import asyncio

import pytest

import durable_objects.post_meta as post_meta
import local_runtime.bindings.durable_objects.state as object_state
from grove.engagement import LIVE_MESSAGE_MAX_BYTES, LIVE_SOCKETS_PER_ADDRESS
from tests.app.test_post_meta import LIVE_URL, next_of

pytestmark = pytest.mark.usefixtures("tenants")


@pytest.fixture
async def post(create_post) -> dict:
    return await create_post("Spring Beds", "Mulch *everything*.")


async def upgrade(platform, address: str = "198.51.100.7", **headers: str):
    return await platform.runtime.fetch(LIVE_URL, headers={"upgrade": "websocket", "cf-connecting-ip": address, **headers})


async def follow(platform, address: str = "198.51.100.7"):
    response = await upgrade(platform, address)
    assert response.status == 101, await response.text()
    return response.web_socket


async def refused(response, status: int, code: str) -> None:
    assert response.status == status
    assert int(response.headers.get("retry-after")) > 0
    assert (await response.json())["error"]["code"] == code


async def test_a_stale_session_cookie_does_not_stop_a_reader_following_live(post, platform):
    # The socket carries nothing per reader: the cookie is not read (no 401, no cleared cookie).
    response = await upgrade(platform, cookie="grove_session=expired-or-forged")
    assert response.status == 101 and response.headers.get("set-cookie") is None
    assert (await next_of(response.web_socket, "presence"))["reading"] == 1


async def test_one_address_holds_a_bounded_share_of_the_sockets(post, platform):
    mine = [await follow(platform) for _ in range(LIVE_SOCKETS_PER_ADDRESS)]
    await refused(await upgrade(platform), 429, "too_many_live_connections")
    # An IPv6 client is its /64, as the rate limiter counts it.
    v6 = [await follow(platform, f"2001:db8:1:2::{n:x}") for n in range(LIVE_SOCKETS_PER_ADDRESS)]
    await refused(await upgrade(platform, "2001:db8:1:2:ffff::1"), 429, "too_many_live_connections")
    other = await follow(platform, "203.0.113.50")  # another reader is not held back
    assert (await next_of(other, "presence"))["reading"] == 2 * LIVE_SOCKETS_PER_ADDRESS + 1
    mine[0].close(1000, "tab closed")
    assert (await next_of(other, "presence"))["reading"] == 2 * LIVE_SOCKETS_PER_ADDRESS
    await follow(platform)  # its place is free again
    assert (await next_of(other, "presence"))["reading"] == 2 * LIVE_SOCKETS_PER_ADDRESS + 1
    assert len(v6) == LIVE_SOCKETS_PER_ADDRESS


async def test_an_object_at_the_platform_socket_limit_refuses_with_503_not_500(post, platform, monkeypatch):
    # The platform's limit (32,768) and the object's, at a size a test can reach.
    monkeypatch.setattr(object_state, "MAX_HIBERNATABLE_WEBSOCKETS", 3)
    monkeypatch.setattr(post_meta, "LIVE_MAX_SOCKETS", 3)
    readers = [await follow(platform, f"198.51.100.{n}") for n in range(3)]
    await refused(await upgrade(platform, "198.51.100.99"), 503, "live_full")
    readers[0].close(1000, "")
    assert (await next_of(readers[1], "presence"))["reading"] == 2
    await follow(platform, "198.51.100.99")


@pytest.mark.parametrize(
    ("message", "code"),
    [(b"\x00" * 70_000, 1003), ("x" * (LIVE_MESSAGE_MAX_BYTES + 1), 1009), ("é" * (LIVE_MESSAGE_MAX_BYTES // 2 + 1), 1009)],
    ids=["binary", "long-text", "long-in-utf8"],
)
async def test_a_socket_that_talks_instead_of_listening_is_closed(post, platform, message, code):
    talker = await follow(platform)
    assert (await next_of(talker, "presence"))["reading"] == 1
    listener = await follow(platform, "203.0.113.50")
    assert (await next_of(talker, "presence"))["reading"] == 2
    assert (await next_of(listener, "presence"))["reading"] == 2
    talker.send("ping")  # a keep-alive is answered
    assert (await next_of(talker, "presence"))["reading"] == 2
    talker.send(message)
    while (record := await asyncio.wait_for(talker.receive(), 5)) is not None and record["type"] == "message":
        pass
    assert record is not None and record["type"] == "close" and record["code"] == code
    assert (await next_of(listener, "presence"))["reading"] == 1


async def test_a_reader_gone_without_a_close_frame_leaves_the_count(post, platform):
    gone, staying = await follow(platform), await follow(platform, "203.0.113.50")
    assert (await next_of(staying, "presence"))["reading"] == 2
    platform.runtime.evict_all()
    gone.close(1006, "")  # the connection dropped (what the edge reports)
    assert (await next_of(staying, "presence"))["reading"] == 1
