"""Several Workers in one process, sharing bindings and state, on one clock.

``LocalRuntime`` reads the wrangler config files, builds each binding once per resource (a D1
database, KV namespace or R2 bucket named by two Workers is one object, as on Cloudflare),
gives each Durable Object class one namespace owned by the Worker that defines it (others reach
it through ``script_name``), imports each Worker's main module the way workerd does (module
names start at the folder of ``main``), and dispatches ``fetch``, ``scheduled`` and ``queue``
events (one ``QueueBroker`` holds every queue; a ``[[queues.consumers]]`` entry routes its
batches to that Worker's ``queue`` handler).
"""

from __future__ import annotations

import asyncio
import contextvars
import importlib
import itertools
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import js
from workers.host import bind_module_globals

from local_runtime.bindings.cache import CacheStorage
from local_runtime.bindings.d1 import D1Database
from local_runtime.bindings.durable_objects import DurableObjectNamespace
from local_runtime.bindings.kv import KVNamespace
from local_runtime.bindings.queues import MessageBatch, QueueBroker
from local_runtime.bindings.r2 import R2Bucket
from local_runtime.bindings.websockets import WebSocketPair
from local_runtime.bootstrap import on_path
from local_runtime.config import WorkerConfig, load_worker_config
from local_runtime.cron import CronSchedule
from local_runtime.faults import InvocationKilled, current_scheduled_calls
from local_runtime.invocation_limits import (
    WAIT_UNTIL_AFTER_INVOCATION_MS,
    WAIT_UNTIL_CANCELLED_MESSAGE,
)
from local_runtime.latency import RequestTrace, current_trace
from local_runtime.scheduler import Scheduler
from local_runtime.services import RuntimeServices
from local_runtime.zone import ZoneApi
from workers import Request, Response

log = logging.getLogger("grove.runtime")


class Env:
    """A Worker's ``env``: its bindings, vars and secrets as attributes."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"Env({sorted(self.__dict__)})"


class ExecutionContext:
    """``ctx`` of a Worker invocation: ``waitUntil`` work is tracked until the runtime drains it,
    and what is still pending ``WAIT_UNTIL_AFTER_INVOCATION_MS`` (30 s, shared by all of the
    invocation's ``waitUntil`` calls) after the invocation ended is cancelled, on the runtime's
    clock, as Cloudflare does (``local_runtime/invocation_limits.py`` cites the docs)."""

    _ids = itertools.count()

    def __init__(self, runtime: LocalRuntime) -> None:
        self._runtime = runtime
        self._pending: set[asyncio.Future[Any]] = set()
        self._deadline_ms: int | None = None
        self._timer = f"wait-until:{next(self._ids)}"

    def waitUntil(self, awaitable: Awaitable[Any]) -> None:  # noqa: N802 (JS name)
        task = self._runtime._track(awaitable)
        self._pending.add(task)
        task.add_done_callback(self._settled)
        self._arm()

    wait_until = waitUntil

    def ended(self) -> None:
        """The response was returned (or the handler finished): the 30 s start now."""
        self._deadline_ms = self._runtime.services.now_ms() + WAIT_UNTIL_AFTER_INVOCATION_MS
        self._arm()

    def _arm(self) -> None:
        scheduler = self._runtime.scheduler
        if self._deadline_ms is not None and self._pending and scheduler.scheduled_at(self._timer) is None:
            scheduler.schedule(self._timer, self._deadline_ms, self._cancel_pending)

    def _settled(self, task: asyncio.Future[Any]) -> None:
        self._pending.discard(task)
        if not self._pending:
            self._runtime.scheduler.cancel(self._timer)

    async def _cancel_pending(self) -> None:
        if self._pending:
            log.warning(WAIT_UNTIL_CANCELLED_MESSAGE)
            for task in list(self._pending):
                task.cancel()

    def passThroughOnException(self) -> None:  # noqa: N802 (JS name)
        pass


@dataclass
class ScheduledController:
    cron: str
    scheduledTime: int  # noqa: N815 (JS name)
    type: str = "scheduled"

    def noRetry(self) -> None:  # noqa: N802 (JS name)
        pass


@dataclass
class LoadedWorker:
    config: WorkerConfig
    env: Env
    module: ModuleType | None = None
    crons: list[CronSchedule] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.name


class LocalRuntime:
    def __init__(
        self,
        config_paths: Iterable[Path | str],
        services: RuntimeServices,
        *,
        env_name: str | None = None,
        secrets: dict[str, str] | None = None,
    ) -> None:
        self.services = services
        self.scheduler = Scheduler(services.clock)
        self.cache_storage = CacheStorage(services)
        self._d1: dict[str, D1Database] = {}
        self._kv: dict[str, KVNamespace] = {}
        self._r2: dict[str, R2Bucket] = {}
        self.queues = QueueBroker(services, self.scheduler)
        self.namespaces: dict[tuple[str, str], DurableObjectNamespace] = {}
        self._pending: set[asyncio.Task[Any]] = set()
        self.zone_api: ZoneApi | None = None
        self.workers: dict[str, LoadedWorker] = {}
        for path in config_paths:
            config = load_worker_config(path, env=env_name)
            if config.name in self.workers:
                raise ValueError(f"two wrangler configs name the Worker {config.name!r}")
            self.workers[config.name] = LoadedWorker(config, Env({}))
        for worker in self.workers.values():
            worker.env = Env(self._env_values(worker.config, secrets or {}))
            worker.crons = [CronSchedule.parse(expr) for expr in worker.config.crons]
        self._bind_globals()

    # --- bindings -------------------------------------------------------------------------

    def _env_values(self, config: WorkerConfig, secrets: dict[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = dict(config.vars)
        values.update(secrets)
        for d in config.d1:
            if d.database_id not in self._d1:
                self._d1[d.database_id] = D1Database(self.services, d.database_name, d.database_id)
            values[d.binding] = self._d1[d.database_id]
        for k in config.kv:
            if k.id not in self._kv:
                self._kv[k.id] = KVNamespace(self.services, k.binding, k.id)
            values[k.binding] = self._kv[k.id]
        for r in config.r2:
            if r.bucket_name not in self._r2:
                self._r2[r.bucket_name] = R2Bucket(self.services, r.binding, r.bucket_name)
            values[r.binding] = self._r2[r.bucket_name]
        for b in config.durable_objects:
            values[b.name] = self._namespace(b.script_name, b.class_name)
        for q in config.queue_producers:
            values[q.binding] = self.queues.producer(q.queue)
        return values

    def _namespace(self, script_name: str, class_name: str) -> DurableObjectNamespace:
        key = (script_name, class_name)
        if key not in self.namespaces:
            owner = self.workers.get(script_name)
            if owner is None:
                raise ValueError(f"Durable Object {class_name} names script {script_name!r}, which is not loaded")
            if class_name not in owner.config.sqlite_classes:
                raise ValueError(f"{script_name} has no [[migrations]] new_sqlite_classes entry for {class_name}")
            self.namespaces[key] = DurableObjectNamespace(
                self.services,
                self.scheduler,
                class_name,
                cls_resolver=lambda: self._export(script_name, class_name),
                env_resolver=lambda: self.workers[script_name].env,
            )
        return self.namespaces[key]

    def _bind_globals(self) -> None:
        # Module-level globals, as production's `js` and `cloudflare:workers` provide them.
        js.caches = self.cache_storage
        js.WebSocketPair = WebSocketPair
        first = next(iter(self.workers.values()), None)
        bind_module_globals(first.env if first else None, self._track)

    @property
    def location(self) -> str:
        """The data centre the next requests are served in (Cache API and KV copies)."""
        return self.services.location

    @location.setter
    def location(self, value: str) -> None:
        self.services.location = value

    def serve_zone_api(self, *, zone_id: str, api_token: str, base_url: str) -> ZoneApi:
        """Answer the zone's purge API at ``base_url`` in process (``local_runtime.zone``): point
        the Worker's ``CF_API_BASE_URL`` there to have its purges reach every location."""
        if self.zone_api is not None:
            self.zone_api.close()
        self.zone_api = ZoneApi(self.cache_storage.purge_tags, zone_id=zone_id, api_token=api_token, base_url=base_url)
        self.zone_api.open()
        return self.zone_api

    def d1(self, database_id: str | None = None) -> D1Database:
        return self._d1[database_id] if database_id else next(iter(self._d1.values()))

    def kv(self, namespace_id: str | None = None) -> KVNamespace:
        return self._kv[namespace_id] if namespace_id else next(iter(self._kv.values()))

    def r2(self, bucket_name: str | None = None) -> R2Bucket:
        return self._r2[bucket_name] if bucket_name else next(iter(self._r2.values()))

    def stored_bytes(self) -> dict[str, int]:
        """Bytes stored in D1, KV and R2 as each bills storage (the cost report's measure)."""
        return {
            "d1": sum(db.stored_bytes() for db in self._d1.values()),
            "kv": sum(ns.stored_bytes() for ns in self._kv.values()),
            "r2": sum(bucket.stored_bytes() for bucket in self._r2.values()),
        }

    # --- code -----------------------------------------------------------------------------

    def load(self) -> None:
        """Import every Worker's main module (as workerd would) and start its crons."""
        for worker in self.workers.values():
            worker.module = _import_main(worker.config)
            for name in worker.config.sqlite_classes:
                if not hasattr(worker.module, name):
                    raise ImportError(f"{worker.config.main} does not export Durable Object class {name}")
        for namespace in self.namespaces.values():
            namespace.restore_alarms()
        for worker in self.workers.values():
            for settings in worker.config.queue_consumers:
                self.queues.consume(settings, self._queue_dispatch(worker.name))
        self.start_crons()

    def start_crons(self) -> None:
        """Arm every Worker's cron triggers at their next times (``load`` does it; queue
        consumers are attached once, by ``load``, and are not crons)."""
        for worker in self.workers.values():
            for expr, schedule in zip(worker.config.crons, worker.crons, strict=True):
                self._schedule_cron(worker, expr, schedule)

    def stop_crons(self) -> None:
        """Disarm every cron trigger; alarms keep firing. The cost report replays a month with
        no cron Worker (its "before tiering" figures), then arms them again."""
        for worker in self.workers.values():
            for expr in worker.config.crons:
                self.scheduler.cancel(_cron_key(worker, expr))

    def _export(self, script_name: str, name: str) -> Any:
        worker = self.workers[script_name]
        if worker.module is None:
            raise RuntimeError("call LocalRuntime.load() before using Durable Objects")
        return getattr(worker.module, name)

    def worker(self, name: str | None = None) -> LoadedWorker:
        return self.workers[name] if name else next(iter(self.workers.values()))

    # --- events ---------------------------------------------------------------------------

    async def fetch(
        self, request: Request | str, *, worker: str | None = None, trace: RequestTrace | None = None, **init: Any
    ) -> Response:
        """Deliver one HTTP request to a Worker's ``Default.fetch``."""
        target = self.worker(worker)
        if not isinstance(request, Request) or init:
            request = Request(request, **init)
        self.services.stats.incr("worker.requests")
        if request.method in ("GET", "HEAD"):
            self.services.stats.incr("worker.safe_requests")
        ctx = ExecutionContext(self)
        entry = self._entrypoint(target, ctx)
        trace = trace or RequestTrace()
        token, timeline = current_trace.set(trace), trace.begin()
        try:
            response = await entry.fetch(request)
        finally:
            RequestTrace.finish(timeline)
            current_trace.reset(token)
            ctx.ended()
        if not isinstance(response, Response):
            raise TypeError(f"{target.name}: fetch() returned {type(response).__name__}, not a Response")
        return response

    async def scheduled(self, cron: str, *, worker: str | None = None) -> Any:
        """Deliver one ``scheduled`` event (what a cron trigger or `/__scheduled` does)."""
        target = self.worker(worker) if worker else self._worker_for_cron(cron)
        ctx = ExecutionContext(self)
        entry = self._entrypoint(target, ctx)
        if not hasattr(entry, "scheduled"):
            raise LookupError(f"{target.name} has no scheduled handler")
        self.services.stats.incr("cron.runs")
        controller = ScheduledController(cron=cron, scheduledTime=self.services.now_ms())
        # As workerd calls a class-based handler: always three arguments, env and ctx None, and
        # no look at the method's signature. workerd's startScheduled (api/global-scope.c++)
        # calls `scheduled(controller, env, ctx)` and, for an entrypoint class, has set env and ctx
        # to undefined (io/worker.c++, "HACK: We set handler.env and handler.ctx to undefined");
        # python-entrypoint-helper.ts passes them on through introspection.py's wrapper_func in a
        # strict call. So `scheduled(self, controller)` raises TypeError there and here, and code
        # uses self.env / self.ctx (cloudflare/cloudflare-docs#30383).
        calls = current_scheduled_calls.set([0])  # what faults.CRON_KILLED_MID_BATCH counts
        try:
            return await entry.scheduled(controller, None, None)
        finally:
            current_scheduled_calls.reset(calls)
            ctx.ended()

    def _queue_dispatch(self, worker: str) -> Callable[[str, MessageBatch], Awaitable[Any]]:
        async def dispatch(queue: str, batch: MessageBatch) -> Any:
            return await self.queue(batch, worker=worker)

        return dispatch

    async def queue(self, batch: MessageBatch, *, worker: str) -> Any:
        """Deliver one batch to a Worker's ``queue`` handler (the broker calls this)."""
        target = self.worker(worker)
        ctx = ExecutionContext(self)
        entry = self._entrypoint(target, ctx)
        if not hasattr(entry, "queue"):
            raise LookupError(f"{target.name} consumes queue {batch.queue!r} but has no queue handler")
        # Called as `scheduled` is (see there): workerd's startQueue passes (batch, env, ctx)
        # with env and ctx undefined for an entrypoint class; code uses self.env / self.ctx.
        token = current_trace.set(None)  # background work: no request's modelled latency
        try:
            return await entry.queue(batch, None, None)
        finally:
            current_trace.reset(token)
            ctx.ended()

    def _worker_for_cron(self, cron: str) -> LoadedWorker:
        for worker in self.workers.values():
            if cron in worker.config.crons:
                return worker
        with_handler = [w for w in self.workers.values() if w.module and hasattr(w.module.Default, "scheduled")]
        if len(with_handler) == 1:
            return with_handler[0]
        raise LookupError(f"no Worker has the cron trigger {cron!r}")

    def _entrypoint(self, worker: LoadedWorker, ctx: ExecutionContext) -> Any:
        if worker.module is None:
            raise RuntimeError("call LocalRuntime.load() first")
        return worker.module.Default(ctx, worker.env)

    def _schedule_cron(self, worker: LoadedWorker, expr: str, schedule: CronSchedule) -> None:
        at_ms = schedule.next_after_ms(self.services.now_ms())

        async def fire() -> None:
            # Re-arm first: a failing run must not stop the trigger.
            self._schedule_cron(worker, expr, schedule)
            try:
                await self.scheduled(expr, worker=worker.name)
            except (Exception, InvocationKilled):
                log.exception("scheduled handler of %s failed for %r", worker.name, expr)

        self.scheduler.schedule(_cron_key(worker, expr), at_ms, fire)

    # --- background work ------------------------------------------------------------------

    def _track(self, awaitable: Awaitable[Any]) -> asyncio.Future[Any]:
        # Work after the response is not part of the request's modelled latency.
        context = contextvars.copy_context()
        context.run(current_trace.set, None)
        task = (
            asyncio.get_running_loop().create_task(awaitable, context=context)
            if asyncio.iscoroutine(awaitable)
            else asyncio.ensure_future(awaitable)
        )
        self._pending.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("waitUntil task failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for every ``waitUntil`` task (tests call this before asserting on its effects)."""
        while True:
            for namespace in self.namespaces.values():
                await namespace.drain()
            if not self._pending:
                return
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def advance(self, ms: int) -> int:
        """Simulated clock: move time, firing alarms and crons at their times."""
        await self.drain()
        ran = await self.scheduler.advance(ms)
        await self.drain()
        return ran

    def evict_all(self) -> None:
        for namespace in self.namespaces.values():
            namespace.evict_all()

    def close(self) -> None:
        for binding in (*self._d1.values(), *self._kv.values(), *self._r2.values()):
            binding.close()
        for namespace in self.namespaces.values():
            namespace.close()
        self.queues.close()
        if self.zone_api is not None:
            self.zone_api.close()
        self.cache_storage.close()


def _cron_key(worker: LoadedWorker, expr: str) -> str:
    return f"cron:{worker.name}:{expr}"


def _import_main(config: WorkerConfig) -> ModuleType:
    if not on_path(config.module_root):
        raise ImportError(
            f"{config.name}: its module root {config.module_root} is not on sys.path; the entry "
            "point must call local_runtime.bootstrap.install_paths(repo_root, module_root) first"
        )
    name = config.main_module
    existing = sys.modules.get(name)
    if existing is not None and Path(getattr(existing, "__file__", "")).resolve() != config.main:
        raise ImportError(f"module name {name!r} is already taken by {existing.__file__}")
    return importlib.import_module(name)


def open_runtime(
    repo_root: Path,
    services: RuntimeServices,
    *,
    env_name: str | None = None,
    secrets: dict[str, str] | None = None,
) -> LocalRuntime:
    """The runtime for this repository: the main Worker plus every Worker under ``workers/``."""
    configs = [repo_root / "wrangler.toml", *sorted((repo_root / "workers").glob("*/wrangler.toml"))]
    runtime = LocalRuntime(configs, services, env_name=env_name, secrets=secrets)
    runtime.load()
    return runtime
