"""Where one bucket's objects live: rows in ``meta.sqlite3``, bodies as files under ``objects/``.

A put writes the body to a temp file, fsyncs and renames it, and only then commits the row
(checking ``onlyIf`` in the same transaction), so a crash can leave an orphan file but never a
row pointing at a partial body; the previous version's file is removed after the commit.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from local_runtime.bindings.r2.errors import internal_error
from local_runtime.bindings.r2.objects import Row
from local_runtime.sqlite_policy import immediate_transaction, open_state_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,            -- md5 hex of the body, as R2 does for single-part uploads
    version TEXT NOT NULL,         -- uuid hex
    uploaded_ms INTEGER NOT NULL,
    http_metadata TEXT NOT NULL,   -- JSON; cacheExpiry in ms
    custom_metadata TEXT NOT NULL, -- JSON object of strings
    checksums TEXT NOT NULL,       -- JSON {"md5": hex, ...}
    storage_class TEXT NOT NULL,
    body_file TEXT NOT NULL        -- file name under objects/
) WITHOUT ROWID
"""
_COLUMNS = (
    "key, size, etag, version, uploaded_ms, http_metadata, custom_metadata, checksums, "
    "storage_class, body_file"
)

# Whether a put may replace the current object: given (etag, uploaded_ms) or None.
Precondition = Callable[[tuple[str, int] | None], bool]


class ObjectStore:
    """The rows and body files of one bucket folder."""

    def __init__(self, folder: Path) -> None:
        self.objects_dir = folder / "objects"
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        # Autocommit, with BEGIN IMMEDIATE where a read must agree with the write. FULL: a
        # commit is on disk before the previous body file is unlinked, so even an OS crash
        # cannot leave a row naming a file that is gone.
        self._db = open_state_database(folder / "meta.sqlite3", synchronous="FULL")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def total_size(self) -> int:
        """Bytes of every object's body (what R2 bills as storage)."""
        return int(self._db.execute("SELECT COALESCE(SUM(size), 0) FROM objects").fetchone()[0])

    def row(self, key: str) -> Row | None:
        found = self._db.execute(f"SELECT {_COLUMNS} FROM objects WHERE key = ?", (key,)).fetchone()
        return None if found is None else Row.from_db(found)

    def rows_from(self, prefix: str, start_after: str | None) -> Iterator[Row]:
        """Rows whose key starts with ``prefix`` and comes after ``start_after``, in key order.

        TEXT compares with BINARY collation, i.e. by UTF-8 bytes, which is R2's order.
        """
        cursor = self._db.execute(
            f"""
            SELECT {_COLUMNS} FROM objects
            WHERE key >= :prefix AND substr(key, 1, length(:prefix)) = :prefix
              AND (:after IS NULL OR key > :after)
            ORDER BY key
            """,
            {"prefix": prefix, "after": start_after},
        )
        try:
            for raw in cursor:
                yield Row.from_db(raw)
        finally:
            cursor.close()

    def write_body(self, key: str, version: str, data: bytes) -> str:
        """Write a body file durably (temp file, fsync, rename, fsync the folder); its name."""
        name = f"{hashlib.sha256(key.encode('utf-8', errors='replace')).hexdigest()}-{version}"
        tmp = self.objects_dir / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.objects_dir / name)
        # Make the rename itself durable before a row can name the file.
        dir_fd = os.open(self.objects_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return name

    def unlink(self, body_file: str) -> None:
        (self.objects_dir / body_file).unlink(missing_ok=True)

    def read_body(self, action: str, row: Row, offset: int, length: int) -> bytes:
        try:
            with open(self.objects_dir / row.body_file, "rb") as f:
                f.seek(offset)
                data = f.read(length)
        except FileNotFoundError:
            raise internal_error(action) from None
        if len(data) != length:
            raise internal_error(action)
        return data

    def commit_put(self, row: Row, holds: Precondition | None) -> tuple[bool, str | None]:
        """Check ``holds`` against the current row and replace it, in one transaction.
        Returns (written, previous body file)."""
        with immediate_transaction(self._db):
            previous = self._db.execute(
                "SELECT etag, uploaded_ms, body_file FROM objects WHERE key = ?", (row.key,)
            ).fetchone()
            current = None if previous is None else (previous[0], previous[1])
            if holds is not None and not holds(current):
                return False, None  # nothing written: the commit ends a read-only transaction
            self._db.execute(
                f"INSERT OR REPLACE INTO objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row.db_values(),
            )
        return True, None if previous is None else previous[2]

    def delete(self, keys: list[str]) -> None:
        """Remove the rows in one transaction, then their body files."""
        files = []
        with immediate_transaction(self._db):
            for key in keys:
                found = self._db.execute(
                    "DELETE FROM objects WHERE key = ? RETURNING body_file", (key,)
                ).fetchone()
                if found is not None:
                    files.append(found[0])
        for body_file in files:
            self.unlink(body_file)


