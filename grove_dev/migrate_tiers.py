"""`grove migrate-tiers`: the tier migrator (``post_migrator.migrate``) run by hand against the
local state, with the cron Worker's own bindings.

    grove migrate-tiers            one run, as the cron would make it (cap, cursor, retries)
    grove migrate-tiers --dry-run  every candidate: what would move and why (a progress bar)
    grove migrate-tiers --recover  every post back to D1, idempotently (the roadmap's rollback;
                                   disable the cron trigger first, or its next run moves them again)
    grove migrate-tiers --runs     the recent runs recorded in migration_runs
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import Any, cast

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from grove.clock import now_ms
from grove_dev.platform import start_platform
from post_migrator.migrate import (
    MigratorEnv,
    PostVerdict,
    count_candidates,
    recover_all,
    run_migration,
)
from post_migrator.runs import RunRecord, recent_runs

MIGRATOR = "grove-post-migrator"  # workers/post_migrator/wrangler.toml
RUNS_SHOWN = 20


def _line(verdict: PostVerdict) -> str | None:
    post = verdict.post
    name = f"{post['tenant']}/{post['slug']}"
    if verdict.outcome == "skipped":
        return f"skip  {name}: {verdict.decision.reason}"
    if verdict.outcome == "stays":
        return None
    verb = "would move" if verdict.outcome == "would_move" else verdict.outcome
    return f"{verb}  {name}: {post['storage_location']} -> {verdict.target} ({verdict.decision.reason})"


def _when(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _runs_table(runs: list[RunRecord]) -> Table:
    table = Table(title="migration_runs (newest first)")
    for column in ("id", "started (UTC)", "took_ms", "dry", "scanned", "moves", "skipped", "failed", "resumes at"):
        table.add_column(column)
    for run in runs:
        took = "-" if run.ended_at_ms is None else str(run.ended_at_ms - run.started_at_ms)
        cursor = "done" if run.cursor is None else f"{run.cursor['storage_location']}@{run.cursor['updated_at_ms']}"
        table.add_row(
            str(run.id), _when(run.started_at_ms), took if run.ended_at_ms else "killed?", "yes" if run.dry_run else "",
            str(run.scanned), json.dumps(run.moves), str(len(run.skipped)), str(len(run.failed)), cursor,
        )
    return table


async def migrate_tiers(env: MigratorEnv, *, mode: str, console: Console) -> dict[str, Any]:
    """Run one mode of the command; returns the run's summary (or the runs listed)."""
    if mode == "runs":
        runs = await recent_runs(env.DB, RUNS_SHOWN)
        console.print(_runs_table(runs))
        return {"runs": [run.as_dict() for run in runs]}
    total = await count_candidates(env.DB, now_ms()) if mode == "dry_run" else None
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("deciding" if mode == "dry_run" else "moving", total=total)

        def on_post(verdict: PostVerdict) -> None:
            if (line := _line(verdict)) is not None:
                progress.console.print(line, markup=False, highlight=False)
            progress.advance(task)

        if mode == "recover":
            record = await recover_all(env, on_post=on_post)
        else:
            record = await run_migration(env, dry_run=mode == "dry_run", on_post=on_post)
    return record.as_dict()


def cmd_migrate_tiers(args: argparse.Namespace) -> int:
    platform = start_platform(args.state)
    # The local runtime builds env from the Worker's wrangler.toml: the bindings MigratorEnv names.
    env = cast(MigratorEnv, platform.runtime.worker(MIGRATOR).env)
    mode = "dry_run" if args.dry_run else "recover" if args.recover else "runs" if args.runs else "run"

    async def run() -> dict[str, Any]:
        summary = await migrate_tiers(env, mode=mode, console=Console(stderr=True))
        await platform.runtime.drain()
        return summary

    summary = asyncio.run(run())
    print(json.dumps(summary))
    return 1 if summary.get("failed") else 0


def add_parser(sub: Any, state_arg: Any) -> None:
    parser = sub.add_parser("migrate-tiers", help="run the tier migrator against the local state")
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--dry-run", action="store_true", help="print what would move and why; move nothing")
    modes.add_argument("--recover", action="store_true", help="move every post back to D1 (idempotent)")
    modes.add_argument("--runs", action="store_true", help="list the recent runs")
    state_arg(parser)
    parser.set_defaults(func=cmd_migrate_tiers)
