"""What a ``RateLimiterDO`` answers over RPC (a plain dict: replies cross the isolate boundary
by structured clone), and the stub's methods."""

from __future__ import annotations

from typing import Protocol, TypedDict


class Decision(TypedDict):
    allowed: bool
    remaining: int  # requests still admitted in the current window
    retry_after_ms: int  # 0 when allowed; else when the oldest counted request leaves the window


class RateLimiterStub(Protocol):
    async def take(self, limit: int, window_ms: int) -> Decision: ...

    async def peek(self, limit: int, window_ms: int) -> Decision: ...

    async def give_back(self) -> None: ...
