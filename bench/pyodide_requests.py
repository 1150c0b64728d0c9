"""Benchmark: the app's per-request time under production's interpreter, next to a trivial Worker.

The Pyodide lane (``pyodide_lane/``: Pyodide 314 on Node 24, Cloudflare's Python SDK,
miniflare's D1/KV/R2/Cache) runs the main Worker and ``pyodide_lane/hello_worker`` (one fixed
response, no app code) side by side; ``pyodide_lane/bench/lane_request_timing.py`` times, in
the same run and interleaved with the trivial Worker's requests:

- ``cached_view``: a published post's page, served from the Cache API;
- ``post_create``: ``POST /api/posts`` (D1 writes, TenantDO RPC, purges; the rate limit is raised
  for the run through ``RATE_LIMIT_POST_CREATE``).

Each time is the Worker's own (the harness measures from the call to the last body byte),
including miniflare's bindings, which stand in for Cloudflare's: the ratios to the trivial
Worker are the figures to read, not the milliseconds. Medians and p90 of ``--reps`` requests.

Last line: JSON with ``hello_ms_p50``, ``cached_view_ms_p50``, ``post_create_ms_p50`` (and
``_p90``), ``cached_view_vs_hello`` and ``post_create_vs_hello`` (ratios of the medians).

    .venv/bin/python bench/pyodide_requests.py [--reps 200] [--warmup 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "pyodide_lane"))
import prepare  # noqa: E402
import run as lane  # noqa: E402
import vendor  # noqa: E402

HELLO_CONFIG = REPO / "pyodide_lane" / "hello_worker" / "wrangler.toml"
TIMING_TEST = "pyodide_lane/bench/lane_request_timing.py"
RAISED = {"RATE_LIMIT_POST_CREATE": "1000000/60"}


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def measure(reps: int, warmup: int) -> dict[str, list[float]]:
    vendor.vendor()  # python_modules/ and its copy beside every Worker the lane loads: `make vendor`
    vendor.copy_to_workers()
    stamp = prepare.prepare()
    with tempfile.TemporaryDirectory(prefix="pyodide-requests-") as tmp:
        work = Path(tmp)
        (work / "request-timing-spec.json").write_text(json.dumps({"reps": reps, "warmup": warmup}))
        code = lane.run_lane(
            stamp, [TIMING_TEST, "-q", "-p", "no:randomly"], work=work, extra_configs=(HELLO_CONFIG,), extra_secrets=RAISED
        )
        out = work / "request-timing.json"
        if code != 0 or not out.exists():
            raise SystemExit(f"the lane's timing run failed (exit {code})")
        return json.loads(out.read_text())


def summarise(times: dict[str, list[float]]) -> dict[str, Any]:
    out: dict[str, Any] = {"reps": len(times["cached_view"])}
    for kind, values in times.items():
        out[f"{kind}_ms_p50"] = round(statistics.median(values), 3)
        out[f"{kind}_ms_p90"] = round(percentile(values, 90), 3)
    for kind in ("cached_view", "post_create"):
        out[f"{kind}_vs_hello"] = round(out[f"{kind}_ms_p50"] / out["hello_ms_p50"], 2)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="timed requests of each kind")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests of each kind first")
    args = parser.parse_args()
    result = summarise(measure(args.reps, args.warmup))
    print(f"{'request (Pyodide lane)':<24}{'p50 ms':>9}{'p90 ms':>9}{'vs hello':>10}")
    for kind in ("hello", "cached_view", "post_create"):
        ratio = result.get(f"{kind}_vs_hello", 1.0)
        print(f"{kind:<24}{result[f'{kind}_ms_p50']:>9.2f}{result[f'{kind}_ms_p90']:>9.2f}{ratio:>9.2f}x")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
