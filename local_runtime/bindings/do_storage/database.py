"""An object's SQLite file: workerd's SQL policy plus the savepoints its transactions nest in.

Every write is committed before the call returns (autocommit, WAL + ``synchronous=NORMAL``, so
a commit survives a crash of the process: eviction, restart). ``atomic()`` is one level of
``transactionSync`` / ``transaction`` (or of a multi-key write): a savepoint that commits when
outermost and rolls back on any exception. Whoever caches a view of the file (whether the KV
table exists, the stored alarm) registers ``on_settle`` to refresh it once the outermost level
has committed or rolled back.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from local_runtime.conversion import JsException
from local_runtime.sqlite_policy import GuardedDatabase, error_detail

# DO limits (SQLite backend): "Key and value combined ... 2 MB"; workerd's LENGTH limit is a
# little above it, leaving room for a key beside its value.
VALUE_LIMIT_BYTES = 2_200_000
# Raised while the runtime writes its own _cf_KV rows: the local encoding of bytes (base64) is
# larger than V8's serialization.
INTERNAL_VALUE_LIMIT_BYTES = 16_000_000


def storage_error(message: str) -> JsException:
    """An error thrown by workerd's storage code (a JS ``Error``)."""
    return JsException(message)


def sqlite_error(exc: sqlite3.Error) -> JsException:
    """workerd's dbErrorMessage: SQLite's message and the primary result code name."""
    return storage_error(error_detail(exc, extended=False))


class ObjectDatabase(GuardedDatabase):
    """One Durable Object's SQLite file, with savepoint transactions."""

    def __init__(self, path: Path) -> None:
        # timeout=0: never block the event loop on a lock; there is one writer per object.
        super().__init__(
            path, value_limit_bytes=VALUE_LIMIT_BYTES, timeout_s=0, synchronous="NORMAL"
        )
        self._depth = 0
        self._savepoint_seq = 0
        self._on_settle: list[Callable[[], None]] = []

    @property
    def closed(self) -> bool:
        try:
            self.conn.total_changes  # noqa: B018 (raises on a closed connection)
        except sqlite3.ProgrammingError:
            return True
        return False

    def on_settle(self, callback: Callable[[], None]) -> None:
        self._on_settle.append(callback)

    @contextmanager
    def big_values(self) -> Iterator[None]:
        """Trusted SQL that writes the runtime's own (larger-encoded) values."""
        with self.trusting(value_limit_bytes=INTERNAL_VALUE_LIMIT_BYTES):
            yield

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A savepoint: commits on success (when outermost), rolls back on any exception."""
        self._savepoint_seq += 1
        name = f"_cf_sp_{self._savepoint_seq}"
        self.internal(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield
        except BaseException:
            self.internal(f"ROLLBACK TO {name}")
            self.internal(f"RELEASE {name}")
            self._settled()
            raise
        self.internal(f"RELEASE {name}")
        self._settled()

    def _settled(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            for callback in self._on_settle:
                callback()

    def size_bytes(self) -> int:
        page_count = self.internal("PRAGMA page_count")[0][0]
        free_count = self.internal("PRAGMA freelist_count")[0][0]
        page_size = self.internal("PRAGMA page_size")[0][0]
        return int((page_count - free_count) * page_size)
