"""The short load run (``bench/load.py``, ``make load`` at full size): Locust users against a
``grove dev`` subprocess on 127.0.0.1 for ~20 s, then every acknowledged write read back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LOAD = Path(__file__).resolve().parents[2] / "bench" / "load.py"
USERS = 8
KEYS = {"requests", "errors_5xx", "lost_writes", "count_mismatches", "latency_ms_p50", "latency_ms_p95", "latency_ms_p99"}


def test_short_load_run_keeps_every_acknowledged_write():
    done = subprocess.run(
        [sys.executable, str(LOAD), "--users", str(USERS), "--seconds", "20", "--max-requests", "20000"],
        capture_output=True, text=True, timeout=300,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert KEYS <= set(result), done.stdout
    assert result["requests"] > USERS * 10  # the run did run
    assert result["posts_checked"] == USERS and result["drafts_checked"] == USERS // 2
    assert result["analytics_acknowledged"] > 0
    assert result["errors_5xx"] == 0 and result["transport_errors"] == 0 and result["server_tracebacks"] == 0
    assert result["lost_writes"] == 0 and result["count_mismatches"] == 0, result["lost"]
    # only draft conflicts (two devices) are expected refusals
    assert set(result["errors_by_status"]) <= {"409"}, result["errors_by_status"]
    assert done.returncode == 0
