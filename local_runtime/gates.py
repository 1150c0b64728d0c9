"""Durable Object input gates and the I/O boundary every binding goes through.

Production rule (Cloudflare, "Durable Objects: Easy, Fast, Correct: Choose Three"): an object
runs one event at a time; while an event awaits storage nothing else is delivered, and only
while it awaits I/O other than its own storage (fetch, D1, KV, R2, another object) may a
second event start. Locally each object instance owns an ``InputGate`` (an asyncio lock) that
an event holds from delivery to completion; ``external_io`` releases it around non-storage I/O
and takes it back afterwards, so interleaving happens exactly where production allows it.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

T = TypeVar("T")


class InputGate:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: object | None = None

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    async def run_event(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Deliver one event: wait for the gate, run ``fn`` holding it."""
        token = object()
        await self._lock.acquire()
        self._holder = token
        ctx_token = _held.set((self, token))
        try:
            return await fn()
        finally:
            _held.reset(ctx_token)
            if self._holder is token:
                self._holder = None
                self._lock.release()

    def _release_if_holder(self, token: object) -> bool:
        if self._holder is token:
            self._holder = None
            self._lock.release()
            return True
        return False

    async def _reacquire(self, token: object) -> None:
        await self._lock.acquire()
        self._holder = token


_held: contextvars.ContextVar[tuple[InputGate, object] | None] = contextvars.ContextVar(
    "grove_input_gate", default=None
)


@asynccontextmanager
async def external_io() -> AsyncIterator[None]:
    """Wrap a non-storage I/O operation: open the caller's input gate while it is in flight.

    Outside a Durable Object this only yields to the event loop, which is what makes
    concurrent requests interleave at I/O the way they do in an isolate.
    """
    held = _held.get()
    released = held is not None and held[0]._release_if_holder(held[1])
    try:
        await asyncio.sleep(0)
        yield
    finally:
        if released:
            assert held is not None
            await held[0]._reacquire(held[1])
