"""bench/scaling.py at tiny sizes: it seeds, runs every path through the Worker, and reports a
ratio for each path, the tag page and the Atom feed included."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "scaling.py"


async def test_tiny_scaling_run():
    spec = importlib.util.spec_from_file_location("scaling_bench", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    summary = await bench.main([20, 60], reps=2, seed_text="smoke")
    assert summary["posts_max"] == 60
    assert set(summary["scale_ratio_100k_vs_100"]) == set(bench.PATHS)
    assert all(ratio > 0 for ratio in summary["scale_ratio_100k_vs_100"].values())
    assert {"tag_page", "atom_feed"} <= set(summary["scale_ratio_100k_vs_100"])
