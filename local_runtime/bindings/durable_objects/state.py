"""The object's side: ``ctx`` (``DurableObjectState``) and what outlives an instance of one id.

``DurableObjectState`` talks to its namespace only through ``StateHost``, the few operations a
``ctx`` needs (tracking ``waitUntil`` work, taking WebSockets over, resetting the object).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from local_runtime.bindings.do_storage import DurableObjectStorage
from local_runtime.bindings.durable_objects.ids import DurableObjectId
from local_runtime.bindings.websockets import WebSocket
from local_runtime.conversion import JsException
from local_runtime.gates import InputGate

MAX_WEBSOCKET_TAGS = 10
MAX_WEBSOCKET_TAG_CHARS = 256
MAX_HIBERNATABLE_WEBSOCKETS = 32_768


class DurableObjectAbort(BaseException):
    """Raised by ``ctx.abort()``: stops the handler; ``except Exception`` does not catch it."""


def spawn(awaitable: Awaitable[Any]) -> asyncio.Future[Any]:
    # Background work stays in the scope of the code that started it (its object, and its
    # critical section if any): its I/O completions wait at that object's input gate.
    return asyncio.ensure_future(awaitable)



# --- per-id state ----------------------------------------------------------------------------


class Instance:
    """One live instance of the class for one id (replaced after eviction)."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self.storage = storage
        self.obj: Any = None
        self.state: DurableObjectState | None = None
        self.in_flight = 0
        self.evicted = False
        self.failure: BaseException | None = None


class Slot:
    """What outlives instances of one id: its gate, its hibernated WebSockets, its name."""

    def __init__(self, hex_id: str) -> None:
        self.hex = hex_id
        self.gate = InputGate()
        self.instance: Instance | None = None
        self.blockers: set[asyncio.Task[Any]] = set()  # running blockConcurrencyWhile tasks
        self.sockets: dict[WebSocket, list[str]] = {}



class StateHost(Protocol):
    """What a ``ctx`` asks of its namespace."""

    def track(self, future: asyncio.Future[Any]) -> None: ...

    def accept_socket(self, slot: Slot, ws: WebSocket, tags: list[str]) -> None: ...

    def reset(self, slot: Slot, instance: Instance) -> None: ...

    def blocker_failed(self, slot: Slot, instance: Instance, exc: BaseException) -> None: ...

    def blocker_done(self, slot: Slot) -> Callable[[asyncio.Task[Any]], None]: ...

    def close_if_idle(self, instance: Instance) -> None: ...


# --- the object's view: ctx ------------------------------------------------------------------


class DurableObjectState:
    """``ctx`` of a Durable Object: ``id``, ``storage``, concurrency and WebSocket controls."""

    def __init__(
        self,
        namespace: StateHost,
        slot: Slot,
        instance: Instance,
        object_id: DurableObjectId,
    ) -> None:
        self._namespace = namespace
        self._slot = slot
        self._instance = instance
        self.id = object_id
        self.storage = instance.storage

    def blockConcurrencyWhile(self, fn: Callable[[], Any]) -> asyncio.Task[Any]:  # noqa: N802 (JS name)
        """Run ``fn()`` with no other event delivered until it finishes; await for its result.

        If ``fn`` raises, the object is reset (the next event runs the constructor again).
        """
        if not callable(fn):
            raise TypeError("blockConcurrencyWhile() requires a function")
        namespace, slot, instance = self._namespace, self._slot, self._instance
        gate = slot.gate
        # The gate closes now, before the callback first runs (workerd starts the critical
        # section synchronously); it runs once earlier sections of the same scope are done.
        section = gate.begin()
        instance.in_flight += 1  # the instance's storage stays open while the callback runs

        async def body() -> Any:
            try:
                result = fn()
                if inspect.isawaitable(result):
                    result = await result
                return result
            except asyncio.CancelledError:
                raise
            except BaseException as exc:
                # Production: a throwing blockConcurrencyWhile callback resets the object. Done
                # before the section ends, so no event reaches the broken instance.
                namespace.blocker_failed(slot, instance, exc)
                raise

        async def run() -> Any:
            try:
                return await gate.run_section(section, body)
            finally:
                instance.in_flight -= 1
                namespace.close_if_idle(instance)

        task = asyncio.get_running_loop().create_task(run())
        slot.blockers.add(task)
        task.add_done_callback(namespace.blocker_done(slot))
        return task

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 (JS name)
        """Keep ``awaitable`` running after the event; its errors are logged."""
        self._namespace.track(spawn(awaitable))

    wait_until = waitUntil

    def acceptWebSocket(self, ws: WebSocket, tags: list[str] | None = None) -> None:  # noqa: N802 (JS name)
        """Take the server end over (hibernation API): its messages become events of this id."""
        tag_list = list(tags or [])
        if len(tag_list) > MAX_WEBSOCKET_TAGS:
            raise JsException(
                f"A WebSocket cannot have more than {MAX_WEBSOCKET_TAGS} tags.", name="RangeError"
            )
        for tag in tag_list:
            if not isinstance(tag, str):
                raise TypeError("WebSocket tags must be strings")
            if len(tag) > MAX_WEBSOCKET_TAG_CHARS:
                raise JsException(
                    f"A WebSocket tag cannot be longer than {MAX_WEBSOCKET_TAG_CHARS} characters.",
                    name="RangeError",
                )
        if len(self._slot.sockets) >= MAX_HIBERNATABLE_WEBSOCKETS:
            raise JsException(
                "Too many WebSockets attached to this Durable Object.", name="RangeError"
            )
        self._namespace.accept_socket(self._slot, ws, tag_list)

    def getWebSockets(self, tag: str | None = None) -> list[WebSocket]:  # noqa: N802 (JS name)
        return [
            ws
            for ws, tags in self._slot.sockets.items()
            if ws.readyState != WebSocket.CLOSED and (tag is None or tag in tags)
        ]

    def getTags(self, ws: WebSocket) -> list[str]:  # noqa: N802 (JS name)
        tags = self._slot.sockets.get(ws)
        if tags is None:
            raise JsException(
                "getTags() takes a WebSocket accepted with acceptWebSocket().", name="TypeError"
            )
        return list(tags)

    def abort(self, reason: str | None = None) -> None:
        """Reset the object now: the instance is dropped and the running handler stops."""
        self._namespace.reset(self._slot, self._instance)
        raise DurableObjectAbort(reason or "Durable Object abort requested")

