"""bench/scaling.py at tiny sizes: it seeds, runs every path through the Worker, and reports a
ratio for each path, the tag page and the Atom feed included."""

from __future__ import annotations

from bench import scaling as bench


async def test_tiny_scaling_run():
    summary = await bench.main_async([20, 60], reps=2, seed_text="smoke")
    assert summary["posts_max"] == 60
    assert set(summary["scale_ratio_100k_vs_100"]) == set(bench.PATHS)
    assert all(ratio > 0 for ratio in summary["scale_ratio_100k_vs_100"].values())
    assert {"tag_page", "atom_feed"} <= set(summary["scale_ratio_100k_vs_100"])
