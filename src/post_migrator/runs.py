"""D1 ``migration_runs`` (migration 0010): one row per migrator run, written at its start and
after every batch, so a run killed mid-batch leaves its cursor and counts for the next one."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from grove.bindings import D1Database, D1PreparedStatement
from grove.tiers import StorageLocation


class ScanCursor(TypedDict):
    """Where the candidate scan stopped: the last row seen in (storage_location, updated_at_ms, id) order."""

    storage_location: StorageLocation
    updated_at_ms: int
    id: str


class PostNote(TypedDict):
    tenant: str
    id: str
    reason: str


@dataclass
class RunRecord:
    """A run as it goes: moves per transition ("d1->r2"), skipped and failed posts with reasons."""

    id: int
    started_at_ms: int
    dry_run: bool
    scanned: int = 0
    moves: dict[str, int] = field(default_factory=lambda: {})
    skipped: list[PostNote] = field(default_factory=lambda: [])
    failed: list[PostNote] = field(default_factory=lambda: [])
    cursor: ScanCursor | None = None
    ended_at_ms: int | None = None

    def moved(self, source: StorageLocation | Literal["finished"], target: StorageLocation) -> None:
        """Count a transition; ``finished``: a retried move whose D1 update had landed already."""
        key = f"{source}->{target}"
        self.moves[key] = self.moves.get(key, 0) + 1

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id, "started_at_ms": self.started_at_ms, "ended_at_ms": self.ended_at_ms,
            "dry_run": self.dry_run, "scanned": self.scanned, "moves": self.moves,
            "skipped": self.skipped, "failed": self.failed, "cursor": self.cursor,
        }


class _RunRow(TypedDict):
    id: int
    started_at_ms: int
    ended_at_ms: int | None
    dry_run: int
    scanned: int
    moves_json: str
    skipped_json: str
    failed_json: str
    cursor_json: str | None


_COLUMNS = "id, started_at_ms, ended_at_ms, dry_run, scanned, moves_json, skipped_json, failed_json, cursor_json"


def _record(row: _RunRow) -> RunRecord:
    return RunRecord(
        id=row["id"], started_at_ms=row["started_at_ms"], dry_run=bool(row["dry_run"]), scanned=row["scanned"],
        moves=json.loads(row["moves_json"]), skipped=json.loads(row["skipped_json"]),
        failed=json.loads(row["failed_json"]),
        cursor=None if row["cursor_json"] is None else json.loads(row["cursor_json"]),
        ended_at_ms=row["ended_at_ms"],
    )


async def start_run(db: D1Database, now_ms: int, *, dry_run: bool) -> RunRecord:
    insert: D1PreparedStatement[_RunRow] = db.prepare(
        f"INSERT INTO migration_runs (started_at_ms, dry_run) VALUES (?1, ?2) RETURNING {_COLUMNS}"
    )
    row = await insert.bind(now_ms, int(dry_run)).first()
    if row is None:
        raise RuntimeError("migration_runs insert returned no row")
    return _record(row)


async def save_run(db: D1Database, run: RunRecord) -> None:
    await db.prepare(
        "UPDATE migration_runs SET ended_at_ms = ?2, scanned = ?3, moves_json = ?4, skipped_json = ?5,"
        " failed_json = ?6, cursor_json = ?7 WHERE id = ?1"
    ).bind(
        run.id, run.ended_at_ms, run.scanned, json.dumps(run.moves), json.dumps(run.skipped),
        json.dumps(run.failed), None if run.cursor is None else json.dumps(run.cursor),
    ).run()


async def recent_runs(db: D1Database, limit: int, *, include_dry: bool = True) -> list[RunRecord]:
    """Newest first (by id: ``migration_runs_by_kind`` or the primary key orders them, no sort)."""
    where = " WHERE id > 0" if include_dry else " WHERE dry_run = 0"
    select: D1PreparedStatement[_RunRow] = db.prepare(
        f"SELECT {_COLUMNS} FROM migration_runs{where} ORDER BY id DESC LIMIT ?1"
    )
    return [_record(row) for row in (await select.bind(limit).all())["results"]]
