"""WebSocketPair / WebSocket, and the Durable Object hibernation API on top of them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from local_runtime.bindings.durable_objects import DurableObjectNamespace
from local_runtime.bindings.websockets import WebSocket, WebSocketPair
from local_runtime.clock import SimulatedClock
from local_runtime.conversion import JsException
from local_runtime.scheduler import Scheduler
from local_runtime.services import RuntimeServices
from workers import DurableObject, Request, Response

TIMEOUT_S = 2


async def receive(ws: WebSocket) -> dict[str, Any] | None:
    return await asyncio.wait_for(ws.receive(), TIMEOUT_S)


# --- the pair ---------------------------------------------------------------------------------------


async def test_pair_ends_talk_to_each_other_in_order() -> None:
    client, server = WebSocketPair.new().object_values()
    assert server.readyState == WebSocket.CONNECTING
    with pytest.raises(JsException, match=r"must call accept\(\)"):
        server.send("too early")
    client.send("queued before accept")  # the client end belongs to the HTTP layer
    server.accept()
    assert server.readyState == WebSocket.OPEN
    for i in range(20):
        server.send(f"m{i}")
    server.send(b"\x00\x01")
    assert [(await receive(client))["data"] for _ in range(21)] == [f"m{i}" for i in range(20)] + [
        b"\x00\x01"
    ]
    assert await receive(server) == {"type": "message", "data": "queued before accept"}
    with pytest.raises(TypeError):
        server.send({"not": "text"})


async def test_close_reaches_the_peer_once() -> None:
    client, server = WebSocketPair()
    server.accept()
    with pytest.raises(JsException, match="Invalid WebSocket close code: 1006"):
        server.close(1006, "not allowed from code")
    server.close(4000, "bye")
    assert server.readyState == WebSocket.CLOSED
    assert client.readyState == WebSocket.CLOSING
    assert await receive(client) == {
        "type": "close",
        "code": 4000,
        "reason": "bye",
        "wasClean": True,
    }
    assert client.readyState == WebSocket.CLOSED
    assert await receive(client) is None
    with pytest.raises(JsException, match=r"send\(\) after close\(\)"):
        server.send("late")
    server.close()  # closing twice is harmless


async def test_event_listeners_receive_messages_and_close() -> None:
    client, server = WebSocketPair.new().object_values()
    events: list[tuple[str, Any]] = []
    done = asyncio.Event()

    def on_message(event: Any) -> None:
        events.append(("message", event.data))
        server.send(f"echo:{event.data}")

    def on_close(event: Any) -> None:
        events.append(("close", (event.code, event.reason, event.wasClean)))
        done.set()

    server.addEventListener("message", on_message)
    server.addEventListener("close", on_close)
    server.accept()
    client.send("hi")
    assert await receive(client) == {"type": "message", "data": "echo:hi"}
    client.close(1001, "going away")  # the HTTP layer reports whatever code the browser sent
    await asyncio.wait_for(done.wait(), TIMEOUT_S)
    assert events == [("message", "hi"), ("close", (1001, "going away", True))]


def test_attachments_are_copies_with_a_size_limit() -> None:
    _client, server = WebSocketPair.new().object_values()
    assert server.deserializeAttachment() is None
    value = {"user": "u1", "rooms": ["a"]}
    server.serializeAttachment(value)
    value["user"] = "changed"
    first = server.deserializeAttachment()
    assert first == {"user": "u1", "rooms": ["a"]} and first.user == "u1"
    first.rooms.append("b")
    assert server.deserializeAttachment().rooms == ["a"]
    with pytest.raises(JsException, match="limit is 2048 bytes"):
        server.serializeAttachment("x" * 3000)
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        server.serializeAttachment((1, 2))


# --- hibernation API in a Durable Object ---------------------------------------------------------------


class ChatRoomDO(DurableObject):
    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        env.events.append("construct")
        self.seen_in_memory = 0

    async def fetch(self, request: Request) -> Response:
        client, server = WebSocketPair.new().object_values()
        user = request.headers.get("x-user") or "anon"
        self.ctx.acceptWebSocket(server, ["room:lobby", f"user:{user}"])
        server.serializeAttachment({"user": user})
        return Response(None, status=101, web_socket=client)

    async def webSocketMessage(self, ws: WebSocket, message: str | bytes) -> None:  # noqa: N802 (JS name)
        self.seen_in_memory += 1
        total = (await self.ctx.storage.get("total") or 0) + 1
        await self.ctx.storage.put("total", total)
        who = ws.deserializeAttachment()["user"]
        peers = len(self.ctx.getWebSockets("room:lobby"))
        ws.send(
            f"{who}:{message}:total={total}:memory={self.seen_in_memory}:peers={peers}:tags={self.ctx.getTags(ws)}"
        )

    async def webSocketClose(self, ws: WebSocket, code: int, reason: str, wasClean: bool) -> None:  # noqa: N802, N803 (JS names)
        self.env.events.append(
            ("closed", code, reason, wasClean, ws.deserializeAttachment()["user"])
        )
        ws.close(code, "closing too")
        self.env.closed.set()

    def open_sockets(self) -> int:
        return len(self.ctx.getWebSockets())


@pytest.fixture
def chat(tmp_path: Path) -> tuple[DurableObjectNamespace, SimpleNamespace]:
    clock = SimulatedClock()
    services = RuntimeServices(tmp_path / "state", clock)
    env = SimpleNamespace(events=[], closed=asyncio.Event())
    namespace = DurableObjectNamespace(
        services, Scheduler(clock), "ChatRoomDO", lambda: ChatRoomDO, lambda: env
    )
    return namespace, env


async def connect(namespace: DurableObjectNamespace, user: str) -> WebSocket:
    response = await namespace.getByName("lobby").fetch(
        "https://chat.local/ws", headers={"x-user": user}
    )
    assert response.status == 101
    return response.web_socket


async def test_hibernated_socket_messages_wake_the_object_after_eviction(chat) -> None:
    namespace, env = chat
    alice = await connect(namespace, "alice")
    alice.send("hello")
    assert (await receive(alice))[
        "data"
    ] == "alice:hello:total=1:memory=1:peers=1:tags=['room:lobby', 'user:alice']"
    bob = await connect(namespace, "bob")
    bob.send("hey")
    assert (await receive(bob))["data"].startswith("bob:hey:total=2:memory=2:peers=2")

    namespace.evict_all()
    assert namespace.live_instances() == 0
    alice.send("still there?")
    # A new instance (constructor ran again, memory reset) got the message; storage and the
    # attachment survived.
    assert (await receive(alice))["data"].startswith("alice:still there?:total=3:memory=1:peers=2")
    assert env.events == ["construct", "construct"]
    assert namespace.services.stats.get("do.requests") == 2 + 3  # two fetches, three messages


async def test_client_close_is_delivered_as_web_socket_close(chat) -> None:
    namespace, env = chat
    alice = await connect(namespace, "alice")
    await connect(namespace, "bob")
    assert await namespace.getByName("lobby").open_sockets() == 2
    alice.close(1000, "done")
    await asyncio.wait_for(env.closed.wait(), TIMEOUT_S)
    assert ("closed", 1000, "done", True, "alice") in env.events
    assert await namespace.getByName("lobby").open_sockets() == 1
