"""Benchmark: the tier migrator on a backlog (issue 12's figures).

``--posts`` posts (default 10,000) written into D1 as a platform without a migrator would hold
them: every post hot, published evenly over the last ``--max-age-days`` days (default 800),
never edited since, each ~``--words`` words. Then the cron Worker's trigger fires at 03:00 each
simulated day (the local runtime's scheduler, as production's would) until a run finishes its
pass (cursor done). Reported: runs needed, moves per run, posts per tier, and stored bytes:
D1's database size (``meta.size_after`` of the last statement, as D1 reports it) and the bytes
of the posts' content columns, R2's object bytes (``list``), before and after tiering.

    .venv/bin/python bench/tier_migrator.py [--posts 10000] [--max-age-days 800] [--words 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from grove.tiers import DAY_MS  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.demo_content import DemoPost  # noqa: E402
from grove_dev.platform import Platform  # noqa: E402
from grove_dev.seed import create_tenant, seed_posts  # noqa: E402
from post_migrator.migrate import MAX_MOVES_PER_RUN  # noqa: E402

SEED_CHUNK = 250
MAX_DAYS = 400  # a backlog that needs more runs than this is reported as unfinished


async def _stored(platform: Platform) -> dict[str, int]:
    db = platform.runtime.d1()
    result = await db.prepare(
        "SELECT COALESCE(SUM(LENGTH(CAST(markdown AS BLOB)) + LENGTH(CAST(html AS BLOB))), 0) AS content FROM posts"
    ).all()
    r2_bytes, cursor = 0, None
    while True:
        listing = await platform.runtime.r2().list(**({"cursor": cursor} if cursor else {}))
        r2_bytes += sum(obj.size for obj in listing["objects"])
        if not listing["truncated"]:
            break
        cursor = listing["cursor"]
    return {"d1_db_bytes": int(result["meta"]["size_after"]), "d1_content_bytes": int(result["results"][0]["content"]), "r2_bytes": r2_bytes}


async def _tiers(platform: Platform) -> dict[str, int]:
    rows = (await platform.runtime.d1().prepare(
        "SELECT storage_location, COUNT(*) AS n FROM posts GROUP BY storage_location"
    ).all())["results"]
    return {row["storage_location"]: row["n"] for row in rows}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    async with kit.bench_platform("tiers") as (platform, clock):
        await create_tenant(platform.runtime, "autumn", "Autumn")
        now_ms = clock.now_ms()
        body = " ".join(f"word{i % 97}" for i in range(args.words))
        for start in range(0, args.posts, SEED_CHUNK):
            chunk = range(start, min(start + SEED_CHUNK, args.posts))
            for i in chunk:  # each post at its own age, hot (seeded "new" at its publication time)
                age_ms = int(args.max_age_days * DAY_MS * i / max(args.posts - 1, 1))
                post = DemoPost(slug=f"p-{i:05d}", title=f"Post {i}", description="", tags=[], markdown=f"# Post {i}\n\n{body}", published_days_ago=0, edited_days_ago=0)
                await seed_posts(platform.runtime.d1(), platform.runtime.r2(), "autumn", [post], now_ms=now_ms - age_ms)
        before = {**await _stored(platform), "tiers": await _tiers(platform)}
        moves_per_run: list[int] = []
        started = time.perf_counter()
        finished = False
        for _ in range(MAX_DAYS):
            await platform.runtime.advance(DAY_MS)  # the 03:00 trigger fires on the way
            # Idle objects are evicted in production; here each keeps its SQLite file open,
            # and 10,000 PostContentDOs ran out of file descriptors (EMFILE) without this.
            platform.runtime.evict_all()
            last = await platform.runtime.d1().prepare(
                "SELECT moves_json, failed_json, cursor_json FROM migration_runs WHERE dry_run = 0 ORDER BY id DESC LIMIT 1"
            ).first()
            if last is None:
                continue
            moves_per_run.append(sum(json.loads(last["moves_json"]).values()))
            if last["cursor_json"] is None and last["failed_json"] == "[]":
                finished = True
                break
        wall_s = time.perf_counter() - started
        after = {**await _stored(platform), "tiers": await _tiers(platform)}
    summary = {
        "posts": args.posts, "max_moves_per_run": MAX_MOVES_PER_RUN, "finished": finished,
        "runs_needed": len(moves_per_run), "moves_per_run": moves_per_run, "moves_total": sum(moves_per_run),
        "before": before, "after": after,
        "d1_db_bytes_after_over_before": round(after["d1_db_bytes"] / before["d1_db_bytes"], 3),
        "wall_s_of_runs": round(wall_s, 1),
    }
    return summary


def table(summary: dict[str, Any], max_age_days: int) -> str:
    before, after = summary["before"], summary["after"]
    return "\n".join([
        f"{summary['posts']} posts, all hot, published over {max_age_days} days; cap {MAX_MOVES_PER_RUN} moves/run",
        f"runs needed: {summary['runs_needed']} (finished: {summary['finished']}); moves per run: {summary['moves_per_run']}",
        f"tiers before {before['tiers']} -> after {after['tiers']}",
        *(f"{key}: {before[key]:,} -> {after[key]:,}" for key in ("d1_db_bytes", "d1_content_bytes", "r2_bytes")),
    ])


def main(argv: list[str] | None = None) -> int:
    options = kit.parser(__doc__)
    options.add_argument("--posts", type=int, default=10_000)
    options.add_argument("--max-age-days", type=int, default=800)
    options.add_argument("--words", type=int, default=300)
    args = options.parse_args(argv)
    summary = asyncio.run(run(args))
    kit.report(summary, table(summary, args.max_age_days))
    return 0 if summary["finished"] else 1


if __name__ == "__main__":
    sys.exit(main())
