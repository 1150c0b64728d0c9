"""Benchmark: the blog's caching read path against the roadmap's no-cache baseline.

Workload (issue 4): 10 tenants x 100 published posts (realistic markdown, ages spread over
every storage tier, warm and cold content in R2); 100,000 page views of post pages with
Zipf(s=1.1) popularity over 60 simulated minutes; 50 edits spread through the hour, each
followed by a view of the edited post (those 50 views are part of the 100,000).

Every request goes through the full Worker (``Default.fetch``) on the local runtime, on a
simulated clock with the latency model ``LatencyProfile()`` (each binding call adds its
modelled latency to the request's trace and moves the clock). It runs twice on fresh state:
with caching, and with ``CACHE_MODE=off`` (every view reads the post and the tenant config
from D1: the roadmap's "current state").

Every view's body is checked against the post's latest revision: a view showing an older
one after its edit was acknowledged counts as a stale read.

Prints a table, then (last line) one JSON object with the figures.

    .venv/bin/python bench/blog_cache.py [--views 100000] [--edits 50] [--seed grove]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import itertools
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from grove.auth import mint_token  # noqa: E402
from grove.tenancy import insert_tenant  # noqa: E402
from grove_dev.accounts import ensure_account_sync  # noqa: E402
from grove_dev.demo_content import THEMES, DemoPost, demo_posts  # noqa: E402
from grove_dev.platform import Platform, start_platform  # noqa: E402
from grove_dev.seed import seed_posts  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402
from local_runtime.latency import LatencyProfile, RequestTrace  # noqa: E402

TENANTS = ("autumn", "willow", "fern", "birch", "cedar", "maple", "alder", "hazel", "rowan", "aspen")
POSTS_PER_TENANT = 100
ZIPF_S = 1.1
DURATION_MS = 60 * 60 * 1000
SECRET = "bench-secret"


@dataclass(frozen=True)
class Step:
    at_ms: int  # offset from the start of the run
    tenant: str
    slug: str
    edit: bool = False  # an edit of the post, then (next step) its view


@dataclass
class RunResult:
    label: str
    views: int = 0
    d1_queries: int = 0
    kv_reads: int = 0
    kv_hits: int = 0
    edge_hits: int = 0
    edge_lookups: int = 0
    stale_reads: int = 0
    errors: int = 0
    cpu_us: list[float] = field(default_factory=list)
    modelled_ms: list[float] = field(default_factory=list)
    modelled_ms_edge_hits: list[float] = field(default_factory=list)
    wall_s: float = 0.0


def _marker(revision: int) -> str:
    return f"Revision {revision}."


def _posts_for(tenant_index: int, tenant: str, seed: str) -> list[DemoPost]:
    theme = list(THEMES)[tenant_index % len(THEMES)]
    posts = demo_posts(theme, POSTS_PER_TENANT, seed=f"{seed}:{tenant}", max_age_days=900)
    # A visible revision line, so a view proves which version it shows.
    return [dataclasses.replace(post, markdown=post.markdown + f"\n*{_marker(0)}*\n") for post in posts]


def build_workload(views: int, edits: int, seed: str) -> tuple[list[Step], dict[tuple[str, str], DemoPost]]:
    rng = random.Random(seed)
    catalogue = {(t, p.slug): p for i, t in enumerate(TENANTS) for p in _posts_for(i, t, seed)}
    ranked = list(catalogue)
    rng.shuffle(ranked)  # popularity rank is independent of tenant and age
    cum_weights = list(itertools.accumulate(1.0 / (rank**ZIPF_S) for rank in range(1, len(ranked) + 1)))
    zipf_views = views - edits
    picks = rng.choices(ranked, cum_weights=cum_weights, k=zipf_views)
    steps = [Step(at_ms=i * DURATION_MS // zipf_views, tenant=t, slug=s) for i, (t, s) in enumerate(picks)]
    # Edits at evenly spaced moments, of posts drawn with the same popularity (popular posts
    # are the ones most likely to be cached everywhere, hence the hardest to keep fresh).
    edited = rng.choices(ranked, cum_weights=cum_weights, k=edits)
    out: list[Step] = []
    edit_every = max(1, zipf_views // (edits + 1))
    queue = list(edited)
    for i, step in enumerate(steps):
        out.append(step)
        if queue and (i + 1) % edit_every == 0:
            tenant, slug = queue.pop(0)
            out.append(Step(at_ms=step.at_ms, tenant=tenant, slug=slug, edit=True))
            out.append(Step(at_ms=step.at_ms, tenant=tenant, slug=slug))
    return out, catalogue


async def _seed(platform: Platform, catalogue: dict[tuple[str, str], DemoPost]) -> None:
    runtime = platform.runtime
    for tenant in TENANTS:
        # Straight into D1 (no TenantDO refresh): the first view of each tenant loads its config.
        await insert_tenant(
            runtime.d1(), subdomain=tenant, display_name=f"{tenant.title()} Journal",
            theme={"accent": "#7a4b2a"}, tier="oak", now_ms=runtime.services.now_ms(),
        )
        posts = [post for (t, _), post in catalogue.items() if t == tenant]
        await seed_posts(runtime.d1(), runtime.r2(), tenant, posts, now_ms=runtime.services.now_ms())


async def run(label: str, steps: list[Step], catalogue: dict[tuple[str, str], DemoPost], *, cache_mode: str) -> RunResult:
    result = RunResult(label)
    with tempfile.TemporaryDirectory(prefix=f"grove-bench-{label}-") as state:
        clock = SimulatedClock()
        platform = start_platform(
            Path(state), clock=clock, latency=LatencyProfile(), secrets={"JWT_SECRET": SECRET, "CACHE_MODE": cache_mode}
        )
        try:
            await _seed(platform, catalogue)
            runtime, stats = platform.runtime, platform.services.stats
            start_ms = clock.now_ms()
            stats.reset()
            revisions: dict[tuple[str, str], int] = {}
            wall_start = time.perf_counter()
            for step in steps:
                due_ms = start_ms + step.at_ms
                if clock.now_ms() < due_ms:
                    await runtime.advance(due_ms - clock.now_ms())
                key = (step.tenant, step.slug)
                if step.edit:
                    revision = revisions.get(key, 0) + 1
                    user_id = ensure_account_sync(runtime.d1(), "bench", tenant=step.tenant, role="author", now_ms=clock.now_ms())
                    token = mint_token(SECRET, sub=user_id, tenant=step.tenant, role="author", ttl_s=600, now_ms=clock.now_ms(), jti=uuid.uuid4().hex)
                    markdown = catalogue[key].markdown.replace(f"*{_marker(0)}*", f"*{_marker(revision)}*")
                    reply = await runtime.fetch(
                        f"http://{step.tenant}.localhost/api/posts/{step.slug}", method="PUT",
                        headers={"authorization": f"Bearer {token}"}, body=json.dumps({"markdown": markdown}),
                    )
                    if reply.status != 200:
                        raise RuntimeError(f"edit failed: {reply.status} {await reply.text()}")
                    revisions[key] = revision  # acknowledged: from now on readers must see it
                    await runtime.drain()
                    continue
                trace = RequestTrace()
                cpu_start = time.process_time_ns()
                reply = await runtime.fetch(f"http://{step.tenant}.localhost/blog/{step.slug}", trace=trace)
                body = (await reply.bytes()).decode()
                modelled_ms = trace.modelled_ms  # the response is out; waitUntil work follows
                await runtime.drain()
                result.cpu_us.append((time.process_time_ns() - cpu_start) / 1000)
                result.views += 1
                result.modelled_ms.append(modelled_ms)
                if trace.ops.get("cache_hit"):
                    result.modelled_ms_edge_hits.append(modelled_ms)
                result.kv_reads += trace.ops.get("kv_read_hit", 0) + trace.ops.get("kv_read_miss", 0)
                result.kv_hits += trace.ops.get("kv_read_hit", 0)
                if reply.status != 200:
                    result.errors += 1
                elif _marker(revisions.get(key, 0)) not in body:
                    result.stale_reads += 1
            result.wall_s = time.perf_counter() - wall_start
            result.d1_queries = stats.get("d1.queries")
            result.edge_hits = stats.get("cache.hits")
            result.edge_lookups = stats.get("cache.hits") + stats.get("cache.misses")
        finally:
            platform.runtime.close()
    return result


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def summarise(cached: RunResult, baseline: RunResult, steps: list[Step]) -> dict[str, object]:
    views = cached.views
    distinct = len({(s.tenant, s.slug) for s in steps if not s.edit})
    edits = sum(1 for s in steps if s.edit)
    floor = distinct + edits + len(TENANTS)
    per_1000 = 1000 / views
    return {
        "views": views,
        "edits": edits,
        "tenants": len(TENANTS),
        "distinct_posts_viewed": distinct,
        "d1_queries": cached.d1_queries,
        "d1_queries_per_1000_views": round(cached.d1_queries * per_1000, 3),
        "baseline_d1_queries_per_1000_views": round(baseline.d1_queries * 1000 / baseline.views, 3),
        "floor_per_1000_views": round(floor * per_1000, 3),
        "d1_vs_floor": _ratio(cached.d1_queries, floor),
        "kv_reads_per_view": round(cached.kv_reads / views, 4),
        "edge_hit_ratio": _ratio(cached.edge_hits, cached.edge_lookups),
        "kv_hit_ratio": _ratio(cached.kv_hits, cached.kv_reads),
        "stale_reads_after_write": cached.stale_reads,
        "baseline_stale_reads_after_write": baseline.stale_reads,
        "errors": cached.errors + baseline.errors,
        "cpu_us_per_view_p50": round(_pct(cached.cpu_us, 50), 1),
        "baseline_cpu_us_per_view_p50": round(_pct(baseline.cpu_us, 50), 1),
        "modelled_latency_ms_p50": round(_pct(cached.modelled_ms, 50), 2),
        "modelled_latency_ms_p95": round(_pct(cached.modelled_ms, 95), 2),
        "modelled_latency_ms_p95_cached_view": round(_pct(cached.modelled_ms_edge_hits, 95), 2),
        "baseline_modelled_latency_ms_p50": round(_pct(baseline.modelled_ms, 50), 2),
        "baseline_modelled_latency_ms_p95": round(_pct(baseline.modelled_ms, 95), 2),
        "wall_s": round(cached.wall_s + baseline.wall_s, 1),
    }


def table(summary: dict[str, object]) -> str:
    rows = [
        ("views", summary["views"], summary["views"]),
        ("D1 queries / 1,000 views", summary["d1_queries_per_1000_views"], summary["baseline_d1_queries_per_1000_views"]),
        ("  floor / 1,000 views", summary["floor_per_1000_views"], ""),
        ("KV reads / view", summary["kv_reads_per_view"], 0),
        ("edge hit ratio", summary["edge_hit_ratio"], 0),
        ("KV hit ratio", summary["kv_hit_ratio"], ""),
        ("stale reads after write", summary["stale_reads_after_write"], summary["baseline_stale_reads_after_write"]),
        ("CPU us / view p50", summary["cpu_us_per_view_p50"], summary["baseline_cpu_us_per_view_p50"]),
        ("modelled latency p50 (ms)", summary["modelled_latency_ms_p50"], summary["baseline_modelled_latency_ms_p50"]),
        ("modelled latency p95 (ms)", summary["modelled_latency_ms_p95"], summary["baseline_modelled_latency_ms_p95"]),
        ("  p95 of edge-cached views", summary["modelled_latency_ms_p95_cached_view"], ""),
    ]
    lines = [f"{'':30} {'cached':>12} {'no cache':>12}", "-" * 56]
    lines += [f"{name:30} {cached!s:>12} {base!s:>12}" for name, cached, base in rows]
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    steps, catalogue = build_workload(args.views, args.edits, args.seed)
    cached = await run("cached", steps, catalogue, cache_mode="on")
    baseline = await run("baseline", steps, catalogue, cache_mode="off")
    return summarise(cached, baseline, steps)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--views", type=int, default=100_000)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--seed", default="grove")
    args = parser.parse_args(argv)
    summary = asyncio.run(main_async(args))
    print(table(summary))
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
