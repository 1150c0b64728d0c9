"""bench/tier_migrator.py on a small backlog: it runs end to end and its figures hold."""

from __future__ import annotations

import argparse

from bench import tier_migrator as bench


async def test_small_benchmark_run():
    summary = await bench.run(argparse.Namespace(posts=60, max_age_days=800, words=200))
    assert summary["finished"] and summary["runs_needed"] == 1
    before, after = summary["before"], summary["after"]
    assert before["tiers"] == {"d1": 60} and before["r2_bytes"] == 0
    # Posts under 30 days old stay hot; everything else left D1 for R2.
    assert after["tiers"]["d1"] == summary["posts"] - summary["moves_total"] and summary["moves_total"] >= 55
    assert after["d1_content_bytes"] < before["d1_content_bytes"] / 10 and after["r2_bytes"] > 0
    # SQLite keeps freed pages in the file until VACUUM: the database never grows from moves.
    assert after["d1_db_bytes"] <= before["d1_db_bytes"]
