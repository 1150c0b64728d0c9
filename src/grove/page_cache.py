"""The read-side caches in front of D1 and R2, and how a write clears them.

Layers, outermost first: the Cache API (``caches.default``: whole responses, per data centre,
kept for the tier's edge TTL), then KV (``CACHE_KV``: post and list data per tenant, kept for
the tier's KV TTL), then D1/R2.

Correctness rests on storage every isolate sees, never on module state:

- every write moves the tenant's *cache stamp* in its TenantDO (``bump_cache_stamp``) after
  its D1 statement committed and before it deletes the copies it made stale;
- a reader takes the stamp with the tenant config (``tenant_config_and_stamp``), before it
  reads anything it will make copies from; after storing a copy it asks for the stamp again
  and, if it moved, deletes that copy itself: the write may have deleted before the copy
  landed. So a copy made from data read before a write never outlives the write by more than
  its own check (one TenantDO call), whichever isolates the reader and the writer ran in: the
  write bumps before it deletes, so either the check comes after the bump and sees it, or the
  store came before the check, so before the bump and before the write's delete, which removes it.

Module state, per isolate, is only an optimisation (production may run the next request in
another isolate or location, and the Pyodide lane runs the main Worker as two isolates):

- single-flight: concurrent misses for one key *in this isolate* share a single load, and the
  flight key carries this isolate's write generation, so a reader arriving after a write made in
  this isolate never joins a load that started before it;
- write fences: a copy is not even stored if a write in this isolate began since its data was
  read, and such a write waits for this isolate's stores under way before it deletes, which
  closes, within one isolate, the window between a late store and its stamp check.

Other locations: Cache API deletes reach this data centre only; the zone purge by tag
(``grove.purge``) and the TTLs cover the others, and KV's own propagation (up to 60 s).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from grove.bindings import Env, ExecutionContext, JsonValue
from grove.cache_keys import GENERATION_PATH, edge_url, list_tag, tenant_tag
from grove.cache_policy import edge_cache_control
from grove.models import TenantConfig
from grove.platform import Response, edge_delete, edge_match, edge_put
from grove.settings import Settings
from grove.single_flight import SingleFlight
from grove.tenancy import tenant_config_and_stamp, tenant_stub
from grove.tiers import GENERATION_EDGE_TTL_S, KV_PROPAGATION_S

log = logging.getLogger("grove.page_cache")

Loaded = tuple[JsonValue, int]  # (JSON-able value, KV TTL in seconds)
Store = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Snapshot:
    """What a reader knew about writes before reading anything it makes copies from."""

    tenant: str
    stamp: str | None  # the tenant's cache stamp (TenantDO): what every isolate sees
    generation: int  # this isolate's write generation for the tenant


@dataclass(frozen=True)
class EdgeGeneration:
    """What a tenant's edge copies in this data centre are built from, in their keys: the config
    version (``TenantConfig.updated_at_ms``, which every config write moves forward) and the
    cache stamp (which every write moves). A write then makes every page it changed unreachable
    by changing the generation, instead of finding and deleting each page: a config write
    costs the same with 100 posts or 100,000. Kept in the Cache API itself (one small entry per
    tenant and location, ``GENERATION_PATH``), so a cached view costs two lookups and no call
    to the TenantDO."""

    config_version: int
    stamp: str

    def for_post(self) -> str:
        # A post page shows the config; its own changes are deleted by URL (one post, O(1)).
        return f"c{self.config_version}"

    def for_list(self) -> str:
        return f"c{self.config_version}-s{self.stamp}"

    @classmethod
    def of(cls, config: TenantConfig, snapshot: Snapshot) -> EdgeGeneration:
        return cls(config.updated_at_ms, snapshot.stamp or "0")


def edge_ttl_after_writes(snapshot: Snapshot, ttl_s: int, now_ms: int) -> int:
    """``ttl_s``, or less within ``KV_PROPAGATION_S`` of the tenant's last write: a KV value
    read then may predate the write in this location, so its page must not outlive the window.
    (The stamp starts with the time it was made: ``TenantDO.bump_cache_stamp``.)"""
    head = (snapshot.stamp or "").split("-", 1)[0]
    if not head.isascii() or not head.isdigit():
        return ttl_s
    settled_ms = int(head) + KV_PROPAGATION_S * 1000
    if now_ms >= settled_ms:
        return ttl_s
    return max(1, min(ttl_s, -(-(settled_ms - now_ms) // 1000)))


class _WriteFences:
    """Per-tenant write generations and the cache stores still under way, in this isolate."""

    def __init__(self) -> None:
        self._generation: dict[str, int] = {}
        self._stores: dict[str, set[asyncio.Future[None]]] = {}

    def generation(self, tenant: str) -> int:
        return self._generation.get(tenant, 0)

    def store_later(
        self, env: Env, ctx: ExecutionContext, snapshot: Snapshot, store: Store, undo: Store
    ) -> asyncio.Future[None]:
        async def guarded() -> None:
            if self.generation(snapshot.tenant) != snapshot.generation:
                return
            await store()
            await _undo_if_written_since(env, snapshot, undo)

        task = asyncio.ensure_future(guarded())
        pending = self._stores.setdefault(snapshot.tenant, set())
        pending.add(task)
        task.add_done_callback(pending.discard)
        # The response does not wait for the copy; the runtime keeps the isolate alive for it.
        ctx.waitUntil(task)
        return task

    async def begin_write(self, tenant: str) -> None:
        self._generation[tenant] = self.generation(tenant) + 1
        pending = list(self._stores.get(tenant, ()))
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


async def _undo_if_written_since(env: Env, snapshot: Snapshot, undo: Store) -> None:
    """The stamp check: a copy stored after a write moved the stamp is deleted again."""
    try:
        current = await tenant_stub(env, snapshot.tenant).cache_stamp()
    except Exception:
        log.exception("cache stamp of %s unreadable: dropping the copy just stored", snapshot.tenant)
        current = object()
    if current != snapshot.stamp:
        await undo()


_flights = SingleFlight()
_fences = _WriteFences()

# The classes of this module's per-isolate state (tests give "another isolate" fresh ones).
ISOLATE_STATE = (_WriteFences, SingleFlight)


async def reader_view(env: Env, settings: Settings, tenant: str) -> tuple[TenantConfig | None, Snapshot]:
    """The tenant's config and the snapshot its copies are checked against; call before reading
    anything a copy will be made from."""
    generation = _fences.generation(tenant)
    config, stamp = await tenant_config_and_stamp(env, settings, tenant)
    return config, Snapshot(tenant, stamp, generation)


async def read_through(
    env: Env, ctx: ExecutionContext, snapshot: Snapshot, *, key: str, load: Callable[[], Awaitable[Loaded]]
) -> JsonValue:
    """The JSON value under ``key`` in KV, else ``load()``'s (stored for its TTL; not stored
    when the TTL is 0)."""

    flight_key = f"{key}#{snapshot.generation}"

    async def fill() -> JsonValue:
        try:
            cached = await env.CACHE_KV.get(key, type="json")
        except Exception:
            # KV is a copy: when it fails the reader gets the source (D1/R2) instead of an
            # error, and no copy is stored (a put would fail the same way).
            log.warning("KV read of %s failed; serving from the source", key, exc_info=True)
            value, _ = await load()
            return value
        if cached is not None:
            return cached
        value, ttl_s = await load()
        if ttl_s <= 0:  # the loader says: not worth a KV copy (a slug with nothing there)
            return value
        stored = _fences.store_later(
            env,
            ctx,
            snapshot,
            lambda: env.CACHE_KV.put(key, json.dumps(value, separators=(",", ":")), expirationTtl=ttl_s),
            lambda: env.CACHE_KV.delete(key),
        )
        # Until the KV copy exists, later misses in this isolate share this value.
        _flights.hold(flight_key, value, stored)
        return value

    return await _flights.run(flight_key, fill)


async def edge_lookup(url: str) -> Response | None:
    return await edge_match(url)


def generation_url(tenant: str, root_domain: str) -> str:
    return edge_url(tenant, root_domain, GENERATION_PATH)


async def edge_generation(tenant: str, root_domain: str) -> EdgeGeneration | None:
    """This data centre's generation of the tenant's pages, if it has one."""
    hit = await edge_match(generation_url(tenant, root_domain))
    if hit is None:
        return None
    data = json.loads(await hit.text())
    return EdgeGeneration(int(data["config_version"]), str(data["stamp"]))


def store_generation_later(
    env: Env, ctx: ExecutionContext, snapshot: Snapshot, root_domain: str, generation: EdgeGeneration
) -> None:
    """Record ``generation`` for this data centre (checked against the stamp like any copy: one
    read before a write must not outlive it). Tagged like the pages, so a tenant or list purge
    in the zone drops it in every location; its short TTL bounds a purge that never arrived."""
    body = json.dumps({"config_version": generation.config_version, "stamp": generation.stamp})
    headers = {
        "content-type": "application/json",
        "cache-control": edge_cache_control(GENERATION_EDGE_TTL_S),
        "cache-tag": ",".join((tenant_tag(snapshot.tenant), list_tag(snapshot.tenant))),
    }
    url = generation_url(snapshot.tenant, root_domain)
    edge_store_later(env, ctx, snapshot, url, Response(body, status=200, headers=headers))


def edge_store_later(env: Env, ctx: ExecutionContext, snapshot: Snapshot, url: str, response: Response) -> None:
    _fences.store_later(env, ctx, snapshot, lambda: edge_put(url, response), lambda: edge_delete(url))


async def invalidate(
    env: Env,
    tenant: str,
    *,
    kv_puts: dict[str, Loaded] | None = None,
    kv_deletes: list[str] | None = None,
    edge_urls: list[str],
) -> None:
    """Write through the KV copies a write changed (``kv_puts``: key -> the new value and its
    TTL) and drop the edge copies it made stale; call after the write committed in D1.

    Two writes of one post may store their copies in either order; each writer asks for the
    stamp again after its puts and, if another write moved it meanwhile, deletes them: the
    later writer's copies (or a reader's fresh fill) then win."""
    await _fences.begin_write(tenant)
    stub = tenant_stub(env, tenant)
    stamp = await stub.bump_cache_stamp()  # before the deletes: see the module docstring
    puts = kv_puts or {}
    await asyncio.gather(
        *(
            env.CACHE_KV.put(key, json.dumps(value, separators=(",", ":")), expirationTtl=ttl_s)
            for key, (value, ttl_s) in puts.items()
        )
    )
    await asyncio.gather(*(env.CACHE_KV.delete(key) for key in kv_deletes or ()))
    await asyncio.gather(*(edge_delete(url) for url in edge_urls))
    if puts and await stub.cache_stamp() != stamp:
        await asyncio.gather(*(env.CACHE_KV.delete(key) for key in puts))
