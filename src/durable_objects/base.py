"""What every grove-edge Durable Object shares: schema set-up and alarm scheduling.

A subclass declares ``SCHEMA`` (idempotent ``CREATE ... IF NOT EXISTS`` statements) and gets
its tables created on construction. ``SCHEMA`` may only grow: storage outlives code versions.
"""

from __future__ import annotations

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

    async def schedule_alarm_by(self, at_ms: int) -> None:
        """Make sure the alarm fires no later than ``at_ms`` (one alarm per object)."""
        current_ms = await self.storage.getAlarm()
        if current_ms is None or current_ms > at_ms:
            await self.storage.setAlarm(at_ms)
