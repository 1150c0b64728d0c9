"""RateLimiterDO (``rate:{rule}:{subject}``): an exact sliding-window counter for one key.

One object per limited key, not sharded. A key's requests are few (its limit: 10 posts a
minute, 120 analytics calls a minute), so one object carries them easily: Cloudflare gives
about 1,000 requests/s per object as its soft limit (developers.cloudflare.com/durable-objects/
platform/limits/), and a check here is three small SQL statements on at most ``limit`` rows, no
await. One object per key is what makes the count exact: it runs one
event at a time, and ``take`` never awaits, so two concurrent requests can never both see the
last free slot. Sharding a key over k objects would give each a share of the limit and admit
up to k-1 extra requests on an uneven spread; different keys already land on different objects.

Storage: one row per admitted request still inside the window (at most ``limit`` rows), so
refused requests cost no write. The window slides: a request is admitted when fewer than
``limit`` were admitted in the last ``window_ms``; a refusal says when the oldest of those
leaves the window (``retry_after_ms``). The caller passes the limit, so an environment's
override (``grove.limits``) needs no migration of the object.
"""

from __future__ import annotations

from typing import TypedDict

from durable_objects.base import GroveDurableObject
from grove.bindings import SqlCursor
from grove.clock import now_ms
from grove.rate_limit_rpc import Decision


class _WindowRow(TypedDict):
    n: int
    oldest_ms: int | None


class RateLimiterDO(GroveDurableObject):
    SCHEMA = ("CREATE TABLE IF NOT EXISTS hits (at_ms INTEGER NOT NULL)",)

    async def take(self, limit: int, window_ms: int) -> Decision:
        """Count one request if the window has room; say whether it was admitted."""
        return self._decide(limit, window_ms, record=True)

    async def peek(self, limit: int, window_ms: int) -> Decision:
        """Whether a request would be admitted now, counting nothing."""
        return self._decide(limit, window_ms, record=False)

    async def give_back(self) -> None:
        """Un-count the newest request: one a ``take`` admitted before the caller learnt that the
        request was refused for another reason (``grove.routes.visit.open_visit_with``)."""
        self.sql.exec("DELETE FROM hits WHERE rowid = (SELECT rowid FROM hits ORDER BY at_ms DESC LIMIT 1)")

    def _decide(self, limit: int, window_ms: int, *, record: bool) -> Decision:
        now = now_ms()
        self.sql.exec("DELETE FROM hits WHERE at_ms <= ?", now - window_ms)
        window: SqlCursor[_WindowRow] = self.sql.exec("SELECT COUNT(*) AS n, MIN(at_ms) AS oldest_ms FROM hits")
        row = window.one()
        used = row["n"]
        if used < limit:
            if record:
                self.sql.exec("INSERT INTO hits (at_ms) VALUES (?)", now)
                used += 1
            return {"allowed": True, "remaining": limit - used, "retry_after_ms": 0}
        oldest = row["oldest_ms"] if row["oldest_ms"] is not None else now
        return {"allowed": False, "remaining": 0, "retry_after_ms": max(1, oldest + window_ms - now)}
