"""Benchmark: what TenantDO saves and costs (issue 5's figures for the closing note).

1. D1 write calls per 1,000 analytics events, one event per request (a page view each), at
   two rates: a busy tenant (1,000 events in 1 minute) and a quiet one (1,000 events spread
   over an hour), and unbuffered, measured the same way: the busy run again with the TenantDO's
   flush policy set to batches of one sent at once (``FlushPolicy(batch_size=1,
   max_wait_ms=0)``), which is every event written to D1 as it arrives.
2. Config D1 reads per 10,000 page views across 10 tenants over one simulated hour. Every
   view is signed in (a reader's token), so none is answered from the edge cache and each
   one asks its TenantDO for the config: the worst case for config reads. Target: at most
   one per tenant per 5 minutes (10 x 12 = 120). Without TenantDO (``CACHE_MODE=off``) every
   view reads the config from D1; that baseline is measured on the first tenth of the views.
3. CPU time of a draft save (``PUT /api/drafts/{slug}`` through the Worker, the RPC and the
   TenantDO's SQLite write, on the local runtime): p50 and p95 over many saves of a ~6 KB
   draft, each on the version the previous one returned.

Everything runs through ``Default.fetch`` on the local runtime with a simulated clock. D1
reads of the tenant row are counted at the local D1 engine (statements reading ``tenants``).

Prints one line per figure, then (last line) one JSON object with the figures.

    .venv/bin/python bench/tenant_do.py [--events 1000] [--views 10000] [--saves 400]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

import durable_objects.tenant as tenant_do  # noqa: E402
from grove.flush_policy import FlushPolicy  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.demo_content import THEMES, demo_posts  # noqa: E402
from grove_dev.platform import Platform  # noqa: E402
from grove_dev.seed import create_tenant, seed_posts  # noqa: E402
from local_runtime.bindings.d1.engine import D1Query  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402

TENANTS = ("autumn", "willow", "fern", "birch", "cedar", "maple", "alder", "hazel", "rowan", "aspen")
HOUR_MS = 60 * 60 * 1000
MINUTE_MS = 60 * 1000
CONFIG_RELOAD_MS = 5 * MINUTE_MS
DRAFT_PARAGRAPH = (
    "The beds that were bare last winter lost a surprising amount of soil to the rain. This "
    "year everything gets a blanket: two inches of leaf mould on the vegetable beds and a "
    "rough mulch of shredded prunings under the fruit bushes. "
)


async def _with_platform(run: Callable[[Platform, SimulatedClock], Awaitable[Any]], cache_mode: str = "on") -> Any:
    async with kit.bench_platform("tenant-do", secrets={"CACHE_MODE": cache_mode}) as (platform, clock):
        return await run(platform, clock)


def _token(platform: Platform, clock: SimulatedClock, tenant: str, role: str) -> str:
    """A token for the account ``bench`` with ``role`` on ``tenant``."""
    return kit.account_token(platform, clock, "bench", tenant=tenant, role=role, ttl_s=2 * 3600)


# --- 1. analytics ------------------------------------------------------------------------------


@contextmanager
def _analytics_flush(policy: FlushPolicy) -> Iterator[None]:
    """TenantDOs built meanwhile flush analytics by ``policy`` (they read it when constructed;
    the local runtime builds them in this process, on a fresh state dir per run)."""
    saved = tenant_do.ANALYTICS_FLUSH
    tenant_do.ANALYTICS_FLUSH = policy
    try:
        yield
    finally:
        tenant_do.ANALYTICS_FLUSH = saved


UNBUFFERED = FlushPolicy(batch_size=1, max_wait_ms=0)


async def analytics_write_calls(events: int, spread_ms: int) -> dict[str, int]:
    """D1 calls the flushes made for ``events`` single-event requests over ``spread_ms``."""

    async def run(platform: Platform, clock: SimulatedClock) -> dict[str, int]:
        runtime, stats = platform.runtime, platform.services.stats
        await create_tenant(runtime, "autumn", "Autumn")
        stats.reset()
        async for n in kit.spread(platform, events, spread_ms):
            body = json.dumps({"type": "page_view", "path": f"/blog/post-{n % 37}", "ts_ms": clock.now_ms()})
            # Each event from its own reader (CF-Connecting-IP), as page views are: the
            # per-address analytics limit (grove.limits) is about one client, not this sum.
            reader = {"cf-connecting-ip": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
            reply = await runtime.fetch("http://autumn.localhost/api/analytics", method="POST", body=body, headers=reader)
            await kit.ok(reply, 202)
        await runtime.advance(2 * MINUTE_MS)  # the last partial batch
        stored = await runtime.d1().prepare("SELECT COUNT(*) AS n FROM analytics_events").first("n")
        if stored != events:
            raise RuntimeError(f"{stored} of {events} events reached D1")
        return {"batch_calls": stats.get("d1.batches"), "statements": stats.get("d1.queries") - 1}

    return await _with_platform(run)


# --- 2. config reads ---------------------------------------------------------------------------


def _count_config_reads(platform: Platform) -> dict[str, int]:
    """Count statements reading a tenant's config (its theme column) as the local D1 engine
    runs them; the per-request credential check only asks whether the blog exists."""
    counter = {"config_reads": 0}

    def count(queries: Sequence[D1Query]) -> None:
        counter["config_reads"] += sum("FROM tenants" in query.sql and "theme" in query.sql for query in queries)

    kit.watch_d1(platform, count)
    return counter


async def config_reads(views: int, cache_mode: str) -> dict[str, int]:
    async def run(platform: Platform, clock: SimulatedClock) -> dict[str, int]:
        runtime = platform.runtime
        paths: dict[str, list[str]] = {}
        for index, tenant in enumerate(TENANTS):
            await create_tenant(runtime, tenant, f"{tenant.title()} Journal", tier="oak")
            posts = demo_posts(sorted(THEMES)[index % len(THEMES)], 3, seed=tenant, max_age_days=20)
            await seed_posts(runtime.d1(), runtime.r2(), tenant, posts, now_ms=clock.now_ms())
            paths[tenant] = ["/", "/blog"] + [f"/blog/{post.slug}" for post in posts]
        tokens = {tenant: _token(platform, clock, tenant, "reader") for tenant in TENANTS}
        counter = _count_config_reads(platform)
        async for n in kit.spread(platform, views, HOUR_MS):
            tenant = TENANTS[n % len(TENANTS)]
            path = paths[tenant][(n // len(TENANTS)) % len(paths[tenant])]
            headers = kit.bearer(tokens[tenant])
            await kit.ok(await runtime.fetch(f"http://{tenant}.localhost{path}", headers=headers), 200)
        return {"views": views, "config_reads": counter["config_reads"]}

    return await _with_platform(run, cache_mode=cache_mode)


# --- 3. draft saves ----------------------------------------------------------------------------


async def draft_save_cpu_ms(saves: int) -> dict[str, float]:
    async def run(platform: Platform, clock: SimulatedClock) -> dict[str, float]:
        runtime = platform.runtime
        await create_tenant(runtime, "autumn", "Autumn")
        headers = kit.bearer(_token(platform, clock, "autumn", "author"), json_body=True)
        base: int | None = None
        cpu_ms: list[float] = []
        text = DRAFT_PARAGRAPH * 24  # about 6 KB, a typical post in progress
        for n in range(saves):
            body: dict[str, Any] = {
                "content": f"{text}\n\nEdit {n}.",
                "metadata": {"title": "Leaf Mould in Twelve Months", "description": "Slow compost.", "tags": ["garden", "soil"]},
                "device_id": "laptop",
            }
            if base is not None:
                body["base_version"] = base
            data = json.dumps(body)
            started = time.process_time_ns()
            reply = await runtime.fetch("http://autumn.localhost/api/drafts/leaf-mould", method="PUT", headers=headers, body=data)
            answer = json.loads(await reply.text())
            cpu_ms.append((time.process_time_ns() - started) / 1e6)
            if reply.status not in (200, 201):
                raise RuntimeError(f"save {n}: {reply.status} {answer}")
            base = answer["version"]
            clock.advance(2_000)
        warm = cpu_ms[min(20, len(cpu_ms) // 10):]  # the first saves import and warm caches
        return {
            "draft_bytes": len(text.encode()) + 8,
            "p50_ms": round(kit.pct(warm, 50), 3),
            "p95_ms": round(kit.pct(warm, 95), 3),
            "saves": len(warm),
        }

    return await _with_platform(run)


# --- the run -------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    wall_start = time.perf_counter()
    busy = await analytics_write_calls(args.events, MINUTE_MS)
    quiet = await analytics_write_calls(args.events, HOUR_MS)
    with _analytics_flush(UNBUFFERED):
        unbuffered = await analytics_write_calls(args.events, MINUTE_MS)
    per_1000 = 1000 / args.events
    with_do = await config_reads(args.views, cache_mode="on")
    sample = max(len(TENANTS), args.views // 10)
    baseline = await config_reads(sample, cache_mode="off")
    saves = await draft_save_cpu_ms(args.saves)
    reload_bound = len(TENANTS) * (HOUR_MS // CONFIG_RELOAD_MS)
    return {
        "analytics_events": args.events,
        "d1_write_calls_per_1000_events_busy": round(busy["batch_calls"] * per_1000, 2),
        "d1_write_calls_per_1000_events_quiet": round(quiet["batch_calls"] * per_1000, 2),
        "d1_statements_per_1000_events_busy": round(busy["statements"] * per_1000, 2),
        "d1_write_calls_per_1000_events_unbuffered": round(unbuffered["batch_calls"] * per_1000, 2),
        "page_views": with_do["views"],
        "tenants": len(TENANTS),
        # Over the simulated hour, however many views: the reload interval bounds it.
        "config_d1_reads": with_do["config_reads"],
        "config_d1_reads_target_max": reload_bound,
        "config_d1_reads_per_10000_views_without_tenant_do": round(baseline["config_reads"] * 10_000 / baseline["views"], 1),
        "draft_bytes": saves["draft_bytes"],
        "draft_save_cpu_ms_p50": saves["p50_ms"],
        "draft_save_cpu_ms_p95": saves["p95_ms"],
        "draft_saves_measured": saves["saves"],
        "wall_s": round(time.perf_counter() - wall_start, 1),
    }


def table(summary: dict[str, object]) -> str:
    return "\n".join([
        f"D1 write calls per 1,000 analytics events: {summary['d1_write_calls_per_1000_events_busy']} (1,000/min), "
        f"{summary['d1_write_calls_per_1000_events_quiet']} (1,000/hour); "
        f"unbuffered (measured, 1,000/min): {summary['d1_write_calls_per_1000_events_unbuffered']}",
        f"config D1 reads for {summary['page_views']:,} page views, {summary['tenants']} tenants, 1 simulated hour: "
        f"{summary['config_d1_reads']} (target <= {summary['config_d1_reads_target_max']}); "
        f"without TenantDO: {summary['config_d1_reads_per_10000_views_without_tenant_do']} per 10,000 views",
        f"draft save CPU time ({summary['draft_bytes']} bytes): p50 {summary['draft_save_cpu_ms_p50']} ms, "
        f"p95 {summary['draft_save_cpu_ms_p95']} ms",
    ])


def main(argv: list[str] | None = None) -> int:
    options = kit.parser(__doc__)
    options.add_argument("--events", type=int, default=1000)
    options.add_argument("--views", type=int, default=10_000)
    options.add_argument("--saves", type=int, default=400)
    return kit.run(main_async, options.parse_args(argv), table)


if __name__ == "__main__":
    sys.exit(main())
