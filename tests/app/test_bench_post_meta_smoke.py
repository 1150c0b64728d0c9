"""bench/post_meta.py on a small workload (200 toggles from 100 users): it runs end to end and
its figures hold. The full size (1,000 from 500) runs in ``make bench``."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "post_meta.py"


async def test_small_benchmark_run():
    spec = importlib.util.spec_from_file_location("post_meta_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    args = argparse.Namespace(toggles=200, users=100, sequential=40, views=200, readers=60, comments=200)
    summary = await bench.main_async(args)
    assert summary["counts_exact"] is True and summary["d1_agrees_after_flush"] is True
    assert 0 < summary["reaction_toggle_cpu_ms_p50"] <= summary["reaction_toggle_cpu_ms_p95"]
    # Per view: the post's object, the tenant's when the view counts, and a share of alarms.
    assert 1 <= summary["do_requests_per_1000_views"] / 1000 <= 3
    # The cached page calls the TenantDO only when this location's generation entry for the
    # tenant (grove.tiers.GENERATION_EDGE_TTL_S) has expired: 200 views over an hour are sparse,
    # so that happens on a share of them, never on most.
    assert summary["do_requests_per_1000_views_page"] < 1000
    # One hour, one post: one write of its totals (200 views: 5 per 1,000).
    assert summary["d1_writes_per_1000_views"] == 5
    # 200 comments over 10 minutes in 30-second batches: about 20 writes.
    assert summary["d1_writes_per_1000_comments"] * 200 / 1000 <= 21
