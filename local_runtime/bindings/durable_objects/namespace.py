"""``DurableObjectNamespace``: the binding of one Durable Object class, which owns its objects'
lifecycle and delivers every event (RPC, ``fetch``, alarms, WebSocket messages) through each
object's input gate."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import logging
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from local_runtime.bindings.do_storage import DurableObjectStorage, read_stored_alarm
from local_runtime.bindings.durable_objects.ids import HEX_ID, DurableObjectId, NameIndex
from local_runtime.bindings.durable_objects.state import (
    DurableObjectAbort,
    DurableObjectState,
    Instance,
    Slot,
)
from local_runtime.bindings.durable_objects.stubs import DurableObjectStub
from local_runtime.bindings.websockets import WebSocket
from local_runtime.conversion import JsException, from_rpc, remote_error, to_rpc
from local_runtime.faults import FaultPoint, InjectedFault, current_object_reset
from local_runtime.js_values import refuse_unknown
from local_runtime.scheduler import Scheduler
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices
from workers import Request, Response

log = logging.getLogger("grove.durable_objects")

T = TypeVar("T")

ALARM_RETRY_BASE_MS = 2_000  # first retry of a failed alarm after 2 s, then doubling
ALARM_MAX_RETRIES = 6


# Options honoured by doing nothing: there is one location locally, so a location hint or a
# jurisdiction (EU, FedRAMP) always holds. Anything else fails loudly.
_NEW_ID_OPTIONS = frozenset({"jurisdiction"})
_GET_OPTIONS = frozenset({"locationHint"})


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
        self._slots: dict[str, Slot] = {}
        self._names = NameIndex(services.path("do", class_name, "names.sqlite3"))
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
        refuse_unknown(options, "newUniqueId()", _NEW_ID_OPTIONS)
        return DurableObjectId(secrets.token_hex(32), self.class_name)

    def idFromString(self, hex_id: str) -> DurableObjectId:  # noqa: N802 (JS name)
        if not isinstance(hex_id, str) or not HEX_ID.fullmatch(hex_id):
            raise TypeError("Invalid Durable Object ID: must be 64 hex digits")
        return DurableObjectId(hex_id, self.class_name)

    def get(self, object_id: DurableObjectId, **options: Any) -> DurableObjectStub:
        refuse_unknown(options, "get()", _GET_OPTIONS)
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
            self.reset(slot, slot.instance)

    def evict_all(self) -> None:
        for slot in self._slots.values():
            if slot.instance is not None:
                self.reset(slot, slot.instance)

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
            if not HEX_ID.fullmatch(path.stem):
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

    def _slot(self, hex_id: str) -> Slot:
        slot = self._slots.get(hex_id)
        if slot is None:
            slot = self._slots[hex_id] = Slot(hex_id)
        return slot

    def reset(self, slot: Slot, instance: Instance) -> None:
        instance.evicted = True
        if slot.instance is instance:
            slot.instance = None
        self.close_if_idle(instance)

    def close_if_idle(self, instance: Instance) -> None:
        # An event still running on an evicted instance keeps its storage until it ends.
        if instance.evicted and instance.in_flight == 0:
            instance.storage.close()

    def track(self, future: asyncio.Future[Any]) -> None:
        self._pending.add(future)

        def done(f: asyncio.Future[Any]) -> None:
            self._pending.discard(f)
            if not f.cancelled() and f.exception() is not None:
                log.error("waitUntil task of %s failed", self.class_name, exc_info=f.exception())

        future.add_done_callback(done)

    def blocker_failed(self, slot: Slot, instance: Instance, exc: BaseException) -> None:
        log.error(
            "blockConcurrencyWhile callback of %s failed; resetting", self.class_name, exc_info=exc
        )
        instance.failure = exc
        self.reset(slot, instance)

    def blocker_done(self, slot: Slot) -> Callable[[asyncio.Task[Any]], None]:
        def done(task: asyncio.Task[Any]) -> None:
            slot.blockers.discard(task)
            if not task.cancelled():
                task.exception()  # reported by blocker_failed; the caller may await it too

        return done

    def _has_alarm_handler(self) -> bool:
        return callable(getattr(self._cls_resolver(), "alarm", None))

    # --- delivering events -----------------------------------------------------------------

    async def _ensure_instance(self, slot: Slot) -> Instance:
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
        instance = Instance(storage)
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

    async def _deliver(self, slot: Slot, invoke: Callable[[Instance], Awaitable[T]]) -> T:
        """Run one event for ``slot`` through its input gate (constructing the object first)."""
        self.services.stats.incr("do.requests")

        async def event() -> T:
            instance = await self._ensure_instance(slot)
            instance.in_flight += 1
            # An await inside this event may reset the object (faults.DO_EVICTED_AT_AWAIT). The
            # gate may run the event in the caller's own context: the mark is taken off after,
            # or the caller's later I/O would count as this object's.
            marked = current_object_reset.set(lambda: self.reset(slot, instance))
            try:
                return await invoke(instance)
            except DurableObjectAbort as abort:
                raise JsException(str(abort), remote=True) from None
            finally:
                current_object_reset.reset(marked)
                # A blockConcurrencyWhile this event started keeps the gate closed by itself;
                # the event's result does not wait for it (as in production).
                instance.in_flight -= 1
                self.close_if_idle(instance)

        return await slot.gate.run_event(event)

    async def _from_caller(
        self, object_id: DurableObjectId, invoke: Callable[[Instance], Awaitable[T]]
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

    async def call_method(
        self, object_id: DurableObjectId, method: str, wire_args: list[Any]
    ) -> Any:
        async def invoke(instance: Instance) -> Any:
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

    async def call_fetch(self, object_id: DurableObjectId, request: Request) -> Response:
        wire_request = Request(request)

        async def invoke(instance: Instance) -> Response:
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

        async def invoke(instance: Instance) -> None:
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
                if self.services.faults.trips(FaultPoint.ALARM_EXCEPTION, self.class_name):
                    raise InjectedFault(f"injected: alarm() of {self.class_name} raised")
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

    def accept_socket(self, slot: Slot, ws: WebSocket, tags: list[str]) -> None:
        if not isinstance(ws, WebSocket):
            raise TypeError("acceptWebSocket() takes a WebSocket")

        async def deliver(record: dict[str, Any]) -> None:
            await self._socket_event(slot, ws, record)

        ws._hibernate(deliver)
        slot.sockets[ws] = tags

    async def _socket_event(self, slot: Slot, ws: WebSocket, record: dict[str, Any]) -> None:
        async def invoke(instance: Instance) -> None:
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
