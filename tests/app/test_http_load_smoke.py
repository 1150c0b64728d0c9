"""bench/http_load.py, tiny: every server starts (this tree's `grove dev`, the hello-world, the
base commit's `grove dev` from a temporary worktree), each target answers as it should under
load, the JSON line has its keys, and the base worktree is gone afterwards. The figures
themselves are for `make bench`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "http_load.py"
BASE_COMMIT = "534e12b"
EXPECTED_STATUSES = {
    "hello": {"200"}, "cached_page": {"200"}, "cached_page_access_log": {"200"}, "base_cached_page": {"200"},
    "list": {"200"}, "not_found": {"404"}, "mix_90_10": {"200"},
}  # fmt: skip


def _has_base_commit() -> bool:
    """A shallow clone lacks the base commit; the smoke then runs without it (``make bench``
    needs the full history, as its README section says)."""
    found = subprocess.run(["git", "cat-file", "-e", f"{BASE_COMMIT}^{{commit}}"], cwd=REPO, capture_output=True)
    return found.returncode == 0


def test_http_load_smoke_run():
    with_base = _has_base_commit()
    done = subprocess.run(
        [sys.executable, str(BENCH), "--seconds", "0.5", "--warmup", "0.3", "--rounds", "1", "--connections", "4",
         *([] if with_base else ["--no-base"])],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"cached_page_rps", "hello_rps", "cached_page_speedup_vs_base", "cached_page_vs_hello"} <= set(result)
    for target, statuses in EXPECTED_STATUSES.items():
        if target == "base_cached_page" and not with_base:
            continue
        assert result[f"{target}_rps"] > 0, target
        assert set(result[f"{target}_statuses"]) == statuses, (target, result[f"{target}_statuses"])
        assert result[f"{target}_errors"] == 0, target
    assert result["server_tracebacks"] == 0
    worktrees = subprocess.run(["git", "worktree", "list"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    assert "grove-http-load-" not in worktrees
