"""One run of the tier migrator: retry the last run's failures, then scan candidates from the
last run's cursor, moving each post whose tier differs from where its content is.

Candidates come from one indexed keyset scan per storage location over
``posts_by_storage_updated (storage_location, updated_at_ms, id)``, limited to posts unedited
for ``WARM_AFTER_EDIT_MS``: every rule of ``grove.tiers.decide_tier`` keeps a post edited more
recently hot, and a content edit already brought it back to D1 (``posts_store.update_post``
sets ``storage_location = 'd1'``), so posts outside that range never need the migrator.

Per-run cap. Cloudflare's Workers limits ("Limits", developers.cloudflare.com/workers/platform/
limits/): a Worker invocation may make 1,000 subrequests (the figure in /work/shared/PLATFORM.md;
the current page says 10,000 on Workers Paid: we budget for the lower) and has a CPU limit of
30 s by default (configurable up to 5 min with ``limits.cpu_ms``). Each move is one subrequest
from this Worker (the RPC to the post's PostContentDO: the object's own D1/R2 calls are its
invocation's, not ours), each page one D1 read and one D1 write (the run row). With
``MAX_MOVES_PER_RUN`` = 400 moves, ``MAX_RETRIES_PER_RUN`` = 100 retries (each a D1 read and an
RPC) and ``MAX_SCANNED_PER_RUN`` = 2,000 rows in 50-row pages, a run makes at most
400 + 2 * 100 + 2 * 40 + 3 = 683 subrequests, inside 1,000 with room for the run row's writes. The
Worker's CPU per move is a JSON decode of the reply (the waiting is I/O, not CPU), far from 30 s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypedDict

from grove.bindings import D1Database, D1PreparedStatement, DurableObjectNamespace
from grove.clock import now_ms
from grove.models import PostStatus
from grove.post_content_rpc import MoveReply, PostContentStub, object_name
from grove.tiers import (
    STORAGE_LOCATIONS,
    TIER_RULES,
    WARM_AFTER_EDIT_MS,
    StorageLocation,
    Tier,
    TierDecision,
    TierFacts,
    decide_tier,
)
from post_migrator.runs import PostNote, RunRecord, ScanCursor, recent_runs, save_run, start_run

log = logging.getLogger("grove.migrator")

PAGE_ROWS = 50
MAX_MOVES_PER_RUN = 400
MAX_RETRIES_PER_RUN = 100
MAX_SCANNED_PER_RUN = 2_000
_UNCAPPED = 1 << 62  # a dry run and --recover: operator tools, not bound by the cron's limits
_NEVER_MS = 10**15  # after every date a post can have (year 33658), and bindable (not a BigInt)


class MigratorEnv(Protocol):
    """What the cron Worker binds and uses (workers/post_migrator/wrangler.toml)."""

    DB: D1Database
    POST_CONTENT: DurableObjectNamespace[PostContentStub]


class Candidate(TypedDict):
    tenant: str
    id: str
    slug: str
    status: PostStatus
    storage_location: StorageLocation
    updated_at_ms: int
    published_at_ms: int | None
    views_30d: int


@dataclass(frozen=True)
class PostVerdict:
    """What the run decided for one post (what ``--dry-run`` prints)."""

    post: Candidate
    decision: TierDecision
    target: StorageLocation | None  # None: skipped
    outcome: str  # stays, would_move, moved, changed, failed, skipped


OnPost = Callable[[PostVerdict], None]

_CANDIDATE_COLUMNS = "tenant, id, slug, status, storage_location, updated_at_ms, published_at_ms, views_30d"


async def _page(db: D1Database, location: StorageLocation, before_ms: int, after: ScanCursor | None) -> list[Candidate]:
    """The next page of ``location``'s posts unedited since ``before_ms``, after ``after``."""
    since_ms, since_id = (after["updated_at_ms"], after["id"]) if after else (-1, "")
    select: D1PreparedStatement[Candidate] = db.prepare(
        f"SELECT {_CANDIDATE_COLUMNS} FROM posts WHERE storage_location = ?1 AND updated_at_ms < ?2"
        " AND (updated_at_ms, id) > (?3, ?4) ORDER BY updated_at_ms, id LIMIT ?5"
    )
    return (await select.bind(location, before_ms, since_ms, since_id, PAGE_ROWS).all())["results"]


async def _one(db: D1Database, tenant: str, post_id: str) -> Candidate | None:
    select: D1PreparedStatement[Candidate] = db.prepare(
        f"SELECT {_CANDIDATE_COLUMNS} FROM posts WHERE tenant = ?1 AND id = ?2"
    )
    return await select.bind(tenant, post_id).first()


async def count_candidates(db: D1Database, at_ms: int) -> int:
    """How many posts a full scan at ``at_ms`` looks at (the dry run's progress bar total)."""
    total = 0
    for location in STORAGE_LOCATIONS:
        count: D1PreparedStatement[dict[str, int]] = db.prepare(
            "SELECT COUNT(*) AS n FROM posts WHERE storage_location = ?1 AND updated_at_ms < ?2"
        )
        row = await count.bind(location, at_ms - WARM_AFTER_EDIT_MS).first()
        total += row["n"] if row else 0
    return total


def _stub(env: MigratorEnv, post: Candidate) -> PostContentStub:
    namespace = env.POST_CONTENT
    return namespace.get(namespace.idFromName(object_name(post["tenant"], post["id"])))


async def move(env: MigratorEnv, post: Candidate, target: StorageLocation) -> MoveReply:
    """Move ``post`` through its PostContentDO (verify-then-clear, conditional D1 update)."""
    stub = _stub(env, post)
    if target == "d1":
        return await stub.migrate_to_d1()
    tier = Tier.WARM if target == TIER_RULES[Tier.WARM].storage_location else Tier.COLD
    return await stub.migrate_to_r2(tier.value)


def _note(post: Candidate, reason: str) -> PostNote:
    return {"tenant": post["tenant"], "id": post["id"], "reason": reason}


class _Run:
    def __init__(self, env: MigratorEnv, record: RunRecord, at_ms: int, on_post: OnPost | None, max_moves: int) -> None:
        self.env, self.record, self.at_ms, self.on_post, self.max_moves = env, record, at_ms, on_post, max_moves
        self.moves = 0

    def full(self) -> bool:
        return self.moves >= self.max_moves

    async def visit(self, post: Candidate, target_override: StorageLocation | None = None, *, retry: bool = False) -> None:
        decision = decide_tier(
            TierFacts(post["status"], post["published_at_ms"], post["updated_at_ms"], post["views_30d"]), self.at_ms
        )
        target = target_override or (None if decision.tier is None else TIER_RULES[decision.tier].storage_location)
        outcome = await self._act(post, decision, target, retry)
        if self.on_post is not None:
            self.on_post(PostVerdict(post, decision, target, outcome))

    async def _act(self, post: Candidate, decision: TierDecision, target: StorageLocation | None, retry: bool) -> str:
        if target is None:
            self.record.skipped.append(_note(post, decision.reason))
            return "skipped"
        # A retried post may already be there (its last run stopped after the D1 update, at the
        # cache purge): the move then answers "already" once it has finished the purge.
        if target == post["storage_location"] and not retry:
            return "stays"
        if self.record.dry_run:
            return "would_move"
        self.moves += 1
        try:
            reply = await move(self.env, post, target)
        except Exception as exc:  # one post's failure never blocks the others
            self.record.failed.append(_note(post, f"{type(exc).__name__}: {exc}"))
            return "failed"
        if reply["outcome"] in ("moved", "already"):
            self.record.moved("finished" if post["storage_location"] == target else post["storage_location"], target)
            return "moved"
        if reply["outcome"] == "changed":
            self.record.skipped.append(_note(post, "edited during the move: left where the edit put it"))
            return "changed"
        reason = f"{reply['outcome']} at {reply['step']}: {reply.get('message', '')}".strip()
        self.record.failed.append(_note(post, reason))
        return "failed"


async def run_migration(
    env: MigratorEnv, *, dry_run: bool = False, on_post: OnPost | None = None,
    max_moves: int = MAX_MOVES_PER_RUN, max_scanned: int = MAX_SCANNED_PER_RUN,
) -> RunRecord:
    """One run: the last run's failures first, then the scan from its cursor, within the caps.
    A dry run decides every candidate from the start, moves nothing and is recorded as such."""
    db = env.DB
    at_ms = now_ms()
    previous = None if dry_run else next(iter(await recent_runs(db, 1, include_dry=False)), None)
    record = await start_run(db, at_ms, dry_run=dry_run)
    run = _Run(env, record, at_ms, on_post, max_moves if not dry_run else _UNCAPPED)
    if previous is not None:
        for note in previous.failed[:MAX_RETRIES_PER_RUN]:
            post = await _one(db, note["tenant"], note["id"])
            if post is not None and not run.full():
                await run.visit(post, retry=True)
    cursor = None if previous is None else previous.cursor
    await _scan(run, cursor, at_ms - WARM_AFTER_EDIT_MS, max_scanned if not dry_run else _UNCAPPED)
    record.ended_at_ms = now_ms()
    await save_run(db, record)
    log.info("tier migrator run %s: %s", record.id, record.as_dict())
    return record


async def _scan(run: _Run, cursor: ScanCursor | None, before_ms: int, max_scanned: int) -> None:
    record = run.record
    start = 0 if cursor is None else STORAGE_LOCATIONS.index(cursor["storage_location"])
    for location in STORAGE_LOCATIONS[start:]:
        after: ScanCursor | None = cursor if cursor is not None and cursor["storage_location"] == location else None
        while True:
            rows = await _page(run.env.DB, location, before_ms, after)
            for post in rows:
                if run.full() or record.scanned >= max_scanned:
                    # The cap: the next run starts at this post.
                    record.cursor = after or ScanCursor(storage_location=location, updated_at_ms=-1, id="")
                    return
                await run.visit(post)
                record.scanned += 1
                after = ScanCursor(storage_location=location, updated_at_ms=post["updated_at_ms"], id=post["id"])
            record.cursor = after
            await save_run(run.env.DB, record)  # progress survives a run killed in the next page
            if len(rows) < PAGE_ROWS:
                break
    record.cursor = None


async def recover_all(env: MigratorEnv, *, on_post: OnPost | None = None) -> RunRecord:
    """Bring every post in R2 back to D1 (the roadmap's rollback); idempotent, uncapped: an
    operator's tool (``grove migrate-tiers --recover``), not the cron's."""
    db = env.DB
    record = await start_run(db, now_ms(), dry_run=False)
    run = _Run(env, record, record.started_at_ms, on_post, _UNCAPPED)
    for location in STORAGE_LOCATIONS:
        if location == "d1":
            continue
        after: ScanCursor | None = None
        while rows := await _page(db, location, _NEVER_MS, after):
            for post in rows:
                await run.visit(post, target_override="d1")
                record.scanned += 1
                after = ScanCursor(storage_location=location, updated_at_ms=post["updated_at_ms"], id=post["id"])
    record.ended_at_ms = now_ms()
    await save_run(db, record)
    return record
