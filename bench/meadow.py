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

4. Fan-out (``grove.fanout``), run first so the loads above include a pull source: a post
   published through the API by an author with ``--small-followers`` active followers (push)
   and by one with ``--big-followers`` (over the threshold: pull; the reader of 1-3 follows
   them too); the local Queues binding delivers on the simulated clock with the latency model;
   counted per post: queue messages, Durable Object RPCs, D1 queries; measured on the simulated
   clock: the time from the write's acknowledgement until the last follower's feed holds the
   post (the local consumer runs one batch at a time and its RPCs one after another in modelled
   time: an upper bound of production, where consumers and RPCs run concurrently).

    .venv/bin/python bench/meadow.py [--authors 20] [--posts-per-author 40] [--loads 400]
        [--small-followers 1000] [--big-followers 100000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Sequence
from typing import Any

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from grove import sessions  # noqa: E402
from grove.meadow_policy import FEED_MAX_ITEMS, feed_object_name  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.platform import Platform  # noqa: E402
from grove_dev.seed import create_tenant  # noqa: E402
from local_runtime.bindings.d1.engine import D1Query  # noqa: E402
from local_runtime.bindings.durable_objects import DurableObjectNamespace  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402
from local_runtime.latency import RequestTrace  # noqa: E402

MEADOW = "http://meadow.localhost"
START_MS = 1_767_225_600_000


def _auth(clock: SimulatedClock, user: str) -> dict[str, str]:
    return kit.bearer(kit.token(clock, sub=user, tenant="autumn", role="reader", ttl_s=4 * 3600))


class StatementLog:
    """Every D1 statement the Worker sends from now on, split into the credential check
    (``grove.sessions``, one per signed-in request) and the rest."""

    def __init__(self, platform: Platform) -> None:
        self.credential = 0
        self.other = 0
        kit.watch_d1(platform, self._record)

    def _record(self, queries: Sequence[D1Query]) -> None:
        for query in queries:
            if query.sql == sessions._ACCESS_QUERY:
                self.credential += 1
            else:
                self.other += 1


class ObjectCalls:
    """Durable Object events delivered per class (RPCs, fetches, alarms), so a figure counts
    the fan-out's calls to feeds and author stores and not other objects' background alarms."""

    def __init__(self) -> None:
        self.by_class: dict[str, int] = {}
        self._deliver = deliver = DurableObjectNamespace._deliver
        calls = self

        async def counting(namespace: Any, slot: Any, invoke: Any) -> Any:
            calls.by_class[namespace.class_name] = calls.by_class.get(namespace.class_name, 0) + 1
            return await deliver(namespace, slot, invoke)

        DurableObjectNamespace._deliver = counting  # type: ignore[method-assign]

    def close(self) -> None:
        DurableObjectNamespace._deliver = self._deliver  # type: ignore[method-assign]

    def fanout(self) -> int:
        return self.by_class.get("FeedDO", 0) + self.by_class.get("AuthorPostsDO", 0)


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


async def _seed_followers(platform: Platform, author: str, followers: int, now_ms: int) -> None:
    """``author`` (an owner of autumn) and ``followers`` readers following them, each with a
    feed read just now (D1 ``feed_activity``), written in bulk (setup, not measured)."""
    db = platform.runtime.d1()
    await db.prepare("INSERT INTO users (id, email, display_name, created_at_ms) VALUES (?1, ?2, ?1, ?3)").bind(author, f"{author}@users.invalid", START_MS).run()
    await db.prepare("INSERT INTO memberships (tenant, user_id, role, created_at_ms) VALUES ('autumn', ?1, 'owner', ?2)").bind(author, START_MS).run()
    series = "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?2)"
    await db.batch([
        db.prepare(f"{series} INSERT INTO users (id, email, display_name, created_at_ms) SELECT ?1 || i, ?1 || i || '@users.invalid', ?1 || i, ?3 FROM n").bind(f"{author}-f", followers, START_MS),
        db.prepare(f"{series} INSERT INTO follows (follower_id, author_id, followed_at_ms) SELECT ?1 || i, ?4, ?3 FROM n").bind(f"{author}-f", followers, START_MS, author),
        db.prepare(f"{series} INSERT INTO feed_activity (user_id, active_at_ms) SELECT ?1 || i, ?3 FROM n").bind(f"{author}-f", followers, now_ms),
    ])


async def _fanout(platform: Platform, clock: SimulatedClock, calls: ObjectCalls, author: str, followers: int, *, pulled: bool) -> dict[str, Any]:
    """Publish one post as ``author`` and follow its fan-out to the end (see the docstring).
    ``pulled``: the author crossed the threshold earlier (the one-off marking of every
    follower's feed is not this post's cost; docs/capacity.md counts it)."""
    runtime = platform.runtime
    stats = platform.services.stats
    await _seed_followers(platform, author, followers, clock.now_ms())
    if pulled:
        await runtime.d1().prepare("INSERT INTO meadow_pull_authors (author_id, since_ms) VALUES (?1, ?2)").bind(author, START_MS).run()
    owner = kit.bearer(kit.token(clock, sub=author, tenant="autumn", role="owner", ttl_s=3600), json_body=True)
    reply = await runtime.fetch(
        "http://autumn.localhost/api/posts", method="POST", headers=owner,
        body=json.dumps({"title": f"News from {author}", "markdown": "Hello.", "status": "published"}),
    )
    post = json.loads(await reply.text())
    assert reply.status == 201, post
    await runtime.drain()
    acknowledged_ms = clock.now_ms()
    before = stats.snapshot()
    before_sent = before["queue.messages_sent"] - 1  # the write's own message counts for the post
    before_calls = calls.fanout()
    while runtime.queues.depth("meadow-fanout") > 0:
        await runtime.advance(100)
    done_ms = clock.now_ms()
    after = stats.snapshot()
    rpcs = calls.fanout() - before_calls
    env = runtime.worker().env
    if followers <= 5_000:  # push: every follower's feed holds the post (checked, not counted)
        for n in (0, followers - 1):
            stub = env.FEEDS.get(env.FEEDS.idFromName(feed_object_name(f"{author}-f{n}")))
            page = await stub.page("recent", None, 1)
            assert page["outcome"] == "page" and page["page"]["items"][0]["post_id"] == post["id"], page
        await runtime.advance(0)  # the alarms those loads set (activity reports) run now, not later
    return {
        "messages": after["queue.messages_sent"] - before_sent,
        "rpcs": rpcs,
        "do_rows_written": after["do.storage_rows_written"] - before["do.storage_rows_written"],
        "d1_queries": after["d1.queries"] - before["d1.queries"],
        "last_follower_s": round((done_ms - acknowledged_ms) / 1000, 1),
        "dead_lettered": after["queue.dead_lettered"],
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    start_ms = START_MS + args.authors * args.posts_per_author * 60_000 + 60_000
    async with kit.bench_platform("meadow", start_ms=start_ms, latency=True, secrets={"RATE_LIMIT_FOLLOW": "100000/60"}) as (platform, clock):
        runtime = platform.runtime
        stats = platform.services.stats
        await create_tenant(runtime, "autumn", "Autumn")
        await _seed(platform, args.authors, args.posts_per_author)

        # 4. Fan-out of one post, push then pull; rita follows the pull author too.
        calls = ObjectCalls()
        try:
            small = await _fanout(platform, clock, calls, "pusher", args.small_followers, pulled=False)
            big = await _fanout(platform, clock, calls, "star", args.big_followers, pulled=True)
        finally:
            calls.close()
        db = runtime.d1()
        await db.prepare("INSERT INTO follows (follower_id, author_id, followed_at_ms) VALUES ('rita', 'star', ?1)").bind(START_MS).run()

        log = StatementLog(platform)
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
        rows0 = (stats.get("do.storage_rows_read"), stats.get("do.storage_rows_written"))
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

        load_rows_read = (stats.get("do.storage_rows_read") - rows0[0]) / args.loads
        load_rows_written = (stats.get("do.storage_rows_written") - rows0[1]) / args.loads

        # 3. One follow's backfill.
        before_rows = stats.get("d1.rows_read")
        reply = await runtime.fetch(f"{MEADOW}/api/meadow/follows/author0", method="POST", headers=_auth(clock, "newcomer"))
        follow = json.loads(await reply.text())
        assert reply.status == 201, follow
        follow_rows = stats.get("d1.rows_read") - before_rows
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
        "feed_load_do_rows_read": round(load_rows_read, 1),
        "feed_load_do_rows_written": round(load_rows_written, 1),
        "feed_load_cpu_ms_p50": round(kit.pct(cpu_ms[warm], 50), 3),
        "feed_load_cpu_ms_p95": round(kit.pct(cpu_ms[warm], 95), 3),
        "feed_load_modelled_ms_p50": round(kit.pct(modelled_ms[warm], 50), 2),
        "feed_load_modelled_ms_p95": round(kit.pct(modelled_ms[warm], 95), 2),
        "follow_backfilled": follow["backfilled"],
        "follow_backfill_d1_rows_read": follow_rows,
        "fanout_small_followers": args.small_followers,
        "fanout_big_followers": args.big_followers,
        "fanout_rpcs_per_post_1k_followers": small["rpcs"],
        "fanout_rpcs_per_post_100k_followers": big["rpcs"],
        "fanout_queue_messages_per_post_1k_followers": small["messages"],
        "fanout_queue_messages_per_post_100k_followers": big["messages"],
        "fanout_d1_queries_per_post_1k_followers": small["d1_queries"],
        "fanout_do_rows_written_per_push": round(small["do_rows_written"] / max(1, small["rpcs"]), 2),
        "fanout_d1_queries_per_post_100k_followers": big["d1_queries"],
        "fanout_last_follower_modelled_s_1k_followers": small["last_follower_s"],
        "fanout_last_follower_modelled_s_100k_followers": big["last_follower_s"],
        "fanout_dead_lettered": big["dead_lettered"],
    }


def table(summary: dict[str, Any]) -> str:
    return "\n".join(f"{key:36} {value}" for key, value in summary.items())


def main(argv: list[str] | None = None) -> int:
    options = kit.parser(__doc__)
    options.add_argument("--authors", type=int, default=20)
    options.add_argument("--posts-per-author", type=int, default=40)
    options.add_argument("--loads", type=int, default=400)
    options.add_argument("--small-followers", type=int, default=1_000)
    options.add_argument("--big-followers", type=int, default=100_000)
    return kit.run(run, options.parse_args(argv), table)


if __name__ == "__main__":
    sys.exit(main())
