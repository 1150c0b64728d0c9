"""Benchmark: a post's live parts (PostMetaDO, issue 11's figures).

1. Reaction toggles, concurrent: ``--toggles`` toggles from ``--users`` users on one post, all
   sent at once; then the counts must equal the rows the toggles imply, and D1's
   ``post_reactions`` must hold exactly those rows after the 5-minute flush.
2. Reaction toggle cost, one at a time: CPU time of ``POST /api/posts/{slug}/reactions``
   through the Worker (token check, rate limiter, PostMetaDO RPC and its SQLite) on the local
   runtime, and its modelled latency with the published Cloudflare figures
   (``local_runtime.latency.LatencyProfile``): p50/p95.
3. Views: ``--views`` page views over one simulated hour, each a page GET (from the edge cache
   after the first) plus the page script's beacon, from ``--readers`` readers (so some views
   are repeats within 30 minutes). Counted: Durable Object requests per 1,000 views (all of
   them: the page's own read path, the post's object, the tenant's analytics buffer) and D1
   write calls per 1,000 views (the views flush and the analytics flush, reported apart).
4. Comments: ``--comments`` comments from 100 users over 10 simulated minutes; D1 write calls
   (batches carrying comment inserts) per 1,000 comments.

Everything runs through ``Default.fetch`` on the local runtime with a simulated clock.

    .venv/bin/python bench/post_meta.py [--toggles 1000] [--users 500] [--sequential 400]
                                        [--views 1000] [--readers 300] [--comments 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from grove.engagement import REACTION_FLUSH, REACTION_TYPES  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.platform import Platform  # noqa: E402
from grove_dev.seed import create_tenant  # noqa: E402
from local_runtime.bindings.d1.engine import D1Query  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402
from local_runtime.latency import RequestTrace  # noqa: E402

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
LIMITS = {"RATE_LIMIT_REACTION": "1000000/60", "RATE_LIMIT_COMMENT": "1000000/60"}
SLUG = "spring-beds"
POST_URL = f"http://autumn.localhost/api/posts/{SLUG}"


async def _with_platform(run: Callable[[Platform, SimulatedClock], Awaitable[Any]], *, latency: bool = False) -> Any:
    async with kit.bench_platform("post-meta", latency=latency, secrets=LIMITS) as (platform, clock):
        await create_tenant(platform.runtime, "autumn", "Autumn")
        owner = _auth(platform, clock, "ada", role="owner")
        reply = await platform.runtime.fetch(
            "http://autumn.localhost/api/posts", method="POST", headers=owner,
            body=json.dumps({"title": "Spring Beds", "markdown": "Mulch *everything*.", "status": "published"}),
        )
        await kit.ok(reply, 201)
        await platform.runtime.drain()
        return await run(platform, clock)


def _auth(platform: Platform, clock: SimulatedClock, user: str, *, role: str = "reader") -> dict[str, str]:
    return kit.bearer(kit.account_token(platform, clock, user, tenant="autumn", role=role, ttl_s=4 * 3600), json_body=True)


# --- 1. concurrent toggles ---------------------------------------------------------------------


async def concurrent_toggles(toggles: int, users: int) -> dict[str, Any]:
    async def run(platform: Platform, clock: SimulatedClock) -> dict[str, Any]:
        runtime = platform.runtime
        rng = random.Random(11)
        plan = [(f"u{rng.randrange(users)}", rng.choice(REACTION_TYPES)) for _ in range(toggles)]
        headers = {user: _auth(platform, clock, user) for user, _ in plan}

        async def toggle(user: str, kind: str) -> None:
            await kit.ok(await runtime.fetch(f"{POST_URL}/reactions", method="POST", headers=headers[user], body=json.dumps({"type": kind})), 200)

        await asyncio.gather(*(toggle(user, kind) for user, kind in plan))
        expected: set[tuple[str, str]] = set()
        for pair in plan:
            expected ^= {pair}
        want = {kind: sum(1 for _, k in expected if k == kind) for kind in REACTION_TYPES}
        counts = json.loads(await (await runtime.fetch(f"{POST_URL}/reactions")).text())["counts"]
        await runtime.advance(REACTION_FLUSH.max_wait_ms)
        rows = (await runtime.d1().prepare("SELECT user_id, reaction_type FROM post_reactions").all())["results"]
        stored = {(row["user_id"], row["reaction_type"]) for row in rows}
        return {"exact": counts == want, "d1_agrees": stored == expected, "rows": len(expected)}

    return await _with_platform(run)


# --- 2. one toggle's cost ------------------------------------------------------------------------


async def toggle_cost(toggles: int) -> dict[str, Any]:
    async def run(platform: Platform, clock: SimulatedClock) -> dict[str, Any]:
        runtime = platform.runtime
        # A reader reacts on a page they loaded: its build left the post's KV copy.
        await kit.ok(await runtime.fetch(f"http://autumn.localhost/blog/{SLUG}"), 200)
        await runtime.drain()
        cpu_ms: list[float] = []
        modelled_ms: list[float] = []
        ops: dict[str, int] = {}
        readers = [_auth(platform, clock, f"u{n}") for n in range(min(50, toggles))]
        for n in range(toggles):
            headers = readers[n % len(readers)]
            body = json.dumps({"type": REACTION_TYPES[n % len(REACTION_TYPES)]})
            trace = RequestTrace()
            started = time.process_time_ns()
            reply = await runtime.fetch(f"{POST_URL}/reactions", method="POST", headers=headers, body=body, trace=trace)
            await reply.text()
            cpu_ms.append((time.process_time_ns() - started) / 1e6)
            modelled_ms.append(trace.modelled_ms)
            for op, times in trace.ops.items():
                ops[op] = ops.get(op, 0) + times
            await kit.ok(reply, 200)
            await runtime.drain()
        warm = slice(min(20, toggles // 10), None)  # the first toggles import and warm caches
        return {
            "cpu_p50": kit.pct(cpu_ms[warm], 50), "cpu_p95": kit.pct(cpu_ms[warm], 95),
            "modelled_p50": kit.pct(modelled_ms[warm], 50), "modelled_p95": kit.pct(modelled_ms[warm], 95),
            "ops": {op: round(times / toggles, 2) for op, times in sorted(ops.items())},
        }

    return await _with_platform(run, latency=True)


# --- 3. views --------------------------------------------------------------------------------------


def _count_writes(platform: Platform) -> dict[str, int]:
    """D1 write calls (one batch or statement call each), by the table they write."""
    counter = {"posts": 0, "analytics_events": 0, "comments": 0}

    def count(queries: Sequence[D1Query]) -> None:
        for table in counter:
            if any(q.sql.lstrip().upper().startswith(("INSERT", "UPDATE")) and f" {table} " in f" {q.sql} " for q in queries):
                counter[table] += 1

    kit.watch_d1(platform, count)
    return counter


async def views(count: int, readers: int) -> dict[str, int]:
    async def run(platform: Platform, clock: SimulatedClock) -> dict[str, int]:
        runtime, stats = platform.runtime, platform.services.stats
        rng = random.Random(3)
        await kit.ok(await runtime.fetch(f"http://autumn.localhost/blog/{SLUG}"), 200)  # warm the caches
        await runtime.drain()
        writes = _count_writes(platform)
        stats.reset()
        page_do_requests = 0
        async for _ in kit.spread(platform, count, HOUR_MS):
            reader = rng.randrange(readers)
            who = {"cf-connecting-ip": f"10.0.{reader >> 8}.{reader & 255}", "user-agent": "Mozilla/5.0 bench"}
            before = stats.get("do.requests")
            await kit.ok(await runtime.fetch(f"http://autumn.localhost/blog/{SLUG}", headers=who), 200)
            await runtime.drain()
            page_do_requests += stats.get("do.requests") - before
            await kit.ok(await runtime.fetch(f"{POST_URL}/views", method="POST", headers=who), 202)
            await runtime.drain()
        do_requests = stats.get("do.requests")
        await runtime.advance(HOUR_MS)  # the hourly totals and the last analytics batch
        return {"do_requests": do_requests, "page_do_requests": page_do_requests, "alarms": stats.get("do.alarms"), "posts_writes": writes["posts"], "analytics_writes": writes["analytics_events"]}

    return await _with_platform(run)


# --- 4. comments -------------------------------------------------------------------------------------


async def comments(count: int) -> dict[str, int]:
    async def run(platform: Platform, clock: SimulatedClock) -> dict[str, int]:
        runtime = platform.runtime
        writes = _count_writes(platform)
        headers = [_auth(platform, clock, f"u{n}") for n in range(100)]
        async for n in kit.spread(platform, count, 10 * MINUTE_MS):
            body = json.dumps({"markdown": f"Comment {n}: *leaf mould* works."})
            await kit.ok(await runtime.fetch(f"{POST_URL}/comments", method="POST", headers=headers[n % 100], body=body), 201)
        await runtime.advance(MINUTE_MS)
        stored = await runtime.d1().prepare("SELECT COUNT(*) AS n FROM comments").first("n")
        if stored != count:
            raise RuntimeError(f"{stored} of {count} comments reached D1")
        return {"comment_writes": writes["comments"]}

    return await _with_platform(run)


# --- the run ---------------------------------------------------------------------------------------


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    wall_start = time.perf_counter()
    concurrent = await concurrent_toggles(args.toggles, args.users)
    cost = await toggle_cost(args.sequential)
    viewed = await views(args.views, args.readers)
    commented = await comments(args.comments)
    return {
        "concurrent_toggles": args.toggles,
        "concurrent_users": args.users,
        "counts_exact": concurrent["exact"],
        "d1_agrees_after_flush": concurrent["d1_agrees"],
        "reaction_rows": concurrent["rows"],
        "reaction_toggle_cpu_ms_p50": round(cost["cpu_p50"], 3),
        "reaction_toggle_cpu_ms_p95": round(cost["cpu_p95"], 3),
        "reaction_toggle_modelled_ms_p50": round(cost["modelled_p50"], 2),
        "reaction_toggle_modelled_ms_p95": round(cost["modelled_p95"], 2),
        "reaction_toggle_binding_ops": cost["ops"],
        "page_views": args.views,
        "readers": args.readers,
        "do_requests_per_1000_views": round(viewed["do_requests"] * 1000 / args.views, 1),
        "do_requests_per_1000_views_page": round(viewed["page_do_requests"] * 1000 / args.views, 1),
        "do_alarms_per_1000_views": round(viewed["alarms"] * 1000 / args.views, 1),
        "d1_writes_per_1000_views": round(viewed["posts_writes"] * 1000 / args.views, 2),
        "d1_analytics_writes_per_1000_views": round(viewed["analytics_writes"] * 1000 / args.views, 2),
        "comments": args.comments,
        "d1_writes_per_1000_comments": round(commented["comment_writes"] * 1000 / args.comments, 1),
        "wall_s": round(time.perf_counter() - wall_start, 1),
    }


def table(summary: dict[str, object]) -> str:
    return "\n".join([
        f"{summary['concurrent_toggles']} concurrent toggles from {summary['concurrent_users']} users: counts exact "
        f"{summary['counts_exact']}, D1 agrees after the flush {summary['d1_agrees_after_flush']} ({summary['reaction_rows']} rows)",
        f"reaction toggle CPU: p50 {summary['reaction_toggle_cpu_ms_p50']} ms, p95 {summary['reaction_toggle_cpu_ms_p95']} ms; "
        f"modelled latency p50 {summary['reaction_toggle_modelled_ms_p50']} ms, p95 {summary['reaction_toggle_modelled_ms_p95']} ms (target < 15); binding calls per toggle: {summary['reaction_toggle_binding_ops']}",
        f"{summary['page_views']} page views (page + beacon) from {summary['readers']} readers over an hour: "
        f"{summary['do_requests_per_1000_views']} DO requests per 1,000 views; D1 writes per 1,000 views: "
        f"{summary['d1_writes_per_1000_views']} (post totals; target <= 1 per post per hour), "
        f"{summary['d1_analytics_writes_per_1000_views']} (analytics events)",
        f"{summary['comments']} comments over 10 minutes: {summary['d1_writes_per_1000_comments']} D1 writes per 1,000 (target <= 40)",
    ])


def main(argv: list[str] | None = None) -> int:
    options = kit.parser(__doc__)
    options.add_argument("--toggles", type=int, default=1000)
    options.add_argument("--users", type=int, default=500)
    options.add_argument("--sequential", type=int, default=400)
    options.add_argument("--views", type=int, default=1000)
    options.add_argument("--readers", type=int, default=300)
    options.add_argument("--comments", type=int, default=1000)
    return kit.run(main_async, options.parse_args(argv), table)


if __name__ == "__main__":
    sys.exit(main())
