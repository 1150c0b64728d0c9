"""The tier migrator (``post_migrator``) on the local runtime: posts made over HTTP, aged on the
simulated clock, moved by the cron Worker's own ``scheduled`` handler through PostContentDO.

Faults at each step of a move (R2 put, read-back, checksum, D1 update, cache purge, a kill of the
run mid-batch) lose nothing and the next run finishes; a second run moves nothing; nothing moves
on its first day; ``--recover`` is byte-identical; a backlog spans runs; the queries are indexed."""

from __future__ import annotations

import io

import pytest
from query_plans import unindexed
from rich.console import Console

from grove.tiers import DAY_MS
from grove_dev.demo_content import DemoPost
from grove_dev.migrate_tiers import MIGRATOR, migrate_tiers
from grove_dev.seed import seed_posts
from local_runtime.faults import FaultPoint, InvocationKilled
from post_migrator.migrate import run_migration

pytestmark = pytest.mark.usefixtures("tenants")

CRON = "0 3 * * *"  # workers/post_migrator/wrangler.toml
SLUGS = [f"bed-{i}" for i in range(6)]


@pytest.fixture
def platform_secrets(platform_secrets):
    return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "1000/60"}


@pytest.fixture
async def aged(create_post, read, clock) -> list[dict]:
    """Six posts made over HTTP (each page read once, so it is cached), then 45 days of quiet."""
    made = [await create_post(f"Bed {i}", f"# Bed {i}\n\nÜnïcode *and* <b>tags</b> " + "soil " * 200, slug=slug) for i, slug in enumerate(SLUGS)]
    for slug in SLUGS:
        await read(f"/blog/{slug}")
    clock.advance(45 * DAY_MS)
    return made


def _env(platform):
    return platform.runtime.worker(MIGRATOR).env


async def _locations(platform) -> dict[str, str]:
    rows = (await platform.runtime.d1().prepare("SELECT slug, storage_location FROM posts").all())["results"]
    return {row["slug"]: row["storage_location"] for row in rows}


async def _pages(read, client, auth) -> dict[str, tuple[bytes, str, str]]:
    """Every post's page body and its markdown and HTML as the API gives them."""
    pages = {}
    for slug in SLUGS:
        page = await read(f"/blog/{slug}")
        api = await client.get(f"/api/posts/{slug}", headers=auth())
        assert page.status_code == 200 and api.status_code == 200
        pages[slug] = (page.content, api.json()["markdown"], api.json()["html"])
    return pages


async def test_first_day_nothing_moves(platform, create_post):
    """The comparable implementation's bug (seconds compared with milliseconds: every post 55
    years old, all pushed cold on the first run) fails this test: no post moves on its first day."""
    for i in range(5):
        await create_post(f"New {i}", "Fresh.", slug=f"new-{i}")
    await create_post("Old draft", "Draft.", slug="draft", status="draft")
    run = await platform.runtime.scheduled(CRON)
    assert run["moves"] == {} and run["failed"] == [] and run["skipped"] == []
    assert set((await _locations(platform)).values()) == {"d1"}


async def test_a_run_moves_idle_posts_pages_read_the_same_and_a_second_run_moves_nothing(platform, aged, read, client, auth):
    before = await _pages(read, client, auth)
    run = await platform.runtime.scheduled(CRON)
    assert run["moves"] == {"d1->r2": len(SLUGS)} and run["failed"] == [] and run["cursor"] is None
    assert set((await _locations(platform)).values()) == {"r2"}
    assert await _pages(read, client, auth) == before
    again = await platform.runtime.scheduled(CRON)
    assert again["moves"] == {} and again["failed"] == []


async def test_an_edit_brings_a_warm_post_back_to_hot_at_once(platform, aged, client, auth):
    await platform.runtime.scheduled(CRON)
    edited = await client.put("/api/posts/bed-0", json={"markdown": "Rewritten."}, headers=auth())
    assert edited.status_code == 200, edited.text
    assert (await _locations(platform))["bed-0"] == "d1"  # the write path, not the cron
    assert (await platform.runtime.scheduled(CRON))["moves"] == {}  # edited today: stays hot


@pytest.mark.parametrize(
    ("point", "match", "step"),
    [
        (FaultPoint.R2_PUT_ERROR, None, "r2_put"),  # the write to R2
        (FaultPoint.R2_GET_ERROR, None, "r2_put"),  # the read-back
        (FaultPoint.R2_GET_CORRUPT, None, "r2_put"),  # the checksum comparison
        (FaultPoint.D1_STATEMENT_ERROR, "SET markdown = NULL", "d1_update"),  # the conditional D1 update
        (FaultPoint.KV_UNAVAILABLE, None, "invalidate"),  # the cache purge
    ],
)
async def test_a_fault_at_each_step_fails_one_post_which_the_next_run_moves(platform, aged, read, client, auth, faults, point, match, step):
    before = await _pages(read, client, auth)
    faults.arm(point, times=1, match=match)
    run = await platform.runtime.scheduled(CRON)
    faults.clear()
    assert len(run["failed"]) == 1 and f"at {step}" in run["failed"][0]["reason"], run["failed"]
    assert sum(run["moves"].values()) == len(SLUGS) - 1  # the others moved all the same
    assert await _pages(read, client, auth) == before
    retry = await platform.runtime.scheduled(CRON)
    assert retry["failed"] == [] and sum(retry["moves"].values()) == 1  # retried first
    assert set((await _locations(platform)).values()) == {"r2"}
    assert await _pages(read, client, auth) == before
    assert (await platform.runtime.scheduled(CRON))["moves"] == {}


@pytest.mark.parametrize("after_calls", [1, 3, 6, 11, 17])
async def test_a_run_killed_mid_batch_loses_nothing_and_the_next_run_finishes(platform, aged, read, client, auth, faults, after_calls):
    before = await _pages(read, client, auth)
    faults.arm(FaultPoint.CRON_KILLED_MID_BATCH, times=1, after=after_calls)
    with pytest.raises(InvocationKilled):
        await platform.runtime.scheduled(CRON)
    faults.clear()
    await platform.runtime.drain()
    assert await _pages(read, client, auth) == before
    run = await platform.runtime.scheduled(CRON)
    assert run["failed"] == [] and run["ended_at_ms"] is not None
    assert set((await _locations(platform)).values()) == {"r2"}
    assert await _pages(read, client, auth) == before
    assert (await platform.runtime.scheduled(CRON))["moves"] == {}


async def test_recover_brings_everything_back_to_d1_byte_identical_and_idempotently(platform, aged, read, client, auth):
    originals = (await platform.runtime.d1().prepare("SELECT slug, markdown, html FROM posts ORDER BY slug").all())["results"]
    before = await _pages(read, client, auth)
    await platform.runtime.scheduled(CRON)
    assert set((await _locations(platform)).values()) == {"r2"}
    console = Console(file=io.StringIO())
    for _ in range(2):
        recovered = await migrate_tiers(_env(platform), mode="recover", console=console)
        assert recovered["failed"] == []
        rows = (await platform.runtime.d1().prepare("SELECT slug, markdown, html FROM posts ORDER BY slug").all())["results"]
        assert rows == originals
    assert recovered["moves"] == {}  # the second pass found nothing in R2
    assert await _pages(read, client, auth) == before
    for post in aged:  # the R2 copies went once D1 held the content again
        assert await platform.runtime.r2().get(f"posts/autumn/{post['id']}.json") is None


async def test_dry_run_prints_each_post_and_why_and_moves_nothing(platform, aged):
    out = io.StringIO()
    summary = await migrate_tiers(_env(platform), mode="dry_run", console=Console(file=out, width=200))
    lines = [line for line in out.getvalue().splitlines() if line.startswith("would move")]
    assert len(lines) == len(SLUGS) and summary["dry_run"] is True and summary["moves"] == {}
    assert any(line.startswith("would move  autumn/bed-0: d1 -> r2 (published 45.0 d ago, unedited 45.0 d)") for line in lines)
    assert set((await _locations(platform)).values()) == {"d1"}
    listed = await migrate_tiers(_env(platform), mode="runs", console=Console(file=io.StringIO()))
    assert [run["dry_run"] for run in listed["runs"]] == [True]


async def test_a_backlog_spans_runs_by_its_cursor_with_indexed_queries(platform, clock, d1_statements):
    posts = [DemoPost(slug=f"b-{i:03d}", title=f"B {i}", description="", tags=[], markdown=f"Post {i}.", published_days_ago=0, edited_days_ago=0) for i in range(240)]
    assert await seed_posts(platform.runtime.d1(), platform.runtime.r2(), "autumn", posts, now_ms=clock.now_ms()) == 240
    clock.advance(40 * DAY_MS)
    d1_statements.clear()
    runs = []
    while not runs or runs[-1].cursor is not None:
        runs.append(await run_migration(_env(platform), max_moves=50))
        assert len(runs) < 10
    assert [sum(run.moves.values()) for run in runs] == [50, 50, 50, 50, 40]
    checked, problems = await unindexed(platform.runtime.d1(), d1_statements)
    assert checked > 0 and problems == {}
    assert set((await _locations(platform)).values()) == {"r2"}
