"""bench/tier_migrator.py on a small backlog: it runs end to end and its figures hold."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "tier_migrator.py"


async def test_small_benchmark_run():
    spec = importlib.util.spec_from_file_location("tier_migrator_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    summary = await bench.run(argparse.Namespace(posts=60, max_age_days=800, words=200))
    assert summary["finished"] and summary["runs_needed"] == 1
    before, after = summary["before"], summary["after"]
    assert before["tiers"] == {"d1": 60} and before["r2_bytes"] == 0
    # Posts under 30 days old stay hot; everything else left D1 for R2.
    assert after["tiers"]["d1"] == summary["posts"] - summary["moves_total"] and summary["moves_total"] >= 55
    assert after["d1_content_bytes"] < before["d1_content_bytes"] / 10 and after["r2_bytes"] > 0
    # SQLite keeps freed pages in the file until VACUUM: the database never grows from moves.
    assert after["d1_db_bytes"] <= before["d1_db_bytes"]
