"""Durable Object input gates and the I/O boundary every binding goes through.

The production rule (Cloudflare blog "Durable Objects: Easy, Fast, Correct: Choose Three";
workerd ``src/workerd/io/io-gate.h`` and ``api/actor-state.c++``):

- An object runs one piece of code at a time, but it is *not* one event at a time: whenever
  an event awaits, other events may be delivered to the object and completions of other
  events' I/O may resume, unless the object's input gate is closed.
- The input gate is closed only (a) while a storage operation is in flight and (b) while a
  critical section runs: a ``ctx.blockConcurrencyWhile(fn)`` callback (including one started
  by the constructor, which is part of the first event), or a ``storage.transaction(fn)``
  callback (workerd runs it through ``blockConcurrencyWhile``). While it is closed, nothing is
  delivered: not new events, not responses to other code's subrequests, not timers.
- A critical section's own code, and I/O it started, keeps running. The code that started it
  (the "parent scope") does not resume until it has ended. Critical sections nest (a nested one
  blocks its parent in the same way) and those waiting to start take turns, ahead of ordinary
  waiters.

How the local runtime reproduces it:

- (a) holds without any machinery: storage here is synchronous SQLite (as it is for
  SQLite-backed objects, whose ``get``/``put`` promises are already resolved when returned) and
  the async storage methods never yield to the event loop, so no other code can run in the
  middle of one. A read-modify-write with nothing but storage awaits in between is atomic.
- (b) is this module's ``InputGate``: one per object id. ``run_event`` delivers an event only
  while no critical section holds the gate; ``begin``/``run_section`` are a critical section;
  ``external_io`` (every binding's I/O, through ``RuntimeServices.io``) yields to the event
  loop, so other events interleave there, and on completion waits until the code that started
  the I/O may run again.
- Everything else is an ordinary asyncio await: another event may be delivered meanwhile. This
  is what makes an event that awaits a future resolved by another event work, as it does in
  production. Known gap: asyncio offers no hook on "a coroutine resumes", so an event suspended
  on a plain future or ``asyncio.sleep`` (not I/O) can resume while another event's critical
  section runs, where production would hold that timer until the section ends. Every binding
  goes through ``external_io``, so I/O completions are held as in production.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

_QUEUED, _RUNNING, _DONE = "queued", "running", "done"


class CriticalSection:
    """One ``blockConcurrencyWhile`` (or ``transaction``) callback's hold on an input gate."""

    __slots__ = ("gate", "parent", "state")

    def __init__(self, gate: InputGate, parent: CriticalSection | None) -> None:
        self.gate = gate
        self.parent = parent
        self.state = _QUEUED

    def __repr__(self) -> str:
        return f"<CriticalSection {self.state}>"


# The code running now belongs to (gate, section): the object whose event (or background
# work) it is and the critical section it runs in (None: the object's top level). None outside
# every Durable Object.
_scope: contextvars.ContextVar[tuple[InputGate, CriticalSection | None] | None] = (
    contextvars.ContextVar("grove_input_gate_scope", default=None)
)


def current_gate() -> InputGate | None:
    """The input gate of the object whose code is running, if any."""
    scope = _scope.get()
    return scope[0] if scope is not None else None


class InputGate:
    """The input gate of one Durable Object (see the module docstring)."""

    def __init__(self) -> None:
        self._holder: CriticalSection | None = None  # innermost running section; None: open
        self._queued: list[CriticalSection] = []  # sections waiting for their turn, in order
        self._waiters: list[tuple[CriticalSection | None, asyncio.Future[None]]] = []

    @property
    def busy(self) -> bool:
        """Whether a critical section holds the gate (or is waiting to)."""
        return self._holder is not None or bool(self._queued)

    # --- who may run -------------------------------------------------------------------

    @staticmethod
    def _resolve(section: CriticalSection | None) -> CriticalSection | None:
        # Code of a section that has ended continues in its parent's scope (workerd:
        # "reparented" critical sections).
        while section is not None and section.state == _DONE:
            section = section.parent
        return section

    def _may_run(self, section: CriticalSection | None) -> bool:
        return self._holder is self._resolve(section)

    def _advance(self) -> None:
        """Start the next queued section whose parent scope holds the gate; wake waiters."""
        while True:
            ready = next((s for s in self._queued if self._resolve(s.parent) is self._holder), None)
            if ready is None:
                break
            self._queued.remove(ready)
            ready.state = _RUNNING
            self._holder = ready
        for entry in list(self._waiters):
            section, future = entry
            if self._may_run(section):
                self._waiters.remove(entry)
                if not future.done():
                    future.set_result(None)

    async def wait(self, section: CriticalSection | None = None) -> None:
        """Return once code of ``section`` (None: the object's top level) may run.

        Returns at once, without yielding to the event loop, when it already may.
        """
        while not self._may_run(section):
            future = asyncio.get_running_loop().create_future()
            entry = (section, future)
            self._waiters.append(entry)
            try:
                await future
            finally:
                if entry in self._waiters:
                    self._waiters.remove(entry)

    # --- events --------------------------------------------------------------------------

    async def run_event(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Deliver one event: wait until no critical section holds the gate, then run ``fn``.

        The gate is not held while ``fn`` runs: other events may be delivered whenever it
        awaits (see the module docstring).
        """
        await self.wait(None)
        token = _scope.set((self, None))
        try:
            return await fn()
        finally:
            _scope.reset(token)

    # --- critical sections ---------------------------------------------------------------

    def begin(self) -> CriticalSection:
        """Open a critical section now (synchronously): from here on nothing else is delivered.

        Its parent is the scope of the calling code if that code belongs to this object. The
        section starts at once if that scope holds the gate, otherwise it queues; run its code
        with ``run_section`` (which also ends it).
        """
        scope = _scope.get()
        parent = self._resolve(scope[1]) if scope is not None and scope[0] is self else None
        section = CriticalSection(self, parent)
        self._queued.append(section)
        self._advance()
        return section

    def end(self, section: CriticalSection) -> None:
        """End ``section`` (whatever state it is in); the gate goes back to its parent scope."""
        if section.state == _DONE:
            return
        if section.state == _QUEUED:
            self._queued.remove(section)
        section.state = _DONE
        if self._holder is section:
            self._holder = self._resolve(section.parent)
        self._advance()

    async def run_section(self, section: CriticalSection, fn: Callable[[], Awaitable[T]]) -> T:
        """Wait for ``section``'s turn, run ``fn()`` inside it, then end it (also on error)."""
        try:
            await self.wait(section)
            token = _scope.set((self, section))
            try:
                return await fn()
            finally:
                _scope.reset(token)
        finally:
            self.end(section)


class ExternalIo:
    """Enclose one non-storage I/O operation (fetch, D1, KV, R2, cache, another object).

    It yields to the event loop first, which is what makes concurrent requests interleave at
    I/O the way they do in an isolate (and lets other events of the same object in). When the
    operation completes, the code that started it continues only once it may run again: not
    while a critical section other than its own holds the object's input gate.

    A class rather than an ``@asynccontextmanager`` generator: every binding call enters one,
    and the generator machinery cost several times the rest of it (py-spy on a cached view).
    """

    __slots__ = ("_scope",)

    def __init__(self) -> None:
        self._scope = _scope.get()

    async def __aenter__(self) -> None:
        await asyncio.sleep(0)

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        # Cancellation propagates at once; success and any other error wait for the gate.
        if exc_type is not None and issubclass(exc_type, asyncio.CancelledError | GeneratorExit):
            return
        if self._scope is not None:
            await self._scope[0].wait(self._scope[1])


def external_io() -> ExternalIo:
    """``async with external_io():`` around one non-storage I/O operation (see ``ExternalIo``)."""
    return ExternalIo()
