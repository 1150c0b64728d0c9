"""bench/post_meta.py on a small workload (200 toggles from 100 users): it runs end to end and
its figures hold. The full size (1,000 from 500) runs in ``make bench``."""

from __future__ import annotations

import argparse

from bench import post_meta as bench
from grove.tiers import GENERATION_EDGE_TTL_S
from local_runtime.latency import LatencyProfile


async def test_small_benchmark_run():
    args = argparse.Namespace(toggles=200, users=100, sequential=40, views=200, readers=60, comments=200)
    summary = await bench.main_async(args)
    assert summary["counts_exact"] is True and summary["d1_agrees_after_flush"] is True
    assert 0 < summary["reaction_toggle_cpu_ms_p50"] <= summary["reaction_toggle_cpu_ms_p95"]
    # The latency model's figures, not a timing: one D1 query (the credential's row) beside the
    # auth-failure check, the post's KV copy and the reaction limiter, then the post's object.
    assert summary["reaction_toggle_binding_ops"] == {"d1_query": 1.0, "do_call": 3.0, "kv_read_hit": 1.0}
    profile = LatencyProfile()
    assert summary["reaction_toggle_modelled_ms_p95"] == profile.d1_query_ms + profile.do_call_ms < 15
    # Per view: the post's object, the tenant's when the view counts, and a share of alarms.
    assert 1 <= summary["do_requests_per_1000_views"] / 1000 <= 3
    # The cached page itself costs no DO request per view: only when this location's record of
    # the tenant's generation expires (grove.tiers.GENERATION_EDGE_TTL_S) is the TenantDO asked
    # again (config and stamp), so at most a couple of requests a minute, however many views.
    page_requests = summary["do_requests_per_1000_views_page"] * args.views / 1000
    assert page_requests <= 2 * 3600 / GENERATION_EDGE_TTL_S
    # One hour, one post: one write of its totals (200 views: 5 per 1,000).
    assert summary["d1_writes_per_1000_views"] == 5
    # 200 comments over 10 minutes in 30-second batches: about 20 writes.
    assert summary["d1_writes_per_1000_comments"] * 200 / 1000 <= 21
