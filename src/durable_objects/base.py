"""What every grove-edge Durable Object shares: schema set-up, its name, exclusive sections and
alarm scheduling.

A subclass declares ``SCHEMA`` (idempotent ``CREATE ... IF NOT EXISTS`` statements) and gets
its tables created on construction. ``SCHEMA`` may only grow: storage outlives code versions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from grove.platform import DurableObject


class GroveDurableObject(DurableObject):
    SCHEMA: tuple[str, ...] = ()

    def __init__(self, ctx: Any, env: Any) -> None:
        super().__init__(ctx, env)
        self.storage = ctx.storage
        self.sql = ctx.storage.sql
        # SQL storage is synchronous, so no other event can run before the tables exist.
        for statement in self.SCHEMA:
            self.sql.exec(statement)

    @property
    def object_name(self) -> str:
        """The name this object was reached by (``idFromName``/``getByName``): ``ctx.id.name``."""
        name = getattr(self.ctx.id, "name", None)
        if not name:
            raise RuntimeError(f"{type(self).__name__} must be reached by name (idFromName), not by id")
        return str(name)

    async def exclusive(self, section: Callable[[], Awaitable[Any]]) -> Any:
        """Run ``section`` with no other event delivered meanwhile, even while it awaits I/O
        (``blockConcurrencyWhile``): concurrent callers then find its result instead of
        repeating its work."""
        return await self.ctx.blockConcurrencyWhile(section)

    async def schedule_alarm_by(self, at_ms: int) -> None:
        """Make sure the alarm fires no later than ``at_ms`` (one alarm per object)."""
        current_ms = await self.storage.getAlarm()
        if current_ms is None or current_ms > at_ms:
            await self.storage.setAlarm(at_ms)
