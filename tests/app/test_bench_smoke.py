"""bench/blog_cache.py on a small workload: it runs end to end in several locations, with and
without KV, and reports every figure the issue asks for; its staleness check does catch a
stale view."""

from __future__ import annotations

from bench import blog_cache as bench

KEYS = {
    "locations", "d1_queries_per_1000_views", "floor_per_1000_views", "d1_vs_floor", "kv_hit_ratio",
    "d1_vs_floor_without_kv", "stale_reads_after_write", "modelled_latency_ms_mean", "modelled_latency_ms_p50",
    "modelled_latency_ms_p95", "modelled_latency_ms_p99", "views", "cross_location_staleness_max_s",
    "local_runtime_cpu_us_per_view_p50",
}


async def test_small_benchmark_run():
    steps, catalogue = bench.build_workload(views=400, edits=4, config_writes=2, seed="smoke")
    assert {s.location for s in steps} == set(bench.LOCATIONS)
    results = {label: await bench.run(label, steps, catalogue, cache_mode=bench.RUNS[label]) for label in ("kv", "no_kv")}
    summary = bench.summarise(results, steps)
    assert KEYS <= set(summary)
    assert summary["views"] == 400 and summary["errors"] == 0
    assert summary["stale_reads_after_write"] == 0
    assert summary["cross_location_staleness_max_s"] <= summary["cross_location_staleness_bound_s"]
    floor = summary["floor"]
    assert floor["edits"] == 4 and floor["config_writes"] == 2 and floor["config_loads"] >= len(bench.TENANTS)
    # KV is read and found, and saves D1 reads that the run without it makes.
    assert summary["kv_hit_ratio"] > 0
    assert summary["d1_view_reads_saved_by_kv"] > 0
    assert summary["modelled_latency_ms_p99"] >= summary["modelled_latency_ms_p50"] > 0


def test_the_staleness_check_names_the_writes_a_view_misses():
    fresh = bench.Freshness()
    step = bench.Step(0, "ams", "autumn", "a-post")
    fresh.posts[("autumn", "a-post")].append(bench.Write(1, "sin", 1_000))
    fresh.configs["autumn"].append(bench.Write(1, "ams", 2_000))
    current = f"<h1>{bench._display_name('autumn', 1)}</h1> <em>{bench._marker(1)}</em>"
    assert fresh.missed(step, current) == []
    old_post = f"<h1>{bench._display_name('autumn', 1)}</h1> <em>{bench._marker(0)}</em>"
    assert fresh.missed(step, old_post) == [bench.Write(1, "sin", 1_000)]
    old_config = f"<h1>{bench._display_name('autumn', 0)}</h1> <em>{bench._marker(1)}</em>"
    assert fresh.missed(step, old_config) == [bench.Write(1, "ams", 2_000)]
