"""`grove cost`: replay the roadmap's scenario (or any size) and print its monthly bill beside
the roadmap's cost table; the last line is JSON.

The replay is ``grove_dev.cost_replay``; prices ``grove_dev.prices``; the table
``grove_dev.cost_table``. Worker and DO CPU come from the Pyodide lane's timings
(``--cpu-model``, written by ``bench/pyodide_requests.py --save``), else from the run recorded
in ``RECORDED_PYODIDE_TIMINGS``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path

from grove_dev import REPO_ROOT
from grove_dev.cost_model import CpuModel, usage_lines
from grove_dev.cost_replay import Workload, replay, sample_note
from grove_dev.cost_table import ROADMAP_SCENARIO, render, summary
from grove_dev.prices import GB, bill

DEFAULT_CPU_MODEL = REPO_ROOT / ".cache" / "bench" / "pyodide_requests.json"
# The fallback when no timings file exists: medians from one run of
# `.venv/bin/python bench/pyodide_requests.py --reps 40 --warmup 10` on 2026-11-28 (2 cores
# shared with other jobs; its trivial Worker took 11.1 ms): wall times including miniflare's
# bindings and the lane's isolate hops, so generous upper bounds of the CPU time.
RECORDED_PYODIDE_TIMINGS = {"cached_view_ms_p50": 168.481, "post_create_ms_p50": 3943.553}
RECORDED_SOURCE = "Pyodide lane medians recorded in grove_dev/cost_report.py (bench/pyodide_requests.py, 2026-11-28)"


def add_cost_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Workload()
    parser.add_argument("--users", type=int, default=ROADMAP_SCENARIO["users"])
    parser.add_argument("--posts-per-user", type=int, default=ROADMAP_SCENARIO["posts_per_user"])
    parser.add_argument("--views-per-month", type=int, default=ROADMAP_SCENARIO["views_per_month"])
    parser.add_argument(
        "--sample-users", type=int, default=defaults.sample_users,
        help=f"users replayed; counts are scaled up to --users (default {defaults.sample_users})",
    )  # fmt: skip
    parser.add_argument(
        "--edits-per-post-per-month", type=float, default=defaults.edits_per_post_per_month,
        help=f"share of posts edited each month (default {defaults.edits_per_post_per_month})",
    )  # fmt: skip
    parser.add_argument(
        "--cpu-model", type=Path, default=DEFAULT_CPU_MODEL,
        help="bench/pyodide_requests.py's output (its last line JSON); default: .cache/bench/pyodide_requests.json",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print only the JSON line")


def cpu_model(path: Path) -> CpuModel:
    if path.exists():
        return CpuModel.from_file(path)
    return CpuModel.from_pyodide_timings(RECORDED_PYODIDE_TIMINGS, RECORDED_SOURCE)


def run_cost_report(args: argparse.Namespace) -> int:
    workload = Workload(
        users=args.users, posts_per_user=args.posts_per_user, views_per_month=args.views_per_month,
        sample_users=args.sample_users, edits_per_post_per_month=args.edits_per_post_per_month,
    )  # fmt: skip
    cpu = cpu_model(args.cpu_model)
    logging.getLogger().setLevel(logging.WARNING)  # the cron Worker's per-run log lines, 60 of them
    started = time.perf_counter()
    measured = asyncio.run(replay(workload))
    elapsed_s = time.perf_counter() - started
    before = bill(usage_lines(measured.before, cpu, workload.scale))
    # The cron Worker ran during the migration and after months; with no run there is no after column.
    ran = measured.cron_runs > 0
    migration = bill(usage_lines(measured.migration, cpu, workload.scale)) if ran else None
    after = bill(usage_lines(measured.after, cpu, workload.scale)) if ran else None
    result = {
        **summary(before, after),
        "scenario": {"users": workload.users, "posts_per_user": workload.posts_per_user, "views_per_month": workload.views_per_month},
        "replayed": {
            "kind": "sample scaled up" if workload.scale != 1 else "full workload",
            "users": workload.replayed_users, "posts": measured.posts, "scale_factor": workload.scale,
            "views_per_month": workload.replayed_views_per_month, "edits_per_month": workload.replayed_edits_per_month,
        },
        "stored_bytes_before": measured.before.stored_bytes,
        "stored_bytes_after": measured.after.stored_bytes,
        "stored_bytes_baseline": measured.before.baseline_bytes,
        "posts_by_storage_location_before": measured.tiers_before,
        "posts_by_storage_location_after": measured.tiers_after,
        "d1_post_content_bytes_before": measured.d1_content_bytes_before,
        "d1_post_content_bytes_after": measured.d1_content_bytes_after,
        "migration_month_total_usd": round(migration.total_usd, 6) if migration else None,
        "migration_month_services": migration.by_service() if migration else None,
        "counters_migration_month": measured.migration.counters,
        "cron_runs": measured.cron_runs,
        "counters_before": measured.before.counters,
        "counters_after": measured.after.counters,
        "cpu_model": {
            "read_request_ms": cpu.read_request_ms, "write_request_ms": cpu.write_request_ms,
            "do_active_ms_per_request": cpu.do_active_ms_per_request, "source": cpu.source,
        },
        "replay_s": round(elapsed_s, 1),
    }  # fmt: skip
    if not args.json:
        print(
            f"Scenario: {workload.users:,} users x {workload.posts_per_user} posts, {workload.views_per_month:,} views/month"
        )
        print(sample_note(workload))
        print(
            f"CPU model: reads {cpu.read_request_ms:.2f} ms, writes {cpu.write_request_ms:.2f} ms, "
            f"DO active {cpu.do_active_ms_per_request:.2f} ms per request ({cpu.source})"
        )
        for label, month in (("before", measured.before), ("after", measured.after)):
            # Scaled like every count: the sample's bytes above the empty schema times the factor.
            sizes = ", ".join(
                f"{k} {month.scaled_bytes(k, workload.scale) / GB:.4f} GB"
                for k in month.stored_bytes
            )
            print(f"stored {label} tiering (scaled): {sizes}")
        print(
            f"posts by storage location: before {measured.tiers_before}, after {measured.tiers_after} "
            f"({measured.cron_runs} cron runs, the migrator daily and Trending hourly, over the migration and after months)"
        )
        if after is None:
            print(
                "after tiering: the cron Worker did not run (no migrator cron), so no after column",
                file=sys.stderr,
            )
        print(
            f"post content in D1 rows (sample): before {measured.d1_content_bytes_before:,} bytes, after "
            f"{measured.d1_content_bytes_after:,} bytes; D1's billed size is its pages in use, which SQLite keeps"
        )
        if migration is not None:
            print(
                f"migration month (one-time: the backlog's moves, then the cron's daily runs): ${migration.total_usd:.4f}"
            )
        print(f"replayed in {elapsed_s:.1f} s\n")
        print(render(before, after))
    print(json.dumps(result))
    return 0
