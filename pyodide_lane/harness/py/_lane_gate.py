"""Inside each Worker's Pyodide: which Durable Object strand Python code belongs to.

The lane's input gates (``harness/durable_objects.mjs``) need to know, for every asyncio step,
which event of which object (or which critical section) it is code of: its *strand*, a JS object.
The strand is kept in a context variable, as the local runtime keeps its scope
(``local_runtime/gates.py``): a task started for an event or a critical section has it in its
context, tasks inherit it, and a step is attributed to the task it resumes, whoever woke it.

- ``start(strand, fn, *args)``: call ``fn`` in a copy of the current context with the strand set;
  a coroutine result becomes a task of that context.
- ``install(schedule)``: the event loop hands every callback to ``schedule(callback, delay_ms,
  strand)`` (JS) instead of Pyodide's ``scheduleCallback``, with the strand of the callback's
  context (a task's step or wakeup runs in the task's context).
- ``current()``: the strand of the code running now (None outside every strand).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable
from typing import Any

from pyodide import webloop

STRAND: contextvars.ContextVar[Any] = contextvars.ContextVar("grove_lane_strand", default=None)
_scheduling: list[Any] = [None]  # the strand of the callback being scheduled right now


def current() -> Any:
    return STRAND.get()


def start(strand: Any, fn: Callable[..., Any], *args: Any) -> Any:
    context = contextvars.copy_context()
    context.run(STRAND.set, strand)
    result = context.run(fn, *args)
    if inspect.iscoroutine(result):
        return asyncio.get_event_loop().create_task(result, context=context)
    return result


def install(schedule: Callable[[Any, float, Any], None]) -> None:
    # WebLoop.call_soon and call_at go through call_later, which calls scheduleCallback once.
    call_later = webloop.WebLoop.call_later

    def gated_call_later(
        self: Any,
        delay: float,
        callback: Callable[..., Any],
        *args: Any,
        context: contextvars.Context | None = None,
    ) -> Any:
        strand = context.get(STRAND) if context is not None else STRAND.get()
        previous, _scheduling[0] = _scheduling[0], strand
        try:
            return call_later(self, delay, callback, *args, context=context)
        finally:
            _scheduling[0] = previous

    webloop.WebLoop.call_later = gated_call_later  # type: ignore[method-assign]
    webloop.scheduleCallback = lambda callback, delay_ms: schedule(  # type: ignore[attr-defined]
        callback, delay_ms, _scheduling[0]
    )
