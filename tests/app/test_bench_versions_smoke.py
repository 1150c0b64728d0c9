"""bench/versions.py on a small workload (20 edits, 10 history calls of each kind): it runs end
to end and its figures hold together. The full size runs in ``make bench``."""

from __future__ import annotations

import argparse

from bench import versions as bench


async def test_small_benchmark_run():
    summary = await bench.main_async(argparse.Namespace(edits=20, reps=10))
    # A new post plus 20 text edits: 21 versions, each holding its whole text (markdown + HTML).
    assert summary["versions_per_post"] == 21
    assert summary["versions_row_bytes_per_version"] > 2 * summary["markdown_bytes"] * 0.9
    # A save's D1 queries do not grow with the versions it keeps (they live in the object).
    assert summary["save_with_version_d1_queries"] <= summary["save_without_version_d1_queries"] + 1
    for kind in ("save_with_version", "save_without_version", "list", "diff", "restore"):
        assert 0 < summary[f"{kind}_cpu_ms_p50"] <= summary[f"{kind}_cpu_ms_p95"], kind
        assert 0 < summary[f"{kind}_modelled_ms_p50"] <= summary[f"{kind}_modelled_ms_p95"], kind
        assert summary[f"{kind}_do_requests"] >= 1, kind
    # Reading the history is the post's object and a D1 lookup or two, never a scan.
    assert summary["list_d1_queries"] <= 4 and summary["diff_d1_queries"] <= 4
