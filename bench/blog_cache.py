"""Benchmark: the blog's read path in several data centres, with and without KV, in one run.

Workload: 10 tenants x 100 published posts (realistic markdown, ages spread over every storage
tier, warm and cold content in R2), served from 3 locations (``LOCATIONS``: a share of the
traffic each). Over 60 simulated minutes, ``--views`` post-page views (default 100,000): each
view's location is drawn by its share, and its post by that location's own Zipf(s=1.1)
popularity (every location ranks the catalogue differently, so a post hot in one is often cold
in another). Among them, spread evenly: ``--edits`` post edits and ``--config-writes`` changes
of a tenant's display name (``PUT /api/config``), each made from a location (drawn by its
share) and followed at once by a view in that location (those views count as views).

Every request goes through the full Worker (``Default.fetch``) on the local runtime: one Cache
API per location, KV with its documented eventual consistency across locations (a location
answers from its copy of a key for 60 s; ``local_runtime.bindings.kv``), and the zone's purge
by tag served in process (``local_runtime.zone``), so a write's purge reaches every location's
Cache API as Cloudflare's does. A simulated clock carries the latency model
(``local_runtime.latency.LatencyProfile``: KV hot/cold reads from Cloudflare's published
figures, the other layers estimates, each named there), so every view has a modelled latency.

The same steps run twice on fresh state: with KV (``CACHE_MODE=on``) and without it
(``CACHE_MODE=edge``: the edge cache and the TenantDO's config, no KV copies); ``--baseline``
adds a third run with no caching at all (``CACHE_MODE=off``).

Every view's body is checked against the latest acknowledged post revision and display name.
A view showing an older one is a stale read: "in the writing location" when that location made
a write the view does not show (there must be none), else "elsewhere", with its age (view time
minus the acknowledgement of the first write it misses), which the purge and KV's propagation
window (``grove.tiers.KV_PROPAGATION_S``) bound.

The floor (what any design must take to D1), counted from this run's own log of views and
acknowledged writes, one D1 statement for each of:
- the first view of each distinct post (its row, in any location);
- each tenant's config, once per ``CONFIG_MAX_AGE_MS`` (5 min) in which the tenant is viewed:
  the fewest loads that keep every view's config that fresh, the freshness the TenantDO promises
  for changes made to D1 directly (counted greedily over each tenant's view times);
- each edit and each config write (its UPDATE).
D1 queries are counted by the local D1 binding over the whole run (views and writes).

Prints a table, then (last line) one JSON object with the figures. CPU figures are the local
runtime's CPU (CPython), not production's.

    .venv/bin/python bench/blog_cache.py [--views 100000] [--edits 50] [--config-writes 10] [--baseline]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Literal

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from durable_objects.tenant import CONFIG_MAX_AGE_MS  # noqa: E402
from grove.tenancy import insert_tenant  # noqa: E402
from grove.tiers import KV_PROPAGATION_S  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.demo_content import THEMES, DemoPost, demo_posts  # noqa: E402
from grove_dev.platform import Platform  # noqa: E402
from grove_dev.seed import seed_posts  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402
from local_runtime.latency import RequestTrace  # noqa: E402

TENANTS = ("autumn", "willow", "fern", "birch", "cedar", "maple", "alder", "hazel", "rowan", "aspen")
# Data centres and their share of the views (and of the writes).
LOCATIONS = {"ams": 0.45, "iad": 0.35, "sin": 0.20}
POSTS_PER_TENANT = 100
ZIPF_S = 1.1
DURATION_MS = 60 * 60 * 1000
ZONE = {"CF_ZONE_ID": "bench-zone", "CF_API_TOKEN": "bench-purge-token", "CF_API_BASE_URL": "http://zone-api.bench/client/v4"}
RUNS = {"kv": "on", "no_kv": "edge", "no_cache": "off"}  # label -> CACHE_MODE

PostKey = tuple[str, str]  # (tenant, slug)
StepKind = Literal["view", "edit", "config"]


@dataclass(frozen=True)
class Step:
    at_ms: int  # offset from the start of the run
    location: str
    tenant: str
    slug: str  # the post viewed or edited ("" for a config write)
    kind: StepKind = "view"


@dataclass(frozen=True)
class Write:
    """An acknowledged write: what it made current, where and when."""

    version: int
    location: str
    at_ms: int


@dataclass
class RunResult:
    label: str
    views: int = 0
    d1_queries: int = 0
    d1_queries_in_views: int = 0
    kv_reads: int = 0
    kv_hits: int = 0
    kv_location_hits: int = 0
    edge_hits: int = 0
    edge_lookups: int = 0
    purged_tags: int = 0
    stale_in_writing_location: int = 0
    stale_elsewhere: Counter[str] = field(default_factory=Counter)
    stale_elsewhere_max_ms: int = 0
    errors: int = 0
    cpu_us: list[float] = field(default_factory=list)
    modelled_ms: list[float] = field(default_factory=list)
    wall_s: float = 0.0


def _marker(revision: int) -> str:
    return f"Revision {revision}."


_REVISION = re.compile(r"Revision (\d+)\.")


def _display_name(tenant: str, version: int) -> str:
    # Zero-padded, so that no version's name is a prefix of another's.
    return f"{tenant.title()} Journal v{version:03d}"


def _posts_for(tenant_index: int, tenant: str, seed: str) -> list[DemoPost]:
    theme = list(THEMES)[tenant_index % len(THEMES)]
    posts = demo_posts(theme, POSTS_PER_TENANT, seed=f"{seed}:{tenant}", max_age_days=900)
    # A visible revision line, so a view proves which version it shows.
    return [dataclasses.replace(post, markdown=post.markdown + f"\n*{_marker(0)}*\n") for post in posts]


def build_workload(views: int, edits: int, config_writes: int, seed: str) -> tuple[list[Step], dict[PostKey, DemoPost]]:
    rng = random.Random(seed)
    catalogue = {(t, p.slug): p for i, t in enumerate(TENANTS) for p in _posts_for(i, t, seed)}
    cum_weights = list(itertools.accumulate(1.0 / (rank**ZIPF_S) for rank in range(1, len(catalogue) + 1)))
    # Each location ranks the catalogue on its own (popularity is local).
    ranked: dict[str, list[PostKey]] = {}
    for location in LOCATIONS:
        ranked[location] = list(catalogue)
        rng.shuffle(ranked[location])

    def popular(location: str) -> PostKey:
        return rng.choices(ranked[location], cum_weights=cum_weights, k=1)[0]

    locations, shares = list(LOCATIONS), list(LOCATIONS.values())
    writes = edits + config_writes
    zipf_views = views - writes  # each write is followed by one view
    at = [i * DURATION_MS // zipf_views for i in range(zipf_views)]
    steps = []
    for at_ms, location in zip(at, rng.choices(locations, weights=shares, k=zipf_views), strict=True):
        tenant, slug = popular(location)
        steps.append(Step(at_ms, location, tenant, slug))
    # Writes at evenly spaced moments, edits and config writes interleaved; popular posts are
    # edited most (they are cached everywhere: the hardest to keep fresh).
    kinds: list[StepKind] = ["edit"] * edits + ["config"] * config_writes
    rng.shuffle(kinds)
    out: list[Step] = []
    every = max(1, zipf_views // (writes + 1))
    config_tenants = itertools.cycle(TENANTS)
    for i, step in enumerate(steps):
        out.append(step)
        if kinds and (i + 1) % every == 0:
            kind = kinds.pop()
            location = rng.choices(locations, weights=shares, k=1)[0]
            tenant, slug = popular(location)
            if kind == "config":
                tenant = next(config_tenants)
                slug = next(s for t, s in ranked[location] if t == tenant)  # its most viewed post there
            out.append(Step(step.at_ms, location, tenant, slug if kind == "edit" else "", kind))
            out.append(Step(step.at_ms, location, tenant, slug))
    return out, catalogue


async def _seed(platform: Platform, catalogue: dict[PostKey, DemoPost]) -> None:
    runtime = platform.runtime
    for tenant in TENANTS:
        # Straight into D1 (no TenantDO refresh): the first view of each tenant loads its config.
        await insert_tenant(
            runtime.d1(), subdomain=tenant, display_name=_display_name(tenant, 0),
            theme={"accent": "#7a4b2a"}, tier="oak", now_ms=runtime.services.now_ms(),
        )
        posts = [post for (t, _), post in catalogue.items() if t == tenant]
        await seed_posts(runtime.d1(), runtime.r2(), tenant, posts, now_ms=runtime.services.now_ms())


class Freshness:
    """The acknowledged writes so far, and what a view of them must show."""

    def __init__(self) -> None:
        self.posts: dict[PostKey, list[Write]] = defaultdict(list)
        self.configs: dict[str, list[Write]] = defaultdict(list)

    @staticmethod
    def latest(writes: list[Write]) -> int:
        return writes[-1].version if writes else 0

    def missed(self, step: Step, body: str) -> list[Write]:
        """The writes this view does not show (empty: it is current)."""
        post_writes = self.posts[(step.tenant, step.slug)]
        shown = _REVISION.search(body)
        revision = int(shown.group(1)) if shown else -1
        missed = [w for w in post_writes if w.version > revision]
        config_writes = self.configs[step.tenant]
        if _display_name(step.tenant, self.latest(config_writes)) not in body:
            shown_config = max((w.version for w in config_writes if _display_name(step.tenant, w.version) in body), default=0)
            missed += [w for w in config_writes if w.version > shown_config]
        return missed


async def _write(platform: Platform, clock: SimulatedClock, step: Step, catalogue: dict[PostKey, DemoPost], fresh: Freshness) -> None:
    role = "author" if step.kind == "edit" else "owner"
    headers = kit.bearer(kit.account_token(platform, clock, "bench", tenant=step.tenant, role=role, ttl_s=600))
    if step.kind == "edit":
        writes = fresh.posts[(step.tenant, step.slug)]
        version = fresh.latest(writes) + 1
        markdown = catalogue[(step.tenant, step.slug)].markdown.replace(f"*{_marker(0)}*", f"*{_marker(version)}*")
        url, body = f"http://{step.tenant}.localhost/api/posts/{step.slug}", {"markdown": markdown}
    else:
        writes = fresh.configs[step.tenant]
        version = fresh.latest(writes) + 1
        url, body = f"http://{step.tenant}.localhost/api/config", {"display_name": _display_name(step.tenant, version)}
    reply = await platform.runtime.fetch(url, method="PUT", headers=headers, body=json.dumps(body))
    if reply.status != 200:
        raise RuntimeError(f"{step.kind} failed: {reply.status} {await reply.text()}")
    writes.append(Write(version, step.location, clock.now_ms()))  # acknowledged: readers must see it
    await platform.runtime.drain()


async def run(label: str, steps: list[Step], catalogue: dict[PostKey, DemoPost], *, cache_mode: str) -> RunResult:
    result = RunResult(label)
    async with kit.bench_platform(label, latency=True, secrets={"CACHE_MODE": cache_mode, **ZONE}) as (platform, clock):
        runtime, stats = platform.runtime, platform.services.stats
        zone = runtime.serve_zone_api(zone_id=ZONE["CF_ZONE_ID"], api_token=ZONE["CF_API_TOKEN"], base_url=ZONE["CF_API_BASE_URL"])
        await _seed(platform, catalogue)
        start_ms = clock.now_ms()
        stats.reset()
        fresh = Freshness()
        wall_start = time.perf_counter()
        for step in steps:
            due_ms = start_ms + step.at_ms
            if clock.now_ms() < due_ms:
                await runtime.advance(due_ms - clock.now_ms())
            runtime.location = step.location
            if step.kind != "view":
                await _write(platform, clock, step, catalogue, fresh)
                continue
            before = stats.snapshot()
            trace = RequestTrace()
            cpu_start = time.process_time_ns()
            reply = await runtime.fetch(f"http://{step.tenant}.localhost/blog/{step.slug}", trace=trace)
            body = (await reply.bytes()).decode()
            modelled_ms = trace.modelled_ms  # the response is out; waitUntil work follows
            await runtime.drain()
            result.cpu_us.append((time.process_time_ns() - cpu_start) / 1000)
            after = stats.snapshot()
            delta = {name: after[name] - before[name] for name in after}
            result.views += 1
            result.modelled_ms.append(modelled_ms)
            result.d1_queries_in_views += delta["d1.queries"]
            result.kv_reads += delta["kv.reads"]
            result.kv_hits += delta["kv.read_hits"]
            result.kv_location_hits += delta["kv.location_hits"]
            result.edge_hits += delta["cache.hits"]
            result.edge_lookups += delta["cache.hits"] + delta["cache.misses"]
            if reply.status != 200:
                result.errors += 1
                continue
            missed = fresh.missed(step, body)
            if any(w.location == step.location for w in missed):
                result.stale_in_writing_location += 1
            elif missed:
                result.stale_elsewhere[step.location] += 1
                age_ms = clock.now_ms() - min(w.at_ms for w in missed)
                result.stale_elsewhere_max_ms = max(result.stale_elsewhere_max_ms, age_ms)
        result.wall_s = time.perf_counter() - wall_start
        result.d1_queries = stats.get("d1.queries")
        result.purged_tags = len(zone.purged_tags)
    return result


# --- the floor -----------------------------------------------------------------------------------


def floor_counts(steps: list[Step]) -> dict[str, int]:
    """The D1 statements any design needs for these steps (see the module docstring), counted."""
    views = [s for s in steps if s.kind == "view"]
    loads = 0
    for tenant in {s.tenant for s in views}:
        loaded_at: int | None = None
        for step in views:
            if step.tenant == tenant and (loaded_at is None or step.at_ms - loaded_at >= CONFIG_MAX_AGE_MS):
                loads, loaded_at = loads + 1, step.at_ms
    return {
        "first_views": len({(s.tenant, s.slug) for s in views}),
        "config_loads": loads,
        "edits": sum(1 for s in steps if s.kind == "edit"),
        "config_writes": sum(1 for s in steps if s.kind == "config"),
    }


# --- figures -------------------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def _figures(result: RunResult, floor: int) -> dict[str, object]:
    per_1000 = 1000 / result.views
    return {
        "d1_queries": result.d1_queries,
        "d1_queries_in_views": result.d1_queries_in_views,
        "d1_queries_per_1000_views": round(result.d1_queries * per_1000, 3),
        "d1_vs_floor": _ratio(result.d1_queries, floor),
        "kv_reads_per_view": round(result.kv_reads / result.views, 4),
        "kv_hit_ratio": _ratio(result.kv_hits, result.kv_reads),
        "kv_hot_read_ratio": _ratio(result.kv_location_hits, result.kv_reads),
        "edge_hit_ratio": _ratio(result.edge_hits, result.edge_lookups),
        "stale_reads_after_write": result.stale_in_writing_location,
        "stale_reads_elsewhere_by_location": {loc: result.stale_elsewhere[loc] for loc in LOCATIONS},
        "cross_location_staleness_max_s": round(result.stale_elsewhere_max_ms / 1000, 3),
        "purged_tags": result.purged_tags,
        "errors": result.errors,
        "local_runtime_cpu_us_per_view_p50": round(kit.pct(result.cpu_us, 50), 1),
        "modelled_latency_ms_mean": round(statistics.fmean(result.modelled_ms), 3),
        "modelled_latency_ms_p50": round(kit.pct(result.modelled_ms, 50), 2),
        "modelled_latency_ms_p95": round(kit.pct(result.modelled_ms, 95), 2),
        "modelled_latency_ms_p99": round(kit.pct(result.modelled_ms, 99), 2),
        "wall_s": round(result.wall_s, 1),
    }


def summarise(results: dict[str, RunResult], steps: list[Step]) -> dict[str, object]:
    counts = floor_counts(steps)
    floor = sum(counts.values())
    kv = results["kv"]
    per_1000 = 1000 / kv.views
    runs = {label: _figures(result, floor) for label, result in results.items()}
    main = runs["kv"]
    summary: dict[str, object] = {
        "views": kv.views,
        "locations": list(LOCATIONS),
        "tenants": len(TENANTS),
        "floor": counts,
        "floor_per_1000_views": round(floor * per_1000, 3),
        **{k: main[k] for k in (
            "d1_queries", "d1_queries_per_1000_views", "d1_vs_floor", "kv_hit_ratio", "kv_hot_read_ratio",
            "kv_reads_per_view", "edge_hit_ratio", "stale_reads_after_write", "stale_reads_elsewhere_by_location",
            "cross_location_staleness_max_s", "local_runtime_cpu_us_per_view_p50", "modelled_latency_ms_mean",
            "modelled_latency_ms_p50", "modelled_latency_ms_p95", "modelled_latency_ms_p99",
        )},
        "cross_location_staleness_bound_s": KV_PROPAGATION_S,
        "d1_queries_per_1000_views_without_kv": runs["no_kv"]["d1_queries_per_1000_views"],
        "d1_vs_floor_without_kv": runs["no_kv"]["d1_vs_floor"],
        "d1_view_reads_saved_by_kv": results["no_kv"].d1_queries_in_views - kv.d1_queries_in_views,
        "errors": sum(r.errors for r in results.values()),
        "runs": runs,
    }
    return summary


def table(summary: dict[str, object]) -> str:
    runs: dict[str, dict[str, object]] = summary["runs"]  # type: ignore[assignment]
    labels = list(runs)
    rows = [
        ("D1 queries / 1,000 views", "d1_queries_per_1000_views"),
        ("D1 queries / floor", "d1_vs_floor"),
        ("edge hit ratio", "edge_hit_ratio"),
        ("KV reads / view", "kv_reads_per_view"),
        ("KV hit ratio (value found)", "kv_hit_ratio"),
        ("  answered by the location's copy", "kv_hot_read_ratio"),
        ("stale reads, writing location", "stale_reads_after_write"),
        ("stale reads elsewhere", "stale_reads_elsewhere_by_location"),
        ("  oldest one, s after the write", "cross_location_staleness_max_s"),
        ("modelled latency mean (ms)", "modelled_latency_ms_mean"),
        ("modelled latency p50 (ms)", "modelled_latency_ms_p50"),
        ("modelled latency p95 (ms)", "modelled_latency_ms_p95"),
        ("modelled latency p99 (ms)", "modelled_latency_ms_p99"),
        ("local-runtime CPU us / view p50", "local_runtime_cpu_us_per_view_p50"),
    ]
    width = 34
    lines = [
        f"{summary['views']} views over {', '.join(summary['locations'])}; floor {summary['floor']} "  # type: ignore[arg-type]
        f"= {summary['floor_per_1000_views']} / 1,000 views",
        f"{'':{width}}" + "".join(f"{label:>22}" for label in labels),
        "-" * (width + 22 * len(labels)),
    ]
    for name, key in rows:
        cells = []
        for label in labels:
            value = runs[label][key]
            if isinstance(value, dict):
                value = "/".join(str(v) for v in value.values())
            cells.append(f"{value!s:>22}")
        lines.append(f"{name:{width}}" + "".join(cells))
    lines.append(f"cross-location staleness bound (KV propagation, after the purge): {summary['cross_location_staleness_bound_s']} s")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    steps, catalogue = build_workload(args.views, args.edits, args.config_writes, args.seed)
    labels = ["kv", "no_kv"] + (["no_cache"] if args.baseline else [])
    results = {label: await run(label, steps, catalogue, cache_mode=RUNS[label]) for label in labels}
    return summarise(results, steps)


def main(argv: list[str] | None = None) -> int:
    options = kit.parser(__doc__)
    options.add_argument("--views", type=int, default=100_000)
    options.add_argument("--edits", type=int, default=50)
    options.add_argument("--config-writes", type=int, default=10)
    options.add_argument("--seed", default="grove")
    options.add_argument("--baseline", action="store_true", help="also run with no caching at all (CACHE_MODE=off)")
    return kit.run(main_async, options.parse_args(argv), table)


if __name__ == "__main__":
    sys.exit(main())
