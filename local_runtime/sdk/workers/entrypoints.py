"""``WorkerEntrypoint``, ``DurableObject`` and ``handler`` for CPython.

In production the SDK wraps ``ctx``/``env`` on construction so bindings return Python values;
the local runtime hands in objects that already behave that way, so these bases only store them.
"""

from __future__ import annotations

import functools
from typing import Any


class DurableObject:
    """Base class of a Durable Object: ``ctx`` is the DurableObjectState, ``env`` the bindings."""

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


class WorkerEntrypoint:
    """Base class of a Worker's entrypoint (``class Default(WorkerEntrypoint)``)."""

    ctx: Any
    env: Any

    def __init__(self, ctx: Any, env: Any) -> None:
        self.ctx = ctx
        self.env = env


def handler(func: Any) -> Any:
    """Production converts JS arguments to Python ones here; locally they already are."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper
