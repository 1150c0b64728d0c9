"""bench/meadow.py on a small workload (5 authors x 12 posts, 40 loads): it runs end to end and
its counted figures hold. The full size runs in ``make bench``."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "meadow.py"


async def test_small_benchmark_run():
    spec = importlib.util.spec_from_file_location("meadow_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    summary = await bench.run(argparse.Namespace(authors=5, posts_per_author=12, loads=40))
    assert summary["feed_items_after_rebuild"] == 60
    assert summary["rebuild_d1_queries"] == 2  # one batch: the follows and the posts
    assert summary["feed_load_d1_queries"] == 0
    assert summary["feed_load_credential_d1_queries"] == 1
    assert summary["follow_backfilled"] == 12
    assert 0 < summary["feed_load_cpu_ms_p50"] <= summary["feed_load_cpu_ms_p95"]
