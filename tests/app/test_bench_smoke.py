"""bench/blog_cache.py on a small workload: it runs end to end and reports every figure."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "blog_cache.py"
KEYS = {
    "views", "d1_queries", "d1_queries_per_1000_views", "baseline_d1_queries_per_1000_views",
    "floor_per_1000_views", "kv_reads_per_view", "edge_hit_ratio", "kv_hit_ratio",
    "stale_reads_after_write", "cpu_us_per_view_p50", "modelled_latency_ms_p50", "modelled_latency_ms_p95",
}


async def test_small_benchmark_run():
    spec = importlib.util.spec_from_file_location("blog_cache_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench  # dataclasses look their module up there
    spec.loader.exec_module(bench)
    steps, catalogue = bench.build_workload(views=400, edits=4, seed="smoke")
    cached = await bench.run("cached", steps, catalogue, cache_mode="on")
    baseline = await bench.run("baseline", steps, catalogue, cache_mode="off")
    summary = bench.summarise(cached, baseline, steps)
    assert KEYS <= set(summary)
    assert summary["views"] == 400 and summary["errors"] == 0
    assert summary["stale_reads_after_write"] == 0
    assert summary["baseline_d1_queries_per_1000_views"] >= 2000  # post + tenant config per view
    # Far below the baseline even on a tiny run (the 1.2 x floor target is for the full workload).
    assert summary["d1_queries_per_1000_views"] < summary["baseline_d1_queries_per_1000_views"] / 3
