"""A latency model for the local runtime's bindings.

Each binding operation has a modelled edge latency. When a profile is switched on, every
operation adds its figure to the trace of the request it runs in (so a benchmark can report a
modelled edge latency per request beside measured CPU time) and, on a simulated clock,
moves that clock forward by the same amount (so TTLs and alarms see time pass as they would).

The defaults are round numbers read from published Cloudflare material, named beside each.
Only the KV figures are quoted measurements (the 2024 KV latency post); for D1, R2, Durable
Objects and the Cache API Cloudflare publishes architecture (where the data lives, what a call
crosses) rather than latency tables, so those are our estimates for a Worker in the same region
as the resource, marked "estimate". They model an order of magnitude, not a data centre: a
benchmark reports them beside measured CPU time, never instead of it.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field, fields


@dataclass(frozen=True)
class LatencyProfile:
    # Cloudflare blog "We made Workers KV up to 3x faster" (2024-09-26): the hottest keys are
    # served from the KV Worker's in-memory cache in under a millisecond; reads that reach
    # regional/central storage take tens of milliseconds.
    kv_read_hit_ms: float = 1.0
    kv_read_miss_ms: float = 30.0
    # Same post: writes go to central storage; "all KV operations faster by up to 20 ms".
    kv_write_ms: float = 30.0
    # Estimate. D1 docs "Global read replication" and the blog "Sequential consistency without
    # borders" (2025-04-10): a query travels to the database's region (primary or replica).
    d1_query_ms: float = 10.0
    # Estimate. R2 docs "How R2 works": objects live in the bucket's region; a read crosses to
    # it, a write also waits for durable replication there.
    r2_get_ms: float = 25.0
    r2_put_ms: float = 40.0
    # Estimate. Durable Objects docs "What are Durable Objects": an object lives in one
    # location near where it was first used; a call is a round trip to it.
    do_call_ms: float = 3.0
    # Estimate. Workers docs "Cache": the cache is local to the data centre running the Worker.
    cache_hit_ms: float = 0.5
    cache_miss_ms: float = 0.5

    @classmethod
    def zero(cls) -> LatencyProfile:
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def for_op(self, op: str) -> float:
        return float(getattr(self, f"{op}_ms"))


@dataclass
class RequestTrace:
    """Modelled latency accumulated by one request (and the DO calls it makes)."""

    modelled_ms: float = 0.0
    ops: dict[str, int] = field(default_factory=dict)

    def add(self, op: str, ms: float) -> None:
        self.modelled_ms += ms
        self.ops[op] = self.ops.get(op, 0) + 1


current_trace: contextvars.ContextVar[RequestTrace | None] = contextvars.ContextVar(
    "grove_current_trace", default=None
)
