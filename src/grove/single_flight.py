"""Single-flight: concurrent callers asking for the same key share one call.

Per isolate (module state), which is what makes N simultaneous cache misses for one post
cost one D1 read instead of N. A result can also be *held* until something else finishes
(typically: until it has been written to the shared cache), so callers arriving between the
end of the call and the cache write still share it instead of repeating the call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlight:
    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Future[Any]] = {}
        self._held: dict[str, Any] = {}

    def in_flight(self, key: str) -> bool:
        return key in self._calls or key in self._held

    def hold(self, key: str, value: Any, until: asyncio.Future[Any]) -> None:
        """Answer ``key`` with ``value`` (without calling) until ``until`` is done."""
        self._held[key] = value
        until.add_done_callback(lambda _: self._held.pop(key, None))

    async def run(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        if key in self._held:
            return self._held[key]
        existing = self._calls.get(key)
        if existing is not None:
            # shield: a follower that is cancelled must not cancel the leader's call.
            return await asyncio.shield(existing)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._calls[key] = future
        try:
            result = await call()
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                future.cancel()
            else:
                future.set_exception(exc)
                future.exception()  # retrieved: no "never retrieved" warning without followers
            raise
        else:
            future.set_result(result)
            return result
        finally:
            del self._calls[key]
