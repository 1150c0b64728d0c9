"""bench/meadow.py on a small workload (5 authors x 12 posts, 40 loads, fan-out to 60 and 500
followers): it runs end to end and
its counted figures hold. The full size runs in ``make bench``."""

from __future__ import annotations

import argparse

from bench import meadow as bench


async def test_small_benchmark_run():
    summary = await bench.run(argparse.Namespace(authors=5, posts_per_author=12, loads=40, small_followers=60, big_followers=500))
    assert summary["feed_items_after_rebuild"] == 61  # 5 x 12 pushed-era posts + the pull author's one
    assert summary["rebuild_d1_queries"] == 2  # one batch: the follows and the posts
    assert summary["feed_load_d1_queries"] == 0
    assert summary["feed_load_credential_d1_queries"] == 1
    assert summary["follow_backfilled"] == 12
    assert 0 < summary["feed_load_cpu_ms_p50"] <= summary["feed_load_cpu_ms_p95"]
    # Fan-out: 60 active followers are pushed (1 publish + 2 push messages of 50, one RPC per
    # follower); the pull author's post is one message and one RPC to its store.
    assert summary["fanout_rpcs_per_post_1k_followers"] == 60
    assert summary["fanout_queue_messages_per_post_1k_followers"] == 3
    assert summary["fanout_rpcs_per_post_100k_followers"] == 1
    assert summary["fanout_queue_messages_per_post_100k_followers"] == 1
    assert summary["fanout_dead_lettered"] == 0
    assert summary["fanout_last_follower_modelled_s_1k_followers"] <= 15  # two batch timeouts + RPCs
