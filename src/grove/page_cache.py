"""The read-side caches in front of D1 and R2, and how a write clears them.

Layers, outermost first: the Cache API (``caches.default``: whole responses, per data centre,
kept for the tier's edge TTL), then KV (``CACHE_KV``: post and list data per tenant, kept for
the tier's KV TTL), then D1/R2.

Three rules keep readers from seeing stale content after a write is acknowledged in this
location, within one isolate:
- concurrent misses for one key share a single load (single-flight), and the flight key
  carries the tenant's write generation, so a reader arriving after a write never joins a
  load that started before it;
- a copy is stored only if no write to the tenant began since its data was read (the write
  bumps the generation after its D1 statement committed);
- a write waits for copies already being stored before it deletes, so a late store cannot
  land after the delete.
Across isolates or locations the TTLs bound what an unlucky race can leave behind.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from grove.bindings import Env, ExecutionContext, JsonValue
from grove.platform import Response, edge_delete, edge_match, edge_put
from grove.single_flight import SingleFlight

Loaded = tuple[JsonValue, int]  # (JSON-able value, KV TTL in seconds)

_flights = SingleFlight()


class _WriteFences:
    """Per-tenant write generations and the cache stores still under way."""

    def __init__(self) -> None:
        self._generation: dict[str, int] = {}
        self._stores: dict[str, set[asyncio.Future[None]]] = {}

    def generation(self, tenant: str) -> int:
        return self._generation.get(tenant, 0)

    def store_later(
        self, ctx: ExecutionContext, tenant: str, generation: int, store: Callable[[], Awaitable[object]]
    ) -> asyncio.Future[None]:
        async def guarded() -> None:
            if self.generation(tenant) == generation:
                await store()

        task = asyncio.ensure_future(guarded())
        pending = self._stores.setdefault(tenant, set())
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


_fences = _WriteFences()


def generation(tenant: str) -> int:
    """Capture before reading anything a copy will be made from."""
    return _fences.generation(tenant)


async def read_through(
    env: Env,
    ctx: ExecutionContext,
    *,
    tenant: str,
    generation_: int,
    key: str,
    load: Callable[[], Awaitable[Loaded]],
) -> JsonValue:
    """The JSON value under ``key`` in KV, else ``load()``'s (stored for its TTL)."""

    flight_key = f"{key}#{generation_}"

    async def fill() -> JsonValue:
        cached = await env.CACHE_KV.get(key, type="json")
        if cached is not None:
            return cached
        value, ttl_s = await load()
        stored = _fences.store_later(
            ctx,
            tenant,
            generation_,
            lambda: env.CACHE_KV.put(key, json.dumps(value, separators=(",", ":")), expirationTtl=ttl_s),
        )
        # Until the KV copy exists, later misses in this isolate share this value.
        _flights.hold(flight_key, value, stored)
        return value

    return await _flights.run(flight_key, fill)


async def edge_lookup(url: str) -> Response | None:
    return await edge_match(url)


def edge_store_later(ctx: ExecutionContext, tenant: str, generation_: int, url: str, response: Response) -> None:
    _fences.store_later(ctx, tenant, generation_, lambda: edge_put(url, response))


async def invalidate(env: Env, tenant: str, *, kv_keys: list[str], edge_urls: list[str]) -> None:
    """Drop every copy a write made stale; call after the write committed in D1."""
    await _fences.begin_write(tenant)
    await asyncio.gather(*(env.CACHE_KV.delete(key) for key in kv_keys))
    await asyncio.gather(*(edge_delete(url) for url in edge_urls))
