"""`grove cost` at a tiny size: the replay runs through the full local runtime, the counts come
from the runtime's counters, and the last line is the JSON the issue asks for. The full size
runs in `make bench`."""

from __future__ import annotations

import json

from grove_dev.commands import main

TINY = ["cost", "--users", "12", "--sample-users", "3", "--posts-per-user", "3", "--views-per-month", "40",
        "--edits-per-post-per-month", "0.5"]  # fmt: skip


def test_cost_report_replays_a_sample_and_prints_the_json_line(capsys):
    assert main(TINY) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    replayed = figures["replayed"]
    assert replayed == {
        "kind": "sample scaled up", "users": 3, "posts": 9, "scale_factor": 4.0, "views_per_month": 10, "edits_per_month": 4,
    }  # fmt: skip
    before = figures["counters_before"]
    # Every replayed view and edit reached the Worker, and only those (the month's counters).
    assert before["worker.safe_requests"] == 10
    assert before["worker.requests"] == 10 + 4
    assert before["d1.rows_read"] > 0 and before["do.requests"] > 0
    assert before["cron.runs"] == 0  # before tiering: no cron Worker
    # After: every cron on its schedule, each 30-day month: the migrator daily and the main
    # Worker's Trending hourly (grove.tiers.TRENDING_CRON), both billed as requests.
    assert figures["counters_migration_month"]["cron.runs"] == figures["counters_after"]["cron.runs"] == 30 * (1 + 24)
    assert figures["cron_runs"] == 2 * 30 * (1 + 24)
    assert figures["stored_bytes_before"]["d1"] > figures["stored_bytes_baseline"]["d1"]
    assert figures["total_usd_per_month_before"] >= 5.0
    assert figures["roadmap_total_usd_per_month"] == 0.24
    assert set(figures["services"]["before"]) == {"workers", "d1", "kv", "r2", "durable_objects"}
    text = "\n".join(out)
    assert (
        "Workers Paid base" in text
        and "TOTAL /month" in text
        and "sample replayed: 3 of 12 users" in text
    )
