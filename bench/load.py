"""``make load``: N concurrent Locust users for T seconds against a ``grove dev`` subprocess on
127.0.0.1, then every acknowledged write is read back.

The mix (``bench/load_locustfile.py``): page reads, post edits, drafts saved from two devices,
analytics batches. Afterwards: each post's text must be its last acknowledged edit, each draft
the highest acknowledged version with that version's text (``lost_writes``), and the page views
D1 holds after the flush must equal the acknowledged ones (``count_mismatches``). The flush:
the TenantDO's alarm sends a batch as soon as 100 events wait, so a final batch tops the buffer
up to a multiple of 100 (its events are acknowledged and counted too) and the driver polls the
summary until D1 has them all, or 90 s pass (the alarm's own 60 s timer is the fallback).

Rate limits are raised for the run through vars (``grove dev --var RATE_LIMIT_...``): the
run measures the write path, not the limiter. Latency is Locust's per-request time, measured
from the client side of the loopback.

    .venv/bin/python bench/load.py --users 50 --seconds 120     # make load
    .venv/bin/python bench/load.py --users 8 --seconds 20      # the short run in make test

Prints requests, errors by status, p50/p95/p99, lost_writes, count_mismatches; the last line
is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO_ROOT))

from local_runtime.bootstrap import install_paths  # noqa: E402

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from bench.servers import free_port, wait_for_health  # noqa: E402
from grove.auth import mint_token  # noqa: E402
from grove.limits import Rule, var_name  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.accounts import ensure_account_sync  # noqa: E402
from grove_dev.platform import ensure_dev_vars, start_platform  # noqa: E402

TENANT = "autumn"
RAISED_LIMIT = "1000000/60"
READ_PATHS = ["/", "/blog", "/api/posts"]  # and the users' own posts (the locustfile adds them)
FLUSH_WAIT_S = 90.0
BATCH = 100  # the TenantDO's flush batch (durable_objects.tenant.ANALYTICS_FLUSH)


def _start_server(state: Path, port: int) -> subprocess.Popen[bytes]:
    raised = [f"--var={var_name(rule)}={RAISED_LIMIT}" for rule in Rule]
    command = [str(BIN / "grove"), "dev", "--host", "127.0.0.1", "--port", str(port), "--state", str(state), *raised]
    server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_health(f"http://127.0.0.1:{port}/__health", server, what="grove dev")
    return server


def _read_back(base: str, host: str, token: str, log: dict[str, Any]) -> dict[str, Any]:
    headers = {"host": host, "authorization": f"Bearer {token}", "accept": "application/json"}
    lost: list[str] = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for slug, markdown in log["posts"].items():
            reply = client.get(f"/api/posts/{slug}")
            if reply.status_code != 200 or reply.json()["markdown"] != markdown:
                lost.append(f"post {slug}")
        for slug, versions in log["drafts"].items():
            newest = max(versions, key=int)
            reply = client.get(f"/api/drafts/{slug}")
            if reply.status_code != 200 or reply.json()["version"] != int(newest) or reply.json()["content"] != versions[newest]:
                lost.append(f"draft {slug}")
        acknowledged = log["analytics_views"]
        stored = client.get("/api/analytics/summary?days=1").json()["total_views"]
        top_up = (BATCH - (acknowledged - stored) % BATCH) % BATCH
        if top_up:
            batch = [{"type": "page_view", "path": "/", "ts_ms": int(time.time() * 1000)} for _ in range(top_up)]
            reply = client.post("/api/analytics", json=batch)
            if reply.status_code == 202:
                acknowledged += reply.json()["accepted"]
        deadline = time.monotonic() + FLUSH_WAIT_S
        while stored != acknowledged and time.monotonic() < deadline:
            time.sleep(0.5)
            stored = client.get("/api/analytics/summary?days=1").json()["total_views"]
    return {
        "lost": lost, "analytics_acknowledged": acknowledged, "analytics_stored": stored,
        "count_mismatches": int(stored != acknowledged),
    }


def _owner_tokens(secret: str, state: Path, users: int, now_ms: int) -> list[str]:
    """One owner token per simulated user, each with its account and membership on TENANT
    (roles come from memberships), written into the running server's state as `grove token
    --state` does."""
    platform = start_platform(state)
    try:
        d1 = platform.runtime.d1()
        user_ids = [ensure_account_sync(d1, f"load-{n}", tenant=TENANT, role="owner", now_ms=now_ms) for n in range(users)]
    finally:
        platform.runtime.close()
    return [mint_token(secret, sub=u, tenant=TENANT, role="owner", ttl_s=3600, now_ms=now_ms, jti=uuid.uuid4().hex) for u in user_ids]


def run(users: int, seconds: int, max_requests: int) -> dict[str, Any]:
    secret = ensure_dev_vars()["JWT_SECRET"]
    port = free_port()
    host = f"{TENANT}.localhost:{port}"
    now_ms = int(time.time() * 1000)
    with tempfile.TemporaryDirectory(prefix="grove-load-") as tmp:
        server = _start_server(Path(tmp) / "state", port)
        tokens = _owner_tokens(secret, Path(tmp) / "state", users, now_ms)
        log_path = Path(tmp) / "log.json"
        env = {
            **os.environ, "LOAD_LOG": str(log_path), "LOAD_TOKENS": json.dumps(tokens), "LOAD_HOST_HEADER": host,
            "LOAD_READ_PATHS": json.dumps(READ_PATHS), "LOAD_MAX_REQUESTS": str(max_requests),
        }
        try:
            started = time.monotonic()
            subprocess.run(
                [str(BIN / "locust"), "-f", str(REPO_ROOT / "bench" / "load_locustfile.py"), "--headless",
                 "--users", str(users), "--spawn-rate", str(max(1, users // 2)), "--run-time", f"{seconds}s",
                 "--host", f"http://127.0.0.1:{port}", "--only-summary", "--loglevel", "WARNING",
                 "--exit-code-on-error", "0", "--stop-timeout", "10"],
                cwd=REPO_ROOT, env=env, check=True, stdout=subprocess.DEVNULL, timeout=seconds + 120,
            )
            elapsed_s = time.monotonic() - started
            log = json.loads(log_path.read_text())
            checked = _read_back(f"http://127.0.0.1:{port}", host, tokens[0], log)
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=30)
    statuses: dict[str, int] = log["statuses"]
    errors = {status: n for status, n in statuses.items() if not status.isdigit() or int(status) >= 400}
    latencies: list[float] = log["latencies_ms"]
    worker_errors = stderr.decode(errors="replace").count("Traceback")
    return {
        "users": users, "seconds": seconds, "elapsed_s": round(elapsed_s, 1), "requests": log["requests"],
        "requests_per_s": round(log["requests"] / elapsed_s, 1), "statuses": statuses, "errors_by_status": errors,
        "errors_5xx": sum(n for s, n in statuses.items() if s.isdigit() and int(s) >= 500),
        "transport_errors": statuses.get("transport_error", 0), "server_tracebacks": worker_errors,
        "latency_ms_p50": round(kit.pct(latencies, 50), 1), "latency_ms_p95": round(kit.pct(latencies, 95), 1),
        "latency_ms_p99": round(kit.pct(latencies, 99), 1),
        "posts_checked": len(log["posts"]), "drafts_checked": len(log["drafts"]),
        "analytics_acknowledged": checked["analytics_acknowledged"], "analytics_stored": checked["analytics_stored"],
        "lost_writes": len(checked["lost"]), "lost": checked["lost"][:20],
        "count_mismatches": checked["count_mismatches"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many requests")
    args = parser.parse_args()
    result = run(args.users, args.seconds, args.max_requests)
    print(f"users {result['users']}, {result['elapsed_s']} s, requests {result['requests']} ({result['requests_per_s']}/s)")
    print(f"errors by status: {result['errors_by_status'] or 'none'}")
    print(f"latency ms: p50 {result['latency_ms_p50']}  p95 {result['latency_ms_p95']}  p99 {result['latency_ms_p99']}")
    print(f"read back: {result['posts_checked']} posts, {result['drafts_checked']} drafts, "
          f"page views {result['analytics_stored']} stored of {result['analytics_acknowledged']} acknowledged")
    print(f"lost_writes {result['lost_writes']}  count_mismatches {result['count_mismatches']}")
    print(json.dumps(result))
    ok = result["lost_writes"] == 0 and result["count_mismatches"] == 0 and result["errors_5xx"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
