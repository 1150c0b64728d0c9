"""Benchmark: what the reader's blog costs in storage operations, counted (not timed).

1. **Feeds**: ``--fetches`` requests (default 1,000) for the Atom and RSS feeds of ``--blogs``
   blogs (the blog's feed and one tag's, Atom and RSS alternating), with a post edit in a random
   blog every ``--edit-every`` fetches. Reported: D1 queries per 1,000 feed fetches, against
   the floor: one query per (blog, feed) and change, i.e. the first build of each feed plus one
   rebuild per edit of its blog for each of its feeds that is fetched again afterwards (Atom and
   RSS share one read: they are two views of the same data), plus the TenantDO's config reloads
   from D1 (every 5 minutes per blog, ``durable_objects/tenant.py``; counted from the SQL the D1
   binding receives). The D1 queries of the edits themselves are not counted (they are the writes).
2. **Missing slugs**: ``--probes`` requests (default 1,000) for made-up slugs that pass the slug
   rule, ``--repeat`` requests per slug within the 404's edge TTL. Reported: KV writes caused
   (target 0 after the first per slug; the app makes none at all), KV reads and D1 queries per
   slug after its first probe (target 0: the edge copy answers).

One data centre, caching on, the simulated clock; the full Worker (``Default.fetch`` on the
local runtime). Last line: JSON.

    .venv/bin/python bench/reader_blog.py [--fetches 1000] [--probes 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Sequence

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from grove.tiers import NOT_FOUND_EDGE_TTL_S  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.platform import Platform  # noqa: E402
from grove_dev.seed import create_tenant  # noqa: E402
from local_runtime.bindings.d1.engine import D1Query  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402

POSTS_PER_BLOG = 12
FEEDS = ("/feed.xml", "/rss.xml", "/tags/notes/feed.xml", "/tags/notes/rss.xml")


def _url(blog: str, path: str) -> str:
    return f"http://{blog}.localhost{path}"


async def _seed(platform: Platform, clock: SimulatedClock, blogs: list[str]) -> dict[str, dict[str, str]]:
    runtime = platform.runtime
    auths: dict[str, dict[str, str]] = {}
    for blog in blogs:
        await create_tenant(runtime, blog, blog.title())
        auths[blog] = kit.bearer(kit.account_token(platform, clock, "bench", tenant=blog, role="owner", ttl_s=86_400), json_body=True)
        for n in range(POSTS_PER_BLOG):
            body = {"title": f"Note {n}", "markdown": f"Note *{n}*.", "status": "published", "tags": ["notes"] if n % 2 else []}
            reply = await runtime.fetch(_url(blog, "/api/posts"), method="POST", headers=auths[blog], body=json.dumps(body))
            assert reply.status == 201, await reply.text()
            clock.advance(10_000)  # the per-user post_create limit: 10 a minute
    await runtime.drain()
    return auths


class ConfigReads:
    """Counts the D1 statements that read the tenants table (the TenantDO's config reloads)."""

    def __init__(self, platform: Platform) -> None:
        self.count = 0
        kit.watch_d1(platform, self._record)

    def _record(self, queries: Sequence[D1Query]) -> None:
        self.count += sum(1 for q in queries if " FROM tenants" in q.sql)


async def feeds(fetches: int, blogs_n: int, edit_every: int, rng: random.Random) -> dict[str, object]:
    async with kit.bench_platform("reader-feeds") as (platform, clock):
        config_reads = ConfigReads(platform)
        runtime, stats = platform.runtime, platform.services.stats
        blogs = [f"blog{n}" for n in range(blogs_n)]
        auths = await _seed(platform, clock, blogs)
        # Which (blog, feed data) pairs are current: a fetch of a stale one is a floor read.
        current: set[tuple[str, str]] = set()
        floor = edits = d1_by_fetches = reloads = 0
        for n in range(fetches):
            if n and n % edit_every == 0:
                blog = rng.choice(blogs)
                slug = f"note-{rng.randrange(POSTS_PER_BLOG)}"
                reply = await runtime.fetch(_url(blog, f"/api/posts/{slug}"), method="PUT", headers=auths[blog], body=json.dumps({"title": f"Edited {n}"}))
                assert reply.status == 200, await reply.text()
                await runtime.drain()
                current = {pair for pair in current if pair[0] != blog}
                edits += 1
            blog, path = rng.choice(blogs), FEEDS[n % len(FEEDS)]
            data = "tag" if "/tags/" in path else "blog"
            if (blog, data) not in current:
                floor += 1
                current.add((blog, data))
            before, config_before = stats.get("d1.queries"), config_reads.count
            reply = await runtime.fetch(_url(blog, path))
            assert reply.status == 200, await reply.text()
            await reply.bytes()
            await runtime.drain()
            d1_by_fetches += stats.get("d1.queries") - before
            reloads += config_reads.count - config_before
            clock.advance(1000)
        return {
            "feed_fetches": fetches,
            "feed_edits": edits,
            "d1_queries_per_1000_feed_fetches": round(d1_by_fetches * 1000 / fetches, 2),
            "feed_floor_per_1000_fetches": round((floor + reloads) * 1000 / fetches, 2),
            "feed_config_reloads": reloads,
            "feed_d1_vs_floor": round(d1_by_fetches / (floor + reloads), 3) if floor else None,
        }


async def missing(probes: int, repeat: int, rng: random.Random) -> dict[str, object]:
    async with kit.bench_platform("reader-missing") as (platform, clock):
        runtime, stats = platform.runtime, platform.services.stats
        await _seed(platform, clock, ["probed"])
        slugs = [f"no-such-{rng.getrandbits(48):012x}" for _ in range(max(1, probes // repeat))]
        counts = {name: 0 for name in ("kv.writes", "kv.reads", "d1.queries")}
        first_counts = dict(counts)
        seen: set[str] = set()
        # Each slug's probes fall within the 404's edge TTL (one second apart at most).
        order = [slug for slug in slugs for _ in range(repeat)][:probes]
        rng.shuffle(order)
        window_s = max(1, NOT_FOUND_EDGE_TTL_S // 2)
        for n, slug in enumerate(order):
            before = {name: stats.get(name) for name in counts}
            reply = await runtime.fetch(_url("probed", f"/blog/{slug}"), headers={"accept": "text/html" if n % 2 else "application/json"})
            assert reply.status == 404
            await reply.bytes()
            await runtime.drain()
            delta = {name: stats.get(name) - before[name] for name in counts}
            target = first_counts if slug not in seen else counts
            for name, value in delta.items():
                target[name] += value
            seen.add(slug)
            if n % 50 == 49:
                clock.advance(1000 * window_s // 50 or 1)
        repeats = len(order) - len(seen)
        return {
            "missing_slug_requests": len(order),
            "missing_slugs": len(seen),
            "kv_writes_for_missing_slugs": first_counts["kv.writes"] + counts["kv.writes"],
            "kv_writes_after_first_probe": counts["kv.writes"],
            "d1_queries_per_first_probe": round(first_counts["d1.queries"] / len(seen), 3),
            "d1_queries_after_first_probe": counts["d1.queries"],
            "kv_reads_after_first_probe": counts["kv.reads"],
            "repeat_probes": repeats,
        }


async def main_async(args: argparse.Namespace) -> dict[str, object]:
    rng = random.Random(args.seed)
    return {**await feeds(args.fetches, args.blogs, args.edit_every, rng), **await missing(args.probes, args.repeat, rng)}


def table(result: dict[str, object]) -> str:
    return "\n".join([
        f"feeds: {result['d1_queries_per_1000_feed_fetches']} D1 queries per 1,000 fetches "
        f"(floor {result['feed_floor_per_1000_fetches']}, {result['feed_edits']} edits; ratio {result['feed_d1_vs_floor']})",
        f"missing slugs: {result['missing_slug_requests']} requests for {result['missing_slugs']} slugs: "
        f"{result['kv_writes_for_missing_slugs']} KV writes, {result['d1_queries_after_first_probe']} D1 queries and "
        f"{result['kv_reads_after_first_probe']} KV reads after each slug's first probe",
    ])


def main(argv: list[str] | None = None) -> int:
    options = kit.parser(__doc__)
    options.add_argument("--fetches", type=int, default=1000)
    options.add_argument("--blogs", type=int, default=3)
    options.add_argument("--edit-every", type=int, default=100)
    options.add_argument("--probes", type=int, default=1000)
    options.add_argument("--repeat", type=int, default=5)
    options.add_argument("--seed", default="grove")
    return kit.run(main_async, options.parse_args(argv), table)


if __name__ == "__main__":
    sys.exit(main())
