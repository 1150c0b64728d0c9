"""Durable Object ids: ``DurableObjectId`` (64 hex digits) and the on-disk index of which name
each id was made from."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

HEX_ID = re.compile(r"[0-9a-fA-F]{64}")


class DurableObjectId:
    """An object's id: 64 hex digits. ``name`` is set when it came from ``idFromName``."""

    __slots__ = ("_hex", "_class_name", "name")

    def __init__(self, hex_id: str, class_name: str, name: str | None = None) -> None:
        self._hex = hex_id.lower()
        self._class_name = class_name
        self.name = name

    def toString(self) -> str:  # noqa: N802 (JS name)
        return self._hex

    def equals(self, other: object) -> bool:
        return isinstance(other, DurableObjectId) and other._hex == self._hex

    def __eq__(self, other: object) -> bool:
        return self.equals(other)

    def __hash__(self) -> int:
        return hash(self._hex)

    def __str__(self) -> str:
        return self._hex

    def __repr__(self) -> str:
        return f"DurableObjectId({self._hex!r}, name={self.name!r})"



class NameIndex:
    """Which name each id was made from, kept on disk: production gives ``ctx.id.name`` to an
    object reached by name in every event, alarms after a restart included."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("CREATE TABLE IF NOT EXISTS names (hex_id TEXT PRIMARY KEY, name TEXT NOT NULL)")
        self._cache: dict[str, str] = {}

    def remember(self, hex_id: str, name: str) -> None:
        if self._cache.get(hex_id) != name:
            self._db.execute("INSERT OR IGNORE INTO names (hex_id, name) VALUES (?, ?)", (hex_id, name))
            self._cache[hex_id] = name

    def get(self, hex_id: str) -> str | None:
        if hex_id not in self._cache:
            row = self._db.execute("SELECT name FROM names WHERE hex_id = ?", (hex_id,)).fetchone()
            if row is None:
                return None
            self._cache[hex_id] = row[0]
        return self._cache[hex_id]

    def close(self) -> None:
        self._db.close()

