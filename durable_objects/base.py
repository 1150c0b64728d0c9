"""What every grove-edge Durable Object shares: schema set-up, its name, exclusive sections and
alarm scheduling.

A subclass declares ``SCHEMA`` (idempotent ``CREATE ... IF NOT EXISTS`` statements) and gets
its tables created on construction. ``SCHEMA`` may only grow: storage outlives code versions.
Batched delivery of buffered rows through the alarm lives next door (``buffered_flush``).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypedDict, TypeVar

from grove.bindings import DurableObjectState, Env, SqlCursor
from grove.platform import DurableObject, lasting_callback

T = TypeVar("T")

_TABLE_NAME = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)")
_IDENTITY_SCHEMA = """CREATE TABLE IF NOT EXISTS object_identity (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             name TEXT NOT NULL
           )"""


class _NameRow(TypedDict):
    name: str


class GroveDurableObject(DurableObject):
    SCHEMA: tuple[str, ...] = ()
    # What grove's objects use of ctx and env, typed in grove.bindings. The JS boundary: in
    # production ctx is the SDK's DurableObjectContext, which forwards every attribute to the
    # JS DurableObjectState through __getattr__, so no static type of the SDK describes it; the
    # SDK's constructor is typed with JS names the checker cannot see (Unknown).
    ctx: DurableObjectState  # pyright: ignore[reportIncompatibleVariableOverride]
    env: Env

    def __init__(self, ctx: DurableObjectState, env: Env) -> None:
        super().__init__(ctx, env)  # pyright: ignore[reportUnknownMemberType]
        self.storage = ctx.storage
        self.sql = ctx.storage.sql
        # SQL storage is synchronous, so no other event can run before the tables exist.
        for statement in (_IDENTITY_SCHEMA, *self.SCHEMA):
            self.sql.exec(statement)
        self._stored_name = self._remember_name()

    def _remember_name(self) -> str | None:
        # An alarm is not a call by name: the id it arrives with may not carry the name
        # (always so after a restart). Keep the name from the first call that had it.
        name = getattr(self.ctx.id, "name", None)
        if name:
            self.sql.exec("INSERT OR IGNORE INTO object_identity (id, name) VALUES (1, ?)", str(name))
        cursor: SqlCursor[_NameRow] = self.sql.exec("SELECT name FROM object_identity WHERE id = 1")
        rows = cursor.toArray()
        return rows[0]["name"] if rows else None

    async def erase(self) -> None:
        """Forget everything this object keeps (every table of ``SCHEMA``, and its alarm), when
        what it belongs to is deleted. Its name stays, so an alarm or call that still arrives
        finds an empty object rather than a broken one."""
        for statement in self.SCHEMA:
            table = _TABLE_NAME.match(statement.strip())
            if table is not None:
                self.sql.exec(f"DELETE FROM {table.group(1)}")
        await self.storage.deleteAlarm()

    @property
    def object_name(self) -> str:
        """The name this object was reached by (``idFromName``/``getByName``): ``ctx.id.name``,
        or the one remembered from an earlier call."""
        name = getattr(self.ctx.id, "name", None) or self._stored_name
        if not name:
            raise RuntimeError(f"{type(self).__name__} must be reached by name (idFromName), not by id")
        return str(name)

    async def exclusive(self, section: Callable[[], Awaitable[T]]) -> T:
        """Run ``section`` with no other event delivered meanwhile, even while it awaits I/O
        (``blockConcurrencyWhile``): concurrent callers then find its result instead of
        repeating its work."""
        # The result stays on the Python side: a Python value handed back through JavaScript's
        # promise is a borrowed proxy that Pyodide destroys before the caller reads it.
        results: list[T] = []

        async def run() -> None:
            results.append(await section())

        callback, release = lasting_callback(run)
        try:
            await self.ctx.blockConcurrencyWhile(callback)
        finally:
            release()
        return results[0]

    async def schedule_alarm_by(self, at_ms: int) -> None:
        """Make sure the alarm fires no later than ``at_ms`` (one alarm per object)."""
        current_ms = await self.storage.getAlarm()
        if current_ms is None or current_ms > at_ms:
            await self.storage.setAlarm(at_ms)
