"""Operation counters per binding, the basis of benchmarks and cost figures.

Counter names are ``binding.metric``; the full list is ``COUNTERS`` so that a snapshot
always has every key (a zero is a figure too).
"""

from __future__ import annotations

from collections import Counter

COUNTERS: tuple[str, ...] = (
    "d1.queries",
    "d1.batches",
    "d1.rows_read",
    "d1.rows_written",
    "kv.reads",
    "kv.read_hits",  # reads that found a live value
    "kv.location_hits",  # reads answered by the reading location's cached copy (hot reads)
    "kv.writes",
    "kv.lists",
    "kv.deletes",
    "r2.class_a",  # put, list, multipart: billed as Class A
    "r2.class_b",  # get, head: billed as Class B
    "r2.deletes",  # free, but counted
    "do.requests",  # fetch + RPC calls delivered to objects
    "do.alarms",
    "do.alarm_retries",
    "do.storage_rows_read",
    "do.storage_rows_written",
    "do.instances_created",
    "cache.hits",
    "cache.misses",
    "cache.puts",
    "cache.deletes",
    "cron.runs",
    "queue.messages_sent",
    "queue.batches",  # consumer deliveries
    "queue.acks",
    "queue.retries",
    "queue.dead_lettered",  # moved to a dead-letter queue after max_retries
    "queue.dropped",  # failed past max_retries with no dead-letter queue
    "worker.requests",
    "worker.safe_requests",  # GET/HEAD: the cost report prices reads and writes' CPU apart
)
_KNOWN = frozenset(COUNTERS)  # every binding call counts: a set lookup, not a scan of the tuple


class Stats:
    """Counters shared by every binding of one runtime."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def incr(self, name: str, n: int = 1) -> None:
        if name not in _KNOWN:
            raise KeyError(f"unknown counter {name!r}")
        self._counts[name] += n

    def get(self, name: str) -> int:
        return self._counts[name]

    def snapshot(self) -> dict[str, int]:
        return {name: self._counts[name] for name in COUNTERS}

    def reset(self) -> None:
        self._counts.clear()

    def grouped(self) -> dict[str, dict[str, int]]:
        """``{"d1": {"queries": 3, ...}, ...}`` for `/__stats`."""
        out: dict[str, dict[str, int]] = {}
        for name, value in self.snapshot().items():
            binding, metric = name.split(".", 1)
            out.setdefault(binding, {})[metric] = value
        return out
