"""Timers on the runtime's clock: Durable Object alarms and cron triggers.

One scheduler per runtime. On a ``SimulatedClock`` nothing fires by itself: ``advance(ms)``
walks the clock forward timer by timer, running each due callback at its own time (so an
alarm set for 12:00:30 sees ``now == 12:00:30``, not the end of the step). On a ``RealClock``
``run_forever()`` sleeps until the next timer is due.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable

from local_runtime.clock import Clock, SimulatedClock

log = logging.getLogger("grove.scheduler")

TimerCallback = Callable[[], Awaitable[None]]


class Scheduler:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[int, int, str]] = []
        self._timers: dict[str, tuple[int, int, TimerCallback]] = {}
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()

    def schedule(self, key: str, at_ms: int, callback: TimerCallback) -> None:
        """Run ``callback`` at ``at_ms``; a later call with the same key replaces the timer."""
        seq = next(self._seq)
        self._timers[key] = (int(at_ms), seq, callback)
        heapq.heappush(self._heap, (int(at_ms), seq, key))
        self._wakeup.set()

    def cancel(self, key: str) -> None:
        self._timers.pop(key, None)

    def scheduled_at(self, key: str) -> int | None:
        timer = self._timers.get(key)
        return timer[0] if timer else None

    def next_due_ms(self) -> int | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def _drop_stale(self) -> None:
        while self._heap:
            at_ms, seq, key = self._heap[0]
            timer = self._timers.get(key)
            if timer is not None and timer[1] == seq:
                return
            heapq.heappop(self._heap)

    def _pop_due(self, now_ms: int) -> TimerCallback | None:
        self._drop_stale()
        if not self._heap or self._heap[0][0] > now_ms:
            return None
        _, _, key = heapq.heappop(self._heap)
        return self._timers.pop(key)[2]

    async def run_due(self) -> int:
        """Run every timer due at the clock's current time; returns how many ran."""
        ran = 0
        while (callback := self._pop_due(self.clock.now_ms())) is not None:
            await self._run(callback)
            ran += 1
        return ran

    async def advance(self, ms: int) -> int:
        """Simulated clock only: move time forward by ``ms``, firing timers at their times."""
        if not isinstance(self.clock, SimulatedClock):
            raise TypeError("advance() needs a SimulatedClock")
        target_ms = self.clock.now_ms() + int(ms)
        ran = 0
        while True:
            due = self.next_due_ms()
            if due is None or due > target_ms:
                break
            if due > self.clock.now_ms():
                self.clock.set(due)
            ran += await self.run_due()
        # A callback's modelled latency (``RuntimeServices.model``) may have moved the clock
        # past the target already: time never goes back.
        self.clock.set(max(target_ms, self.clock.now_ms()))
        ran += await self.run_due()
        return ran

    async def run_forever(self, poll_s: float = 1.0) -> None:
        """Real clock: fire timers as they come due (checks at least every ``poll_s``)."""
        while True:
            await self.run_due()
            due = self.next_due_ms()
            wait_s = poll_s if due is None else max(0.0, min(poll_s, (due - self.clock.now_ms()) / 1000))
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), timeout=wait_s)
            except TimeoutError:
                pass

    async def _run(self, callback: TimerCallback) -> None:
        # A failing timer must not stop the others: alarms do their own retry scheduling.
        try:
            await callback()
        except Exception:
            log.exception("timer callback failed")
