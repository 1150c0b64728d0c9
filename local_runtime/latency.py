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

import asyncio
import contextvars
from dataclasses import dataclass, field, fields
from typing import Any


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


class _Path:
    """One line of sequential work inside a request: the request's own task, or a task it
    forked (``asyncio.gather``, ``create_task``) that made a binding call. ``end_ms`` is where
    its last operation ended on the request's modelled timeline."""

    __slots__ = ("children", "end_ms", "task", "trace")

    def __init__(self, trace: RequestTrace, task: asyncio.Task[Any] | None, end_ms: float) -> None:
        self.trace = trace
        self.task = task
        self.end_ms = end_ms
        self.children: list[_Path] = []

    def joined_ms(self) -> float:
        """Where this path stands once the forked work that has finished is waited for."""
        done = [child for child in self.children if child.task is None or child.task.done()]
        self.children = [child for child in self.children if child not in done]
        self.end_ms = max([self.end_ms, *(child.joined_ms() for child in done)])
        return self.end_ms


@dataclass
class RequestTrace:
    """Modelled latency accumulated by one request (and the DO calls it makes).

    Operations on one task follow each other; operations on tasks the request forked run
    beside it, from the moment of the fork, and the request waits for them when it next does
    I/O or ends (the critical path, as for concurrent subrequests in production, where
    ``asyncio.gather`` over binding calls sends them together). So ``modelled_ms`` is the
    longest chain of waits, not the sum of every call."""

    ops: dict[str, int] = field(default_factory=dict)
    _root: _Path | None = None

    @property
    def modelled_ms(self) -> float:
        return 0.0 if self._root is None else self._root.joined_ms()

    def begin(self) -> contextvars.Token[tuple[_Path, float] | None]:
        """Start (or resume) the timeline in the current task, the request's own; hand the
        token to ``finish`` when the request is answered."""
        if self._root is None:
            self._root = _Path(self, asyncio.current_task(), 0.0)
        return _position.set((self._root, self._root.joined_ms()))

    @staticmethod
    def finish(token: contextvars.Token[tuple[_Path, float] | None]) -> None:
        _position.reset(token)

    def add(self, op: str, ms: float) -> None:
        self.ops[op] = self.ops.get(op, 0) + 1
        position = _position.get()
        if position is None or position[0].trace is not self:
            self.begin()  # a trace set without a request (binding tests): this task's
            position = _position.get()
            assert position is not None
        path, at_ms = position
        task = asyncio.current_task()
        if path.task is task:
            at_ms = max(at_ms, path.joined_ms())
        else:
            # The first operation of a task forked at ``at_ms`` (its context is a copy of its
            # creator's, position included).
            child = _Path(self, task, at_ms)
            path.children.append(child)
            path = child
        path.end_ms = at_ms + ms
        _position.set((path, path.end_ms))


current_trace: contextvars.ContextVar[RequestTrace | None] = contextvars.ContextVar(
    "grove_current_trace", default=None
)
# Where the current task stands on its request's timeline: its path and the end of its last
# operation. A forked task inherits the value its creator had at the fork.
_position: contextvars.ContextVar[tuple[_Path, float] | None] = contextvars.ContextVar(
    "grove_trace_position", default=None
)
