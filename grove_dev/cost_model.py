"""From a replayed month (operation counters, stored bytes) to the usage lines Cloudflare bills.

Pure: the counters come from ``local_runtime.stats`` snapshots, the stored bytes from the
local stores, and the CPU model from the Pyodide lane's timings (``bench/pyodide_requests.py``).
The replay is a sample of the workload; every per-post count is multiplied by its scale factor,
while the cron's invocations are not (a daily cron runs 30 times a month at any size).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from grove_dev.prices import DO_MEMORY_GB, GB


@dataclass(frozen=True)
class CpuModel:
    """CPU milliseconds per Worker invocation, and how long a Durable Object stays active per
    request. Taken from the Pyodide lane (production's interpreter), never from CPython."""

    read_request_ms: float  # a GET: the lane's cached-view median
    write_request_ms: float  # a write (and a cron run): the lane's post-create median
    do_active_ms_per_request: float  # a DO request keeps its object active this long
    source: str

    @classmethod
    def from_pyodide_timings(cls, figures: dict[str, float], source: str) -> CpuModel:
        """From ``bench/pyodide_requests.py``'s JSON line. Its times are wall times including
        miniflare's bindings, so as CPU times they are upper bounds; a DO request is modelled
        as active for as long as a cached view takes (one RPC's worth of Python)."""
        read_ms = float(figures["cached_view_ms_p50"])
        return cls(
            read_request_ms=read_ms,
            write_request_ms=float(figures["post_create_ms_p50"]),
            do_active_ms_per_request=read_ms,
            source=source,
        )

    @classmethod
    def from_file(cls, path: Path) -> CpuModel:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        return cls.from_pyodide_timings(json.loads(lines[-1]), f"Pyodide lane timings in {path}")


@dataclass(frozen=True)
class MonthMeasured:
    """One replayed month of the sample: counters (``Stats.snapshot()``) and stored bytes at
    its end, by store (``d1``, ``kv``, ``r2``), and the stores' bytes before any user existed
    (the schema: one per deployment, so not scaled)."""

    counters: dict[str, int]
    stored_bytes: dict[str, int]
    baseline_bytes: dict[str, int]

    def scaled_bytes(self, store: str, scale: float) -> float:
        base = self.baseline_bytes[store]
        return base + max(0, self.stored_bytes[store] - base) * scale


def usage_lines(month: MonthMeasured, cpu: CpuModel, scale: float) -> dict[str, float]:
    """The month's usage per ``grove_dev.prices.PRICES`` line, scaled from the sample."""
    c = month.counters
    cron_runs = c["cron.runs"]  # not scaled: a schedule, not a per-post figure
    requests = c["worker.requests"] * scale + cron_runs
    safe = c["worker.safe_requests"] * scale
    writes = requests - cron_runs - safe
    cpu_ms = safe * cpu.read_request_ms + (writes + cron_runs) * cpu.write_request_ms
    do_requests = (c["do.requests"] + c["do.alarms"]) * scale  # alarms are billed as requests
    return {
        "workers_requests": requests,
        "workers_cpu": cpu_ms,
        "d1_rows_read": c["d1.rows_read"] * scale,
        "d1_rows_written": c["d1.rows_written"] * scale,
        "d1_storage": month.scaled_bytes("d1", scale) / GB,
        "kv_reads": c["kv.reads"] * scale,
        "kv_writes": c["kv.writes"] * scale,
        "kv_deletes": c["kv.deletes"] * scale,
        "kv_lists": c["kv.lists"] * scale,
        "kv_storage": month.scaled_bytes("kv", scale) / GB,
        "r2_class_a": c["r2.class_a"] * scale,
        "r2_class_b": c["r2.class_b"] * scale,
        "r2_storage": month.scaled_bytes("r2", scale) / GB,
        "do_requests": do_requests,
        "do_duration": do_requests * cpu.do_active_ms_per_request / 1000 * DO_MEMORY_GB,
    }
