"""Benchmark: Meadow's feed (issue 13's figures that exist so far).

1. Rebuild: a reader whose ``--authors`` follows reached D1 without their FeedDO (never built)
   loads the feed once; counted: D1 queries and rows read by that load beyond the credential
   check (the feed's one rebuild), and the items it holds after.
2. Feed loads: ``--loads`` loads of the built feed (``recent`` and ``relevance`` in turn, each
   walking to a page by cursor), through ``Default.fetch`` on the local runtime with the
   latency model of ``local_runtime/latency.py``; counted per load: D1 queries of the feed
   (all D1 queries minus the credential check every signed-in request makes), the credential
   check, Durable Object calls; measured: CPU time p50/p95 and modelled latency p50/p95.
3. Follow: one follow of an author with ``--posts-per-author`` posts; D1 rows read by its
   backfill.

Fan-out figures (queue messages and FeedDO RPCs per published post) are not here: the Queues
fan-out is not built yet.

    .venv/bin/python bench/meadow.py [--authors 20] [--posts-per-author 40] [--loads 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from grove import sessions  # noqa: E402
from grove.auth import mint_token  # noqa: E402
from grove.meadow_policy import FEED_MAX_ITEMS  # noqa: E402
from grove_dev.platform import Platform, start_platform  # noqa: E402
from grove_dev.seed import create_tenant  # noqa: E402
from local_runtime.bindings.d1 import D1Database  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402
from local_runtime.latency import LatencyProfile, RequestTrace  # noqa: E402

SECRET = "bench-secret"
MEADOW = "http://meadow.localhost"
START_MS = 1_767_225_600_000


def _auth(clock: SimulatedClock, user: str) -> dict[str, str]:
    token = mint_token(SECRET, sub=user, tenant="autumn", role="reader", ttl_s=4 * 3600, now_ms=clock.now_ms(), jti=uuid.uuid4().hex)
    return {"authorization": f"Bearer {token}"}


class StatementLog:
    """Every D1 statement the Worker sends, split into the credential check (``grove.sessions``,
    one per signed-in request) and the rest."""

    def __init__(self) -> None:
        self.credential = 0
        self.other = 0
        execute = D1Database._execute
        log = self

        async def recording(db: Any, queries: Any) -> Any:
            for query in queries:
                if query.sql == sessions._ACCESS_QUERY:
                    log.credential += 1
                else:
                    log.other += 1
            return await execute(db, queries)

        D1Database._execute = recording  # type: ignore[method-assign]


def _pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def _seed(platform: Platform, authors: int, posts_per_author: int) -> None:
    """Accounts and published posts written straight into D1 (setup, not measured)."""
    db = platform.runtime.d1()
    users = ["rita", "sam", "newcomer", *(f"author{a}" for a in range(authors))]
    await db.batch([
        db.prepare("INSERT INTO users (id, email, display_name, created_at_ms) VALUES (?1, ?2, ?3, ?4)").bind(u, f"{u}@users.invalid", u.title(), START_MS)
        for u in users
    ])
    statements = []
    for a in range(authors):
        for p in range(posts_per_author):
            published = START_MS + (p * authors + a) * 60_000
            statements.append(db.prepare(
                "INSERT INTO posts (id, tenant, slug, title, description, tags, status, author_id, markdown, html,"
                " created_at_ms, updated_at_ms, published_at_ms) VALUES (?1, 'autumn', ?2, ?3, 'A note.', '[\"garden\"]',"
                " 'published', ?4, 'x', '<p>x</p>', ?5, ?5, ?5)"
            ).bind(uuid.uuid4().hex, f"a{a}-p{p}", f"Author {a}, post {p}", f"author{a}", published))
    for start in range(0, len(statements), 200):
        await db.batch(statements[start : start + 200])
    follows = [
        db.prepare("INSERT INTO follows (follower_id, author_id, followed_at_ms) VALUES (?1, ?2, ?3)").bind(reader, f"author{a}", START_MS)
        for reader in ("rita", "sam") for a in range(authors)
    ]
    await db.batch(follows)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="grove-bench-meadow-") as state:
        clock = SimulatedClock(START_MS + args.authors * args.posts_per_author * 60_000 + 60_000)
        platform = start_platform(Path(state), clock=clock, latency=LatencyProfile(), secrets={"JWT_SECRET": SECRET, "RATE_LIMIT_FOLLOW": "100000/60"})
        runtime = platform.runtime
        stats = platform.services.stats
        try:
            await create_tenant(runtime, "autumn", "Autumn")
            await _seed(platform, args.authors, args.posts_per_author)

            log = StatementLog()
            # 1. The rebuild of a never-built feed.
            before_q, before_rows = log.other, stats.get("d1.rows_read")
            reply = await runtime.fetch(f"{MEADOW}/api/meadow/feed?limit=1", headers=_auth(clock, "rita"))
            body = json.loads(await reply.text())
            assert reply.status == 200 and body["partial"] is False, body
            rebuild_queries = log.other - before_q
            rebuild_rows = stats.get("d1.rows_read") - before_rows - 1  # the credential check reads one row
            await runtime.drain()

            rebuilt_items = 0
            walk: str | None = ""
            while walk is not None:
                page = await runtime.fetch(f"{MEADOW}/api/meadow/feed?limit=50" + (f"&cursor={walk}" if walk else ""), headers=_auth(clock, "rita"))
                walked = json.loads(await page.text())
                rebuilt_items += len(walked["items"])
                walk = walked["next_cursor"]
            assert rebuilt_items <= FEED_MAX_ITEMS

            # 2. Loads of the built feed.
            cpu_ms: list[float] = []
            modelled_ms: list[float] = []
            feed_queries = credential_queries = 0
            do_calls = 0
            cursors: dict[str, str | None] = {}
            for n in range(args.loads):
                sort = "recent" if n % 2 == 0 else "relevance"
                cursor = cursors.get(sort) if n % 4 >= 2 else None  # every other load of a sort pages on
                query = f"?limit=20&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
                headers = _auth(clock, "rita")
                trace = RequestTrace()
                q0, c0 = log.other, log.credential
                started = time.process_time_ns()
                reply = await runtime.fetch(f"{MEADOW}/api/meadow/feed{query}", headers=headers, trace=trace)
                text = await reply.text()
                cpu_ms.append((time.process_time_ns() - started) / 1e6)
                if reply.status != 200:
                    raise RuntimeError(f"feed load {n}: {reply.status} {text}")
                modelled_ms.append(trace.modelled_ms)
                feed_queries += log.other - q0
                credential_queries += log.credential - c0
                do_calls += trace.ops.get("do_call", 0)
                cursors[sort] = json.loads(text)["next_cursor"]
                await runtime.drain()

            # 3. One follow's backfill.
            before_rows = stats.get("d1.rows_read")
            reply = await runtime.fetch(f"{MEADOW}/api/meadow/follows/author0", method="POST", headers=_auth(clock, "newcomer"))
            follow = json.loads(await reply.text())
            assert reply.status == 201, follow
            follow_rows = stats.get("d1.rows_read") - before_rows
        finally:
            await runtime.drain()
            runtime.close()
    warm = slice(min(20, args.loads // 10), None)
    return {
        "authors_followed": args.authors,
        "posts_per_author": args.posts_per_author,
        "feed_items_after_rebuild": rebuilt_items,
        "rebuild_d1_queries": rebuild_queries,
        "rebuild_d1_rows_read": rebuild_rows,
        "feed_loads": args.loads,
        "feed_load_d1_queries": round(feed_queries / args.loads, 3),
        "feed_load_credential_d1_queries": round(credential_queries / args.loads, 3),
        "feed_load_do_calls": round(do_calls / args.loads, 2),
        "feed_load_cpu_ms_p50": round(_pct(cpu_ms[warm], 50), 3),
        "feed_load_cpu_ms_p95": round(_pct(cpu_ms[warm], 95), 3),
        "feed_load_modelled_ms_p50": round(_pct(modelled_ms[warm], 50), 2),
        "feed_load_modelled_ms_p95": round(_pct(modelled_ms[warm], 95), 2),
        "follow_backfilled": follow["backfilled"],
        "follow_backfill_d1_rows_read": follow_rows,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authors", type=int, default=20)
    parser.add_argument("--posts-per-author", type=int, default=40)
    parser.add_argument("--loads", type=int, default=400)
    summary = asyncio.run(run(parser.parse_args(argv)))
    for key, value in summary.items():
        print(f"{key:36} {value}")
    print(json.dumps(summary, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
