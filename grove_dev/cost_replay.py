"""The workload behind `grove cost`: a sample of the blog platform replayed through the full
local runtime on the simulated clock, counted by the runtime's own operation counters.

A year of history first (every sampled user's posts published through ``POST /api/posts`` at
random times over 365 days), then three measured months of readers and edits:

- before tiering: no cron runs (the cron triggers are disarmed), every post stays where it is;
- the migration month: the cron triggers armed, so the post migrator Worker runs on its
  schedule (``runtime.advance`` fires it, as Cloudflare's cron does) and moves the year's
  backlog, a one-time cost;
- after tiering: the next month, the cron still running: tiering's steady state.

Views pick posts by a Zipf-like popularity (weight 1/rank, a random ranking) from many client
addresses; edits change a post's Markdown. Counters are reset at each month's start and read at
its end, with the stored bytes of D1, KV and R2 measured from the local stores.
"""

from __future__ import annotations

import json
import math
import os
import random
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grove.auth import mint_token
from grove.tiers import DAY_MS
from grove_dev.accounts import ensure_account_sync
from grove_dev.cost_model import MonthMeasured
from grove_dev.platform import Platform, start_platform
from grove_dev.seed import create_tenant
from local_runtime.clock import SimulatedClock

SECRET = "cost-report-secret"
MONTH_MS = 30 * DAY_MS
HISTORY_DAYS = 365
# Local-only raise of the post-create limit: the replay publishes a year of posts in minutes.
SECRETS = {"JWT_SECRET": SECRET, "RATE_LIMIT_POST_CREATE": "1000000/60"}
# In memory where the machine has a tmpfs: the stores' fsyncs are the replay's slowest part,
# and durability is no concern for a state thrown away at the end.
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") else None
PARAGRAPH = "Notes from the garden: the beans climbed the fence again, and the *compost* is warm. "


@dataclass(frozen=True)
class Workload:
    users: int = 100_000
    posts_per_user: int = 10
    views_per_month: int = 1_000_000
    sample_users: int = 50  # replayed; the rest are this sample scaled up (5 min on 2 shared cores)
    edits_per_post_per_month: float = 0.02
    seed: str = "grove-cost"

    def __post_init__(self) -> None:
        if min(self.users, self.posts_per_user, self.sample_users) < 1 or self.views_per_month < 0:
            raise ValueError("users, posts per user and the sample need to be positive")

    @property
    def replayed_users(self) -> int:
        return min(self.users, self.sample_users)

    @property
    def scale(self) -> float:
        """Each replayed user stands for this many users."""
        return self.users / self.replayed_users

    @property
    def replayed_views_per_month(self) -> int:
        return round(self.views_per_month / self.scale)

    @property
    def replayed_edits_per_month(self) -> int:
        return round(self.replayed_users * self.posts_per_user * self.edits_per_post_per_month)


@dataclass(frozen=True)
class Replayed:
    before: MonthMeasured
    migration: MonthMeasured  # the first month with the cron: the backlog's one-time moves
    after: MonthMeasured  # the month after it: tiering's steady state
    posts: int
    cron_runs: int  # every cron Worker run over both months with crons (the migrator daily, Trending hourly)
    tiers_before: dict[str, int]
    tiers_after: dict[str, int]
    d1_content_bytes_before: int
    d1_content_bytes_after: int


def _markdown(rng: random.Random, n: int) -> str:
    # 2-8 paragraphs (~0.2-0.7 KB): short posts, as on a small blog platform.
    return f"## Entry {n}\n\n" + "\n\n".join(
        PARAGRAPH * rng.randint(1, 3) for _ in range(rng.randint(2, 8))
    )


class _Replay:
    def __init__(self, platform: Platform, clock: SimulatedClock, workload: Workload) -> None:
        self.platform = platform
        self.runtime = platform.runtime
        self.clock = clock
        self.workload = workload
        self.rng = random.Random(workload.seed)
        self.owners: dict[str, str] = {}  # tenant -> user id
        self.posts: list[tuple[str, str]] = []  # (tenant, slug)
        self.baseline_bytes = self.runtime.stored_bytes()  # migrated, empty stores

    def _auth(self, tenant: str) -> dict[str, str]:
        token = mint_token(
            SECRET, sub=self.owners[tenant], tenant=tenant, role="owner", ttl_s=3600, now_ms=self.clock.now_ms(),
            jti=uuid.uuid4().hex,
        )  # fmt: skip
        return {"authorization": f"Bearer {token}", "content-type": "application/json"}

    async def _send(
        self, tenant: str, path: str, method: str = "GET", body: object = None
    ) -> dict[str, object] | None:
        headers = self._auth(tenant) if method != "GET" else {}
        headers["cf-connecting-ip"] = (
            f"198.51.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}"
        )
        init: dict[str, object] = {"method": method, "headers": headers}
        if body is not None:
            init["body"] = json.dumps(body)
        reply = await self.runtime.fetch(f"http://{tenant}.localhost{path}", **init)
        text = await reply.text()
        if reply.status >= 400:
            raise RuntimeError(f"{method} {tenant}{path}: {reply.status} {text[:300]}")
        return json.loads(text) if method != "GET" else None

    async def _at(self, events: list[tuple[int, Callable[[], object]]]) -> None:
        """Run events in time order, the simulated clock (alarms, crons) moving between them."""
        for at_ms, action in sorted(events, key=lambda e: e[0]):
            if at_ms > self.clock.now_ms():
                await self.runtime.advance(at_ms - self.clock.now_ms())
            await action()  # type: ignore[misc]
        await self.runtime.drain()

    async def history(self) -> None:
        w = self.workload
        start_ms = self.clock.now_ms()
        for n in range(w.replayed_users):
            tenant = f"user{n}"
            await create_tenant(self.runtime, tenant, f"User {n}")
            self.owners[tenant] = ensure_account_sync(
                self.runtime.d1(), tenant, tenant=tenant, role="owner", now_ms=start_ms
            )
        events: list[tuple[int, Callable[[], object]]] = []
        for tenant in self.owners:
            for _ in range(w.posts_per_user):
                events.append(
                    (start_ms + self.rng.randrange(HISTORY_DAYS * DAY_MS), self._publisher(tenant))
                )
        await self._at(events)

    def _publisher(self, tenant: str) -> Callable[[], object]:
        async def publish() -> None:
            n = len(self.posts)
            created = await self._send(
                tenant, "/api/posts", "POST",
                {"title": f"Entry {n}", "markdown": _markdown(self.rng, n), "status": "published"},
            )  # fmt: skip
            assert created is not None
            self.posts.append((tenant, str(created["slug"])))

        return publish

    async def month(self) -> MonthMeasured:
        """One month of views and edits from now; counters from its start to its end."""
        w = self.workload
        self.runtime.services.stats.reset()
        start_ms = self.clock.now_ms()
        ranking = list(range(len(self.posts)))
        self.rng.shuffle(ranking)
        weights = [1 / (rank + 1) for rank in range(len(ranking))]
        events: list[tuple[int, Callable[[], object]]] = []
        for index in self.rng.choices(ranking, weights=weights, k=w.replayed_views_per_month):
            tenant, slug = self.posts[index]
            events.append((start_ms + self.rng.randrange(MONTH_MS), self._viewer(tenant, slug)))
        for index in self.rng.sample(
            range(len(self.posts)), min(len(self.posts), w.replayed_edits_per_month)
        ):
            tenant, slug = self.posts[index]
            events.append((start_ms + self.rng.randrange(MONTH_MS), self._editor(tenant, slug)))
        await self._at(events)
        if self.clock.now_ms() < start_ms + MONTH_MS:
            await self.runtime.advance(start_ms + MONTH_MS - self.clock.now_ms())
        return MonthMeasured(
            counters=self.runtime.services.stats.snapshot(),
            stored_bytes=self.runtime.stored_bytes(),
            baseline_bytes=self.baseline_bytes,
        )

    def _viewer(self, tenant: str, slug: str) -> Callable[[], object]:
        return lambda: self._send(tenant, f"/blog/{slug}")

    def _editor(self, tenant: str, slug: str) -> Callable[[], object]:
        return lambda: self._send(
            tenant, f"/api/posts/{slug}", "PUT", {"markdown": _markdown(self.rng, len(self.posts))}
        )

    async def d1_content_bytes(self) -> int:
        """Bytes of post content held in D1 rows (what tiering moves out; D1's billed size is
        its pages, which SQLite reuses for new rows but does not give back)."""
        row = (
            await self.runtime.d1()
            .prepare(
                "SELECT COALESCE(SUM(COALESCE(length(CAST(markdown AS BLOB)), 0) + COALESCE(length(CAST(html AS BLOB)), 0)), 0) AS n FROM posts"
            )
            .first()
        )
        return int(row["n"])

    async def tiers(self) -> dict[str, int]:
        rows = (
            await self.runtime.d1()
            .prepare("SELECT storage_location AS at, COUNT(*) AS n FROM posts GROUP BY 1")
            .all()
        )
        return {str(r["at"]): int(r["n"]) for r in rows["results"]}


async def replay(workload: Workload, state_dir: Path | None = None) -> Replayed:
    """Replay ``workload``'s sample; the state lives in ``state_dir`` (default: a temporary one)."""
    with tempfile.TemporaryDirectory(prefix="grove-cost-", dir=_SCRATCH) as tmp:
        clock = SimulatedClock()
        platform = start_platform(state_dir or Path(tmp), clock=clock, secrets=SECRETS)
        try:
            run = _Replay(platform, clock, workload)
            platform.runtime.stop_crons()  # before tiering: no migrator
            await run.history()
            tiers_before = await run.tiers()
            content_before = await run.d1_content_bytes()
            before = await run.month()
            platform.runtime.start_crons()  # after tiering: the cron Worker on its schedule
            migration = await run.month()
            after = await run.month()
            runs = migration.counters["cron.runs"] + after.counters["cron.runs"]
            return Replayed(
                before=before, migration=migration, after=after, posts=len(run.posts), cron_runs=runs,
                tiers_before=tiers_before, tiers_after=await run.tiers(),
                d1_content_bytes_before=content_before, d1_content_bytes_after=await run.d1_content_bytes(),
            )  # fmt: skip
        finally:
            platform.runtime.close()


def sample_note(workload: Workload) -> str:
    return (
        f"sample replayed: {workload.replayed_users:,} of {workload.users:,} users "
        f"({workload.replayed_users * workload.posts_per_user:,} posts, {workload.replayed_views_per_month:,} views "
        f"and {workload.replayed_edits_per_month:,} edits a month), every count scaled by {workload.scale:g}"
        + (
            ""
            if math.isclose(workload.scale, 1)
            else " (stored bytes above the empty schema too; the cron runs are not)"
        )
    )
