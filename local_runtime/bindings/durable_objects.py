"""Durable Object namespaces, stubs and object state for the local runtime.

Production rules reproduced (Cloudflare docs "Durable Objects", the blog post "Durable Objects:
Easy, Fast, Correct: Choose Three", workerd ``actor-state.c++``, the SDK's ``rpc.py``):

- One live instance per id, created on its first event. The constructor runs as part of that
  event; if it started ``ctx.blockConcurrencyWhile(fn)``, nothing else is delivered until that
  has finished.
- Every event (RPC call, ``fetch``, alarm, WebSocket message or close) goes through the
  object's input gate (``local_runtime.gates``, which states the rule and its sources). Events
  do interleave: whenever one awaits something other than storage (I/O, a timer, a future
  another event resolves), another may be delivered and other I/O completions may resume.
  Storage never lets anything in (it is synchronous SQLite and its async methods never
  yield), so a read-modify-write with only storage awaits in between is atomic.
- ``ctx.blockConcurrencyWhile(fn)`` is a critical section: from the call until ``fn``
  finishes no other event is delivered and no other code's I/O completion resumes, not even
  that of the event that called it; ``fn``'s own I/O proceeds. ``storage.transaction(fn)`` is
  one too (workerd implements it with ``blockConcurrencyWhile``). If ``fn`` raises, the object
  is reset.
- ``await stub.method(*args)`` is RPC: arguments and results are structured-cloned with the
  SDK's rules (``local_runtime.conversion``); keyword arguments travel as one trailing dict (how
  Pyodide calls a JS method); an exception raised in the object reaches the caller as a
  ``JsException`` with the same message. For the caller the call is I/O: its own gate opens
  meanwhile, so objects may call each other (or themselves) without deadlock.
- One alarm per object, stored in the object's SQLite file. It is cleared just before
  ``alarm(alarm_info)`` runs; a handler that raises is retried after 2 s, 4 s, ... (6
  retries) unless it set a new alarm itself.
- WebSockets accepted with ``ctx.acceptWebSocket`` belong to the id, not to the instance: after
  eviction the next message wakes a new instance (its constructor runs again) and is
  delivered there, attachments intact.

Stub calls run when awaited (production starts them eagerly): fire-and-forget belongs in
``ctx.waitUntil(stub.method(...))``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import logging
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from local_runtime.bindings.do_storage import DurableObjectStorage, read_stored_alarm
from local_runtime.bindings.websockets import WebSocket
from local_runtime.conversion import JsException, from_rpc, remote_error, to_rpc
from local_runtime.gates import InputGate
from local_runtime.scheduler import Scheduler
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices
from workers import Request, Response

log = logging.getLogger("grove.durable_objects")

T = TypeVar("T")

ALARM_RETRY_BASE_MS = 2_000  # first retry of a failed alarm after 2 s, then doubling
ALARM_MAX_RETRIES = 6
MAX_WEBSOCKET_TAGS = 10
MAX_WEBSOCKET_TAG_CHARS = 256
MAX_HIBERNATABLE_WEBSOCKETS = 32_768
_HEX_ID = re.compile(r"[0-9a-fA-F]{64}")


class DurableObjectAbort(BaseException):
    """Raised by ``ctx.abort()``: stops the handler; ``except Exception`` does not catch it."""


def _spawn(awaitable: Awaitable[Any]) -> asyncio.Future[Any]:
    # Background work stays in the scope of the code that started it (its object, and its
    # critical section if any): its I/O completions wait at that object's input gate.
    return asyncio.ensure_future(awaitable)


# --- ids -------------------------------------------------------------------------------------


class DurableObjectId:
    """An object's id: 64 hex digits. ``name`` is set when it came from ``idFromName``."""

    __slots__ = ("_hex", "_class_name", "name")

    def __init__(self, hex_id: str, class_name: str, name: str | None = None) -> None:
        self._hex = hex_id.lower()
        self._class_name = class_name
        self.name = name

    def toString(self) -> str:  # noqa: N802 (JS name)
        return self._hex

    def equals(self, other: object) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __eq__(self, other: object) -> bool:
        return self.equals(other)

    def __hash__(self) -> int:
        return hash(self._hex)

    def __str__(self) -> str:
        return self._hex

    def __repr__(self) -> str:
        return f"DurableObjectId({self._hex!r}, name={self.name!r})"


# --- per-id state ----------------------------------------------------------------------------


class _Instance:
    """One live instance of the class for one id (replaced after eviction)."""

    def __init__(self, storage: DurableObjectStorage) -> None:
        self.storage = storage
        self.obj: Any = None
        self.state: DurableObjectState | None = None
        self.in_flight = 0
        self.evicted = False
        self.failure: BaseException | None = None


class _Slot:
    """What outlives instances of one id: its gate, its hibernated WebSockets, its name."""

    def __init__(self, hex_id: str) -> None:
        self.hex = hex_id
        self.gate = InputGate()
        self.instance: _Instance | None = None
        self.blockers: set[asyncio.Task[Any]] = set()  # running blockConcurrencyWhile tasks
        self.sockets: dict[WebSocket, list[str]] = {}


# --- the object's view: ctx ------------------------------------------------------------------


class DurableObjectState:
    """``ctx`` of a Durable Object: ``id``, ``storage``, concurrency and WebSocket controls."""

    def __init__(
        self,
        namespace: DurableObjectNamespace,
        slot: _Slot,
        instance: _Instance,
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
                namespace._blocker_failed(slot, instance, exc)
                raise

        async def run() -> Any:
            try:
                return await gate.run_section(section, body)
            finally:
                instance.in_flight -= 1
                namespace._close_if_idle(instance)

        task = asyncio.get_running_loop().create_task(run())
        slot.blockers.add(task)
        task.add_done_callback(namespace._blocker_done(slot))
        return task

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 (JS name)
        """Keep ``awaitable`` running after the event; its errors are logged."""
        self._namespace._track(_spawn(awaitable))

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
        self._namespace._accept_socket(self._slot, ws, tag_list)

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
        self._namespace._reset(self._slot, self._instance)
        raise DurableObjectAbort(reason or "Durable Object abort requested")


# --- the caller's view: stubs ----------------------------------------------------------------


class _RpcMethod:
    def __init__(self, stub: DurableObjectStub, name: str) -> None:
        self._stub = stub
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        # The SDK converts arguments before the call is made: a refused value is a TypeError
        # right here, not a failed call.
        wire_args = [to_rpc(arg) for arg in args]
        if kwargs:
            wire_args.append(to_rpc(dict(kwargs)))
        return self._stub._namespace._call_method(self._stub.id, self._name, wire_args)

    def __repr__(self) -> str:
        return f"<RPC method {self._name!r} of {self._stub!r}>"


class DurableObjectStub:
    """``ns.get(id)``: ``await stub.method(...)`` (RPC) and ``await stub.fetch(...)``."""

    _rpc_by_reference = True  # a stub crosses RPC as a capability, not a copy

    def __init__(self, namespace: DurableObjectNamespace, object_id: DurableObjectId) -> None:
        self._namespace = namespace
        self.id = object_id

    @property
    def name(self) -> str | None:
        return self.id.name

    def __getattr__(self, name: str) -> _RpcMethod:
        if name.startswith("__"):
            raise AttributeError(name)
        return _RpcMethod(self, name)

    async def fetch(self, input: Request | str, **init: Any) -> Response:  # noqa: A002 (SDK name)
        request = Request(input, **init)
        parts = urlsplit(request.url)
        if not parts.scheme or not parts.netloc:
            raise TypeError(f"Fetch API cannot load: {request.url}")
        return await self._namespace._call_fetch(self.id, request)

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._namespace.class_name} {self.id}>"


# --- the namespace -----------------------------------------------------------------------------


class _NameIndex:
    """Which name each id was made from, kept on disk: production gives ``ctx.id.name`` to an
    object reached by name in every event, alarms after a restart included."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("CREATE TABLE IF NOT EXISTS names (hex_id TEXT PRIMARY KEY, name TEXT NOT NULL)")
        self._cache: dict[str, str] = {}

    def remember(self, hex_id: str, name: str) -> None:
        if self._cache.get(hex_id) != name:
            self._db.execute("INSERT OR IGNORE INTO names (hex_id, name) VALUES (?, ?)", (hex_id, name))
            self._cache[hex_id] = name

    def get(self, hex_id: str) -> str | None:
        if hex_id not in self._cache:
            row = self._db.execute("SELECT name FROM names WHERE hex_id = ?", (hex_id,)).fetchone()
            if row is None:
                return None
            self._cache[hex_id] = row[0]
        return self._cache[hex_id]

    def close(self) -> None:
        self._db.close()


class DurableObjectNamespace:
    """The binding of one Durable Object class (``env.FEED``), shared by every Worker binding it.

    ``cls_resolver()`` returns the class and ``env_resolver()`` the ``env`` of the Worker that
    defines it; both are called when an instance is constructed.
    """

    _rpc_by_reference = True

    def __init__(
        self,
        services: RuntimeServices,
        scheduler: Scheduler,
        class_name: str,
        cls_resolver: Callable[[], type],
        env_resolver: Callable[[], Any],
    ) -> None:
        self.services = services
        self.scheduler = scheduler
        self.class_name = class_name
        self._cls_resolver = cls_resolver
        self._env_resolver = env_resolver
        self._slots: dict[str, _Slot] = {}
        self._names = _NameIndex(services.path("do", class_name, "names.sqlite3"))
        self._pending: set[asyncio.Future[Any]] = set()

    def __repr__(self) -> str:
        return f"<DurableObjectNamespace {self.class_name}>"

    # --- ids and stubs -------------------------------------------------------------------

    def idFromName(self, name: str) -> DurableObjectId:  # noqa: N802 (JS name)
        if not isinstance(name, str):
            raise TypeError("idFromName() requires a string")
        # Deterministic per class: the same name always reaches the same object.
        hex_id = hmac.new(
            self.class_name.encode("utf-8"), name.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        self._names.remember(hex_id, name)
        return DurableObjectId(hex_id, self.class_name, name)

    def newUniqueId(self, **options: Any) -> DurableObjectId:  # noqa: N802 (JS name)
        return DurableObjectId(secrets.token_hex(32), self.class_name)

    def idFromString(self, hex_id: str) -> DurableObjectId:  # noqa: N802 (JS name)
        if not isinstance(hex_id, str) or not _HEX_ID.fullmatch(hex_id):
            raise TypeError("Invalid Durable Object ID: must be 64 hex digits")
        return DurableObjectId(hex_id, self.class_name)

    def get(self, object_id: DurableObjectId, **options: Any) -> DurableObjectStub:
        if not isinstance(object_id, DurableObjectId):
            raise TypeError("get() requires a DurableObjectId (use idFromName / idFromString)")
        if object_id._class_name != self.class_name:
            raise TypeError(f"This ID is not for the Durable Object class {self.class_name}.")
        return DurableObjectStub(self, object_id)

    def getByName(self, name: str, **options: Any) -> DurableObjectStub:  # noqa: N802 (JS name)
        return self.get(self.idFromName(name), **options)

    def jurisdiction(self, name: str) -> DurableObjectNamespace:
        return self  # one location locally

    # --- lifecycle -----------------------------------------------------------------------

    def evict(self, object_id: DurableObjectId | str) -> None:
        """Drop the in-memory instance (storage and hibernated WebSockets stay)."""
        slot = self._slots.get(str(object_id).lower())
        if slot is not None and slot.instance is not None:
            self._reset(slot, slot.instance)

    def evict_all(self) -> None:
        for slot in self._slots.values():
            if slot.instance is not None:
                self._reset(slot, slot.instance)

    def live_instances(self) -> int:
        return sum(1 for slot in self._slots.values() if slot.instance is not None)

    async def instance_for_test(self, target: DurableObjectStub | DurableObjectId) -> Any:
        """Tests only: the live object behind a stub or id, constructed (through the gate,
        as its first event would be) if needed. Not counted as a request."""
        object_id = target.id if isinstance(target, DurableObjectStub) else target
        if object_id.name is not None:
            self._names.remember(object_id._hex, object_id.name)
        slot = self._slot(object_id._hex)

        async def event() -> Any:
            return (await self._ensure_instance(slot)).obj

        return await slot.gate.run_event(event)

    def restore_alarms(self) -> int:
        """Register every stored alarm with the scheduler (after a restart); returns how many."""
        folder = self.services.state_dir / "do" / self.class_name
        restored = 0
        for path in sorted(folder.glob("*.sqlite")) if folder.is_dir() else []:
            if not _HEX_ID.fullmatch(path.stem):
                continue
            at_ms, _retry = read_stored_alarm(path)
            if at_ms is not None:
                self._alarm_changed(path.stem, at_ms)
                restored += 1
        return restored

    async def drain(self) -> None:
        """Wait for ``waitUntil`` and ``blockConcurrencyWhile`` work of every object."""
        while self._pending or any(slot.blockers for slot in self._slots.values()):
            waiting = list(self._pending) + [
                t for slot in self._slots.values() for t in slot.blockers
            ]
            await asyncio.gather(*waiting, return_exceptions=True)

    def close(self) -> None:
        self._names.close()
        for slot in self._slots.values():
            if slot.instance is not None:
                slot.instance.storage.close()
                slot.instance.evicted = True
                slot.instance = None

    def _db_path(self, hex_id: str) -> Path:
        return self.services.path("do", self.class_name, f"{hex_id}.sqlite")

    def _slot(self, hex_id: str) -> _Slot:
        slot = self._slots.get(hex_id)
        if slot is None:
            slot = self._slots[hex_id] = _Slot(hex_id)
        return slot

    def _reset(self, slot: _Slot, instance: _Instance) -> None:
        instance.evicted = True
        if slot.instance is instance:
            slot.instance = None
        self._close_if_idle(instance)

    def _close_if_idle(self, instance: _Instance) -> None:
        # An event still running on an evicted instance keeps its storage until it ends.
        if instance.evicted and instance.in_flight == 0:
            instance.storage.close()

    def _track(self, future: asyncio.Future[Any]) -> None:
        self._pending.add(future)

        def done(f: asyncio.Future[Any]) -> None:
            self._pending.discard(f)
            if not f.cancelled() and f.exception() is not None:
                log.error("waitUntil task of %s failed", self.class_name, exc_info=f.exception())

        future.add_done_callback(done)

    def _blocker_failed(self, slot: _Slot, instance: _Instance, exc: BaseException) -> None:
        log.error(
            "blockConcurrencyWhile callback of %s failed; resetting", self.class_name, exc_info=exc
        )
        instance.failure = exc
        self._reset(slot, instance)

    def _blocker_done(self, slot: _Slot) -> Callable[[asyncio.Task[Any]], None]:
        def done(task: asyncio.Task[Any]) -> None:
            slot.blockers.discard(task)
            if not task.cancelled():
                task.exception()  # reported by _blocker_failed; the caller may await it too

        return done

    def _has_alarm_handler(self) -> bool:
        return callable(getattr(self._cls_resolver(), "alarm", None))

    # --- delivering events -----------------------------------------------------------------

    async def _ensure_instance(self, slot: _Slot) -> _Instance:
        """The live instance of ``slot``, constructing it (inside the current event) if needed."""
        instance = slot.instance
        if instance is not None:
            return instance
        storage = DurableObjectStorage(
            self.services,
            self._db_path(slot.hex),
            alarm_listener=lambda at_ms: self._alarm_changed(slot.hex, at_ms),
            alarm_handler_check=self._has_alarm_handler,
            input_gate=slot.gate,
        )
        instance = _Instance(storage)
        state = DurableObjectState(
            self,
            slot,
            instance,
            DurableObjectId(slot.hex, self.class_name, self._names.get(slot.hex)),
        )
        instance.state = state
        slot.instance = instance
        try:
            cls = self._cls_resolver()
            env = self._env_resolver()
            instance.in_flight += 1
            try:
                instance.obj = cls(state, env)
                # A blockConcurrencyWhile the constructor started is part of construction: wait
                # until it has ended (at once, without yielding, if there is none).
                await slot.gate.wait(None)
            finally:
                instance.in_flight -= 1
            if instance.failure is not None:
                raise instance.failure
        except BaseException:
            instance.evicted = True
            if slot.instance is instance:
                slot.instance = None
            storage.close()
            raise
        self.services.stats.incr("do.instances_created")
        return instance

    async def _deliver(self, slot: _Slot, invoke: Callable[[_Instance], Awaitable[T]]) -> T:
        """Run one event for ``slot`` through its input gate (constructing the object first)."""
        self.services.stats.incr("do.requests")

        async def event() -> T:
            instance = await self._ensure_instance(slot)
            instance.in_flight += 1
            try:
                return await invoke(instance)
            except DurableObjectAbort as abort:
                raise JsException(str(abort), remote=True) from None
            finally:
                # A blockConcurrencyWhile this event started keeps the gate closed by itself;
                # the event's result does not wait for it (as in production).
                instance.in_flight -= 1
                self._close_if_idle(instance)

        return await slot.gate.run_event(event)

    async def _from_caller(
        self, object_id: DurableObjectId, invoke: Callable[[_Instance], Awaitable[T]]
    ) -> T:
        """A call made through a stub: I/O for the caller, an event for the object."""
        if object_id.name is not None:
            self._names.remember(object_id._hex, object_id.name)
        slot = self._slot(object_id._hex)
        self.services.model("do_call")
        try:
            async with self.services.io():
                return await self._deliver(slot, invoke)
        except Exception as exc:
            raise remote_error(exc) from exc

    async def _call_method(
        self, object_id: DurableObjectId, method: str, wire_args: list[Any]
    ) -> Any:
        async def invoke(instance: _Instance) -> Any:
            target = None if method.startswith("_") else getattr(instance.obj, method, None)
            if target is None or not callable(target) or isinstance(target, type):
                raise JsException(
                    f'The RPC receiver does not implement the method "{method}".', name="TypeError"
                )
            result = target(*[from_rpc(arg) for arg in wire_args])
            if inspect.isawaitable(result):
                result = await result
            return to_rpc(result)

        return from_rpc(await self._from_caller(object_id, invoke))

    async def _call_fetch(self, object_id: DurableObjectId, request: Request) -> Response:
        wire_request = Request(request)

        async def invoke(instance: _Instance) -> Response:
            handler = getattr(instance.obj, "fetch", None)
            if not callable(handler):
                raise JsException("Handler does not export a fetch() function.")
            response = handler(wire_request)
            if inspect.isawaitable(response):
                response = await response
            if not isinstance(response, Response):
                raise JsException(
                    "Incorrect type for Promise: the Promise did not resolve to 'Response'.",
                    name="TypeError",
                )
            return Response(response)

        return await self._from_caller(object_id, invoke)

    # --- alarms --------------------------------------------------------------------------

    def _alarm_key(self, hex_id: str) -> str:
        return f"do-alarm:{self.class_name}:{hex_id}"

    def _alarm_changed(self, hex_id: str, at_ms: int | None) -> None:
        key = self._alarm_key(hex_id)
        if at_ms is None:
            self.scheduler.cancel(key)
        else:
            self.scheduler.schedule(key, at_ms, lambda: self._fire_alarm(hex_id))

    async def _fire_alarm(self, hex_id: str) -> None:
        slot = self._slot(hex_id)
        fired_at_ms = self.services.now_ms()

        async def invoke(instance: _Instance) -> None:
            storage = instance.storage
            at_ms, retry_count = storage.alarm_state()
            if at_ms is None:
                return
            if at_ms > self.services.now_ms():
                self._alarm_changed(hex_id, at_ms)  # moved later since the timer was set
                return
            # Cleared before the handler runs, so the handler may set the next one.
            storage.set_alarm_state(None, 0)
            handler = getattr(instance.obj, "alarm", None)
            if not callable(handler):
                log.error("%s has no alarm() handler; alarm dropped", self.class_name)
                return
            self.services.stats.incr("do.alarms")
            if retry_count:
                self.services.stats.incr("do.alarm_retries")
            try:
                result = handler(JsDict(retryCount=retry_count, isRetry=retry_count > 0))
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception(
                    "alarm() of %s %s failed (attempt %d)", self.class_name, hex_id, retry_count + 1
                )
                self._retry_alarm(storage, retry_count)

        try:
            await self._deliver(slot, invoke)
        except Exception:
            # The object could not even be constructed: the alarm is still stored; retry it.
            log.exception("alarm of %s %s could not be delivered", self.class_name, hex_id)
            if slot.instance is None:
                storage = DurableObjectStorage(
                    self.services,
                    self._db_path(hex_id),
                    alarm_listener=lambda at_ms: self._alarm_changed(hex_id, at_ms),
                )
                try:
                    at_ms, retry_count = storage.alarm_state()
                    if at_ms is not None and at_ms <= fired_at_ms:
                        storage.set_alarm_state(None, 0)
                        self._retry_alarm(storage, retry_count)
                finally:
                    storage.close()

    def _retry_alarm(self, storage: DurableObjectStorage, retry_count: int) -> None:
        if storage.alarm_state()[0] is not None:
            return  # the handler set a new alarm before failing: that one stands
        if retry_count >= ALARM_MAX_RETRIES:
            log.error("alarm of %s failed %d times; giving up", self.class_name, retry_count + 1)
            return
        delay_ms = ALARM_RETRY_BASE_MS * 2**retry_count
        storage.set_alarm_state(self.services.now_ms() + delay_ms, retry_count + 1)

    # --- hibernatable WebSockets -----------------------------------------------------------

    def _accept_socket(self, slot: _Slot, ws: WebSocket, tags: list[str]) -> None:
        if not isinstance(ws, WebSocket):
            raise TypeError("acceptWebSocket() takes a WebSocket")

        async def deliver(record: dict[str, Any]) -> None:
            await self._socket_event(slot, ws, record)

        ws._hibernate(deliver)
        slot.sockets[ws] = tags

    async def _socket_event(self, slot: _Slot, ws: WebSocket, record: dict[str, Any]) -> None:
        async def invoke(instance: _Instance) -> None:
            if record["type"] == "message":
                handler = getattr(instance.obj, "webSocketMessage", None)
                args: tuple[Any, ...] = (ws, record["data"])
            else:
                slot.sockets.pop(ws, None)
                handler = getattr(instance.obj, "webSocketClose", None)
                args = (ws, record["code"], record["reason"], record["wasClean"])
            if not callable(handler):
                log.warning("%s has no handler for a WebSocket %s", self.class_name, record["type"])
                return
            result = handler(*args)
            if inspect.isawaitable(result):
                await result

        await self._deliver(slot, invoke)
