"""Fault injection: the one registry of named points where the local runtime can fail on purpose.

A test arms a point (``runtime.services.faults.arm(FaultPoint.KV_UNAVAILABLE)``), watches what
the app does, disarms it and checks nothing acknowledged was lost. The bindings consult the
registry where production's own failures surface, and fail with production's wording:

| point | where | what the code sees |
| --- | --- | --- |
| ``d1.statement_error`` | a D1 call whose SQL contains ``match`` (every call without one) | ``D1_ERROR: ... SQLITE_ERROR`` |
| ``d1.unavailable`` | every D1 call | ``D1_ERROR: Network connection lost.`` |
| ``r2.put_error`` / ``r2.get_error`` | ``put`` / ``get`` (and ``head``) | ``put: We encountered an internal error. Please try again. (10001)`` |
| ``r2.get_corrupt`` | ``get`` | the body comes back with its last byte changed (what a checksum catches) |
| ``kv.unavailable`` | every KV call | ``KV GET failed: 503 Service Unavailable`` (PUT, DELETE, LIST alike) |
| ``do.evicted_at_await`` | a Durable Object event awaiting I/O (D1, KV, R2, another object) | the object is reset there (its memory is gone, its storage stays); the caller gets ``Durable Object reset because its code was updated.`` |
| ``do.alarm_exception`` | a Durable Object's ``alarm()`` | the handler raises before running; the runtime retries with backoff |
| ``queue.consumer_exception`` | a queue consumer's delivery (``match``: the queue name) | the handler raises before it runs: the batch is retried (``max_retries``, then the dead-letter queue) |
| ``cron.killed_mid_batch`` | a ``scheduled`` run, at its ``after``-th binding call | the run is killed there (``InvocationKilled``): work before that call stays, nothing after it runs |

``arm(point, times=N, after=K, match=S)``: skip the first K matching checks, then fail the next N
(all of them when N is None) until ``disarm``/``clear``. ``fired(point)`` counts the failures.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class FaultPoint(StrEnum):
    D1_STATEMENT_ERROR = "d1.statement_error"
    D1_UNAVAILABLE = "d1.unavailable"
    R2_PUT_ERROR = "r2.put_error"
    R2_GET_ERROR = "r2.get_error"
    R2_GET_CORRUPT = "r2.get_corrupt"
    KV_UNAVAILABLE = "kv.unavailable"
    DO_EVICTED_AT_AWAIT = "do.evicted_at_await"
    ALARM_EXCEPTION = "do.alarm_exception"
    QUEUE_CONSUMER_EXCEPTION = "queue.consumer_exception"
    CRON_KILLED_MID_BATCH = "cron.killed_mid_batch"


class InjectedFault(Exception):
    """Raised where a point has no binding-specific error (an alarm handler's exception)."""


class InvocationKilled(BaseException):
    """The invocation was terminated (as workerd ends one over its limits): a BaseException,
    so the handler's own ``except Exception`` cannot swallow it."""


@dataclass
class _Armed:
    times: int | None
    after: int
    match: str | None
    fired: int = 0


# The reset of the Durable Object whose event is running (set by the namespace per event), so
# ``do.evicted_at_await`` can evict the object that awaits; None outside every object.
current_object_reset: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "grove_current_object_reset", default=None
)
# Inside a ``scheduled`` invocation: the binding calls it has made so far (a one-item list).
current_scheduled_calls: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar(
    "grove_scheduled_calls", default=None
)


class Faults:
    def __init__(self) -> None:
        self._armed: dict[FaultPoint, _Armed] = {}
        self._fired: dict[FaultPoint, int] = {}

    def arm(self, point: FaultPoint, *, times: int | None = None, after: int = 0, match: str | None = None) -> None:
        self._armed[point] = _Armed(times=times, after=after, match=match)

    def disarm(self, point: FaultPoint) -> None:
        self._armed.pop(point, None)

    def clear(self) -> None:
        self._armed.clear()

    def armed(self) -> list[str]:
        return sorted(point.value for point in self._armed)

    def fired(self, point: FaultPoint) -> int:
        return self._fired.get(point, 0)

    def trips(self, point: FaultPoint, subject: str = "") -> bool:
        """Whether ``point`` fails now for ``subject`` (counted as fired if so)."""
        armed = self._armed.get(point)
        if armed is None or (armed.match is not None and armed.match not in subject):
            return False
        if armed.after > 0:
            armed.after -= 1
            return False
        if armed.times is not None:
            if armed.times <= 0:
                return False
            armed.times -= 1
        self._fired[point] = self._fired.get(point, 0) + 1
        return True

    def at_io(self) -> None:
        """Called by every binding call (``RuntimeServices.io``): the points that strike at an
        await rather than in one binding."""
        calls = current_scheduled_calls.get()
        if calls is not None:
            calls[0] += 1
            if self.trips(FaultPoint.CRON_KILLED_MID_BATCH):
                raise InvocationKilled(f"scheduled run killed at its binding call {calls[0]}")
        reset = current_object_reset.get()
        if reset is not None and self.trips(FaultPoint.DO_EVICTED_AT_AWAIT):
            reset()
            # workerd's message when an object is reset under a running request.
            raise ObjectReset("Durable Object reset because its code was updated.")


class ObjectReset(Exception):
    """The running object was reset at an await (its caller sees this as a remote error)."""
