"""``WebSocketPair`` and ``WebSocket`` for the local runtime.

Production: ``client, server = WebSocketPair.new().object_values()``; the Worker (or Durable
Object) keeps ``server`` and answers ``Response(None, status=101, web_socket=client)``; workerd
connects ``client`` to the browser. Whatever one end sends arrives at the other.

How a received message is consumed, one way per end:
- ``ctx.acceptWebSocket(server)`` (hibernation API): the Durable Object namespace takes the
  end over; each message becomes a ``webSocketMessage(ws, message)`` event through the
  object's input gate, a close a ``webSocketClose(ws, code, reason, wasClean)`` event.
- ``ws.accept()`` and ``ws.addEventListener("message" | "close", fn)``: ``fn(event)`` with
  ``event.data`` (or ``event.code``, ``.reason``, ``.wasClean``); inside a Durable Object the
  listener runs as an event through that object's input gate, as in production.
- ``await ws.receive()``: for the runtime's HTTP server (and tests) pumping the client end:
  the next record, ``{"type": "message", "data": str | bytes}`` or ``{"type": "close",
  "code": int, "reason": str, "wasClean": bool}``; after the close record, ``None``.

The client end (index 0 of the pair) belongs to the HTTP layer: it needs no ``accept()`` and
its ``close()`` takes any code the browser reported. Messages are delivered in order.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from local_runtime.conversion import JsException, deserialize, serialize
from local_runtime.gates import InputGate, current_gate
from local_runtime.gates import _scope as _gate_scope  # which object's code is running (if any)

log = logging.getLogger("grove.websockets")

MAX_ATTACHMENT_BYTES = 2048  # Hibernation API: serializeAttachment() value limit
MAX_CLOSE_REASON_BYTES = 123  # RFC 6455: a close frame's reason fits in 123 bytes

Record = dict[str, Any]
Dispatcher = Callable[[Record], Awaitable[None]]


@dataclass
class MessageEvent:
    data: str | bytes
    type: str = "message"


@dataclass
class CloseEvent:
    code: int
    reason: str
    wasClean: bool  # noqa: N815 (JS name)
    type: str = "close"


def _ungated_context() -> contextvars.Context:
    # The pump belongs to no object: each record it delivers becomes an event of its own
    # (through the gate), not a continuation of the event that accepted the socket.
    ctx = contextvars.copy_context()
    ctx.run(_gate_scope.set, None)
    return ctx


class WebSocket:
    READY_STATE_CONNECTING = CONNECTING = 0
    READY_STATE_OPEN = OPEN = 1
    READY_STATE_CLOSING = CLOSING = 2
    READY_STATE_CLOSED = CLOSED = 3

    def __init__(self, *, runtime_end: bool = False) -> None:
        self._peer: WebSocket | None = None
        self._runtime_end = runtime_end
        self._accepted = runtime_end
        self._hibernatable = False
        self._closed_by_self = False
        self._peer_closed = False
        self._close_delivered = False
        self._inbox: asyncio.Queue[Record] = asyncio.Queue()
        self._listeners: dict[str, list[Callable[[Any], Any]]] = {}
        self._dispatcher: Dispatcher | None = None
        self._pump_task: asyncio.Task[None] | None = None
        self._gate: InputGate | None = None
        self._attachment: bytes | None = None
        self.url: str | None = None
        self.protocol = ""
        self.extensions = ""

    def __repr__(self) -> str:
        end = "client" if self._runtime_end else "server"
        return f"<WebSocket {end} readyState={self.readyState}>"

    # --- state -------------------------------------------------------------------------

    @property
    def readyState(self) -> int:  # noqa: N802 (JS name)
        if self._closed_by_self or self._close_delivered:
            # A close from the peer is answered automatically once it has been delivered.
            return self.CLOSED
        if self._peer_closed:
            return self.CLOSING
        return self.OPEN if self._accepted else self.CONNECTING

    # --- the JS API ----------------------------------------------------------------------

    def accept(self) -> None:
        if self._hibernatable:
            raise JsException(
                "This WebSocket was accepted with acceptWebSocket(); do not also call accept().",
                name="TypeError",
            )
        if self._accepted and not self._runtime_end:
            raise JsException("The WebSocket has already been accepted.", name="TypeError")
        self._accepted = True
        # Accepted inside a Durable Object: its listeners run as events of that object.
        self._gate = current_gate()
        if self._listeners:
            self._start_pump(self._dispatch_to_listeners)

    def addEventListener(self, type: str, listener: Callable[[Any], Any]) -> None:  # noqa: N802, A002 (JS name)
        self._listeners.setdefault(type, []).append(listener)
        if self._accepted and not self._hibernatable and self._dispatcher is None:
            self._start_pump(self._dispatch_to_listeners)

    def removeEventListener(self, type: str, listener: Callable[[Any], Any]) -> None:  # noqa: N802, A002 (JS name)
        listeners = self._listeners.get(type, [])
        if listener in listeners:
            listeners.remove(listener)

    def send(self, message: str | bytes) -> None:
        if not self._accepted:
            raise JsException(
                "You must call accept() on this WebSocket before sending messages.",
                name="TypeError",
            )
        if self._closed_by_self:
            raise JsException("Can't call WebSocket send() after close().", name="TypeError")
        if isinstance(message, str):
            data: str | bytes = message
        elif isinstance(message, (bytes, bytearray, memoryview)):
            data = bytes(message)
        else:
            raise TypeError(f"WebSocket send() takes str or bytes, not {type(message).__name__}")
        peer = self._peer
        if peer is not None and not peer._closed_by_self:
            peer._enqueue({"type": "message", "data": data})

    def close(self, code: int | None = 1000, reason: str | None = "") -> None:
        if self._closed_by_self:
            return
        code = 1000 if code is None else int(code)
        reason = reason or ""
        if not self._runtime_end:
            # workerd's WebSocket::close() rule.
            if not 1000 <= code < 5000 or code in (1004, 1005, 1006, 1015):
                raise JsException(f"Invalid WebSocket close code: {code}.", name="TypeError")
            if len(reason.encode("utf-8")) > MAX_CLOSE_REASON_BYTES:
                raise JsException("Close reason must not exceed 123 bytes.", name="TypeError")
        self._closed_by_self = True
        peer = self._peer
        if peer is not None and not peer._closed_by_self:
            peer._peer_closed = True
            peer._enqueue(
                {"type": "close", "code": code, "reason": reason, "wasClean": code != 1006}
            )

    def serializeAttachment(self, value: Any) -> None:  # noqa: N802 (JS name)
        data = serialize(value)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise JsException(
                f"Serialized attachment is {len(data)} bytes; the limit is {MAX_ATTACHMENT_BYTES} bytes.",
                name="RangeError",
            )
        self._attachment = data

    def deserializeAttachment(self) -> Any:  # noqa: N802 (JS name)
        # A fresh copy every time, as a structured clone would give.
        return None if self._attachment is None else deserialize(self._attachment)

    # --- for the runtime ----------------------------------------------------------------

    async def receive(self) -> Record | None:
        """The next message or close record from the peer; ``None`` once closed."""
        if self._dispatcher is not None:
            raise RuntimeError(
                "this WebSocket's messages are dispatched to handlers; receive() is not available"
            )
        if self._close_delivered:
            return None
        record = await self._inbox.get()
        if record["type"] == "close":
            self._close_delivered = True
        return record

    def _hibernate(self, deliver: Dispatcher) -> None:
        """``ctx.acceptWebSocket``: every record goes to ``deliver`` (the namespace's events)."""
        if self._runtime_end:
            raise JsException(
                "acceptWebSocket() takes the server end of a WebSocketPair.", name="TypeError"
            )
        if self._accepted or self._hibernatable:
            raise JsException("This WebSocket has already been accepted.", name="TypeError")
        self._accepted = True
        self._hibernatable = True
        self._start_pump(deliver)

    def _enqueue(self, record: Record) -> None:
        self._inbox.put_nowait(record)
        if self._dispatcher is not None and self._pump_task is None:
            self._start_pump(self._dispatcher)

    def _start_pump(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher
        if self._pump_task is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # started by the next _enqueue made from inside the event loop
        self._pump_task = loop.create_task(self._pump(), context=_ungated_context())

    async def _pump(self) -> None:
        while True:
            record = await self._inbox.get()
            closing = record["type"] == "close"
            if closing:
                self._close_delivered = True
            dispatcher = self._dispatcher
            assert dispatcher is not None
            try:
                await dispatcher(record)
            except Exception:
                log.exception("WebSocket %s handler failed", record["type"])
            if closing:
                return

    async def _dispatch_to_listeners(self, record: Record) -> None:
        event: Any
        if record["type"] == "message":
            event = MessageEvent(record["data"])
        else:
            event = CloseEvent(record["code"], record["reason"], record["wasClean"])

        async def run() -> None:
            for listener in list(self._listeners.get(event.type, [])):
                result = listener(event)
                if inspect.isawaitable(result):
                    await result

        if self._gate is not None:
            await self._gate.run_event(run)
        else:
            await run()

    @property
    def pump_task(self) -> asyncio.Task[None] | None:
        """The task delivering received records to handlers (None with ``receive()``)."""
        return self._pump_task


class WebSocketPair:
    """Two connected ``WebSocket`` ends: ``client, server = WebSocketPair.new().object_values()``."""

    def __init__(self) -> None:
        self._client = WebSocket(runtime_end=True)
        self._server = WebSocket()
        self._client._peer = self._server
        self._server._peer = self._client

    @classmethod
    def new(cls) -> WebSocketPair:
        return cls()

    def object_values(self) -> tuple[WebSocket, WebSocket]:
        return (self._client, self._server)

    def __getitem__(self, index: int) -> WebSocket:
        return self.object_values()[index]

    def __iter__(self) -> Iterator[WebSocket]:
        return iter(self.object_values())
