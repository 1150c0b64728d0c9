"""bench/reader_blog.py on a small workload (200 feed fetches, 200 probes of made-up slugs): it
runs end to end and its figures hold. The full size runs in ``make bench``."""

from __future__ import annotations

import argparse

from bench import reader_blog as bench


async def test_small_benchmark_run():
    args = argparse.Namespace(fetches=200, blogs=2, edit_every=50, probes=200, repeat=5, seed="grove")
    summary = await bench.main_async(args)
    # Feeds come from the cache between edits: close to the floor of one D1 read per blog,
    # feed and change (plus the TenantDO's config reloads).
    assert summary["feed_fetches"] == 200 and summary["feed_edits"] >= 1
    assert 1.0 <= summary["feed_d1_vs_floor"] <= 1.5
    # A made-up slug writes nothing to KV, and after its first probe reads nothing anywhere.
    assert summary["kv_writes_for_missing_slugs"] == 0
    assert summary["d1_queries_after_first_probe"] == 0 and summary["kv_reads_after_first_probe"] == 0
    assert summary["repeat_probes"] == 200 - 200 // 5
