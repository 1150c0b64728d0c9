"""bench/tenant_do.py on a small workload: it runs end to end and its figures hold."""

from __future__ import annotations

import argparse

from bench import tenant_do as bench


async def test_small_benchmark_run():
    summary = await bench.main_async(argparse.Namespace(events=300, views=600, saves=40))
    assert summary["d1_write_calls_per_1000_events_busy"] <= 10  # batches of 100
    assert summary["d1_write_calls_per_1000_events_quiet"] <= 1000 / 300 * 61  # one per minute
    # Measured, not written down: batches of one make one D1 call per event.
    assert summary["d1_write_calls_per_1000_events_unbuffered"] == 1000
    # However few or many views, the hour costs each tenant at most one reload per 5 minutes.
    assert summary["config_d1_reads"] <= summary["config_d1_reads_target_max"] == 120
    assert summary["config_d1_reads_per_10000_views_without_tenant_do"] == 10_000
    assert 0 < summary["draft_save_cpu_ms_p50"] <= summary["draft_save_cpu_ms_p95"]
