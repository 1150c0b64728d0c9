"""When a buffer of small writes is flushed to D1, and how a failed flush backs off.

A buffer is sent in batches of at most ``batch_size`` items: at once when a full batch is
waiting, otherwise once its oldest item has waited ``max_wait_ms``. After a failure nothing
is sent before ``retry_at_ms`` (exponential backoff, capped), however full the buffer gets;
items are never dropped. One run sends at most ``max_batches_per_run`` batches, so a backlog
drains over several runs, each well inside a Worker invocation's query limits.

Plain Python: ``durable_objects.buffered_flush`` applies it to a table in a Durable Object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict


@dataclass(frozen=True)
class FlushPolicy:
    batch_size: int = 100
    max_wait_ms: int = 60_000
    retry_base_ms: int = 5_000
    retry_max_ms: int = 10 * 60_000
    max_batches_per_run: int = 10


class FlushState(TypedDict):
    """A buffer's state as ``should_send`` and ``next_flush_at_ms`` take it (as keywords)."""

    pending: int
    oldest_at_ms: int | None
    retry_at_ms: int | None
    now_ms: int


def retry_delay_ms(policy: FlushPolicy, failures: int) -> int:
    """Wait after the ``failures``-th failure in a row: base, 2x base, 4x base, ... capped."""
    if failures < 1:
        return 0
    return min(policy.retry_base_ms * 2 ** min(failures - 1, 30), policy.retry_max_ms)


def should_send(
    policy: FlushPolicy, *, pending: int, oldest_at_ms: int | None, retry_at_ms: int | None, now_ms: int
) -> bool:
    """Whether a batch should go now."""
    if pending == 0:
        return False
    if retry_at_ms is not None and now_ms < retry_at_ms:
        return False
    if pending >= policy.batch_size:
        return True
    return oldest_at_ms is not None and now_ms - oldest_at_ms >= policy.max_wait_ms


def next_flush_at_ms(
    policy: FlushPolicy, *, pending: int, oldest_at_ms: int | None, retry_at_ms: int | None, now_ms: int
) -> int | None:
    """When the next batch is due (``now_ms`` if it is due already); None with nothing pending."""
    if pending == 0:
        return None
    if retry_at_ms is not None and now_ms < retry_at_ms:
        return retry_at_ms
    if pending >= policy.batch_size or oldest_at_ms is None:
        return now_ms
    return max(now_ms, oldest_at_ms + policy.max_wait_ms)
