"""The key-value half of a SQLite-backed object's storage: the hidden table ``_cf_KV``.

As workerd's ``util/sqlite-kv.c++``: keys are strings (a non-string key is coerced with JS
``String()``), values are structured-cloned (``local_runtime.conversion.serialize``), at most
128 keys per call, key plus value at most 2 MB. ``ctx.storage.get/put/delete/list`` and the
synchronous ``ctx.storage.kv`` both read and write here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from local_runtime.bindings.do_storage.database import ObjectDatabase, storage_error
from local_runtime.conversion import deserialize, serialize, to_rpc
from local_runtime.js_values import js_string, refuse_unknown
from local_runtime.sdk_types import JsDict
from local_runtime.sqlite_policy import INTERNAL_MARKER
from local_runtime.stats import Stats

MAX_KV_ENTRY_BYTES = 2_000_000  # DO limits (SQLite backend): "Key and value combined ... 2 MB"
MAX_KEYS_PER_CALL = 128  # Storage API: get/put/delete take at most 128 keys

# Options of every storage call that make no difference on a SQLite-backed object, so they are
# honoured by doing nothing: its operations complete synchronously, so nothing else can run
# meanwhile (allowConcurrency), a write is durable when the call returns (allowUnconfirmed),
# and there is no separate in-memory cache to bypass (noCache).
NO_OP_OPTIONS = frozenset({"allowConcurrency", "allowUnconfirmed", "noCache"})
LIST_OPTIONS = frozenset({"start", "startAfter", "end", "prefix", "reverse", "limit"}) | NO_OP_OPTIONS


def storage_key(key: Any) -> str:
    if isinstance(key, str):
        return key
    # A non-string key reaches jsg as a JS value and is coerced to a string.
    return js_string(to_rpc(key))


def storage_keys(keys: list[Any]) -> list[str]:
    if len(keys) > MAX_KEYS_PER_CALL:
        raise storage_error(
            f"Maximum number of keys is {MAX_KEYS_PER_CALL}. You provided {len(keys)}."
        )
    return [storage_key(k) for k in keys]


def _approx_clone_bytes(value: Any) -> int:
    """Roughly what V8's serializer would write for a value (bytes raw, strings as UTF-8)."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        return sum(_approx_clone_bytes(k) + _approx_clone_bytes(v) for k, v in value.items()) + 2
    if isinstance(value, (list, set)):
        return sum(_approx_clone_bytes(v) for v in value) + 2
    return 9


def _prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix``, if any."""
    chars = list(prefix)
    while chars:
        code = ord(chars[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:
            code = 0xE000  # surrogates cannot be stored as UTF-8
        if code <= 0x10FFFF:
            chars[-1] = chr(code)
            return "".join(chars)
        chars.pop()
    return None


class KvTable:
    """``_cf_KV`` of one object's file (created on the first write)."""

    def __init__(self, db: ObjectDatabase, stats: Stats) -> None:
        self._db = db
        self._stats = stats
        self._ready = db.table_exists("_cf_KV")
        # A rolled-back transaction may have dropped or never created the table.
        db.on_settle(self.refresh)

    def refresh(self) -> None:
        self._ready = self._db.table_exists("_cf_KV")

    def forget(self) -> None:
        """The table was dropped (``deleteAll``)."""
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            self._db.internal(
                "CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID"
            )
            self._ready = True

    def get(self, key: str) -> Any:
        self._stats.incr("do.storage_rows_read")
        if not self._ready:
            return None
        found = self._db.internal("SELECT value FROM _cf_KV WHERE key = ?", (key,))
        return deserialize(found[0][0]) if found else None

    def has(self, key: str) -> bool:
        return self._ready and bool(
            self._db.internal("SELECT 1 FROM _cf_KV WHERE key = ?", (key,))
        )

    def get_many(self, keys: list[str]) -> JsDict:
        found = JsDict()
        for key in sorted(set(keys)):
            value = self.get(key)
            if value is not None or self.has(key):
                dict.__setitem__(found, key, value)
        return found

    def put(self, entries: dict[str, Any]) -> None:
        encoded: list[tuple[str, bytes]] = []
        for key, value in entries.items():
            data = serialize(value)
            if len(key.encode("utf-8")) + _approx_clone_bytes(to_rpc(value)) > MAX_KV_ENTRY_BYTES:
                raise storage_error("string or blob too big: SQLITE_TOOBIG")
            encoded.append((key, data))
        self._ensure()
        with self._db.atomic(), self._db.big_values():
            self._db.conn.executemany(
                "INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)" + INTERNAL_MARKER,
                encoded,
            )
        self._stats.incr("do.storage_rows_written", len(encoded))

    def delete(self, keys: list[str]) -> int:
        self._stats.incr("do.storage_rows_written", len(keys))
        if not self._ready:
            return 0
        deleted = 0
        conn = self._db.conn
        with self._db.atomic():
            for key in keys:
                before = conn.total_changes
                self._db.internal("DELETE FROM _cf_KV WHERE key = ?", (key,))
                deleted += conn.total_changes - before
        return deleted

    def list(self, options: Mapping[str, Any], what: str) -> JsDict:
        """Entries ordered by key: ``start``, ``startAfter``, ``end``, ``prefix``, ``reverse``,
        ``limit``."""
        refuse_unknown(options, what, LIST_OPTIONS)
        start, start_after = options.get("start"), options.get("startAfter")
        end, prefix = options.get("end"), options.get("prefix")
        limit = options.get("limit")
        if limit is not None and (not isinstance(limit, (int, float)) or limit <= 0):
            raise storage_error("List limit must be positive.")
        if not self._ready:
            return JsDict()
        clauses: list[str] = []
        params: list[Any] = []
        for bound, clause in ((start, "key >= ?"), (start_after, "key > ?"), (end, "key < ?")):
            if bound is not None:
                clauses.append(clause)
                params.append(storage_key(bound))
        if prefix:
            clauses.append("key >= ?")
            params.append(prefix)
            upper = _prefix_upper_bound(prefix)
            if upper is not None:
                clauses.append("key < ?")
                params.append(upper)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "DESC" if options.get("reverse", False) else "ASC"
        out = JsDict()
        with self._db.trusting():
            cursor = self._db.conn.execute(
                f"SELECT key, value FROM _cf_KV {where} ORDER BY key {order}" + INTERNAL_MARKER,
                params,
            )
            try:
                for key, value in cursor:
                    if prefix and not key.startswith(prefix):
                        continue
                    dict.__setitem__(out, key, deserialize(value))
                    if limit is not None and len(out) >= limit:
                        break
            finally:
                cursor.close()
        self._stats.incr("do.storage_rows_read", len(out))
        return out


class SyncKvStorage:
    """``ctx.storage.kv``: the synchronous key-value API of SQLite-backed objects."""

    def __init__(self, table: KvTable) -> None:
        self._table = table

    def get(self, key: Any) -> Any:
        return self._table.get(storage_key(key))

    def put(self, key: Any, value: Any) -> None:
        self._table.put({storage_key(key): value})

    def delete(self, key: Any) -> bool:
        return self._table.delete([storage_key(key)]) > 0

    def list(self, **options: Any) -> Iterator[list[Any]]:
        listed = self._table.list(options, "storage.kv.list()")
        return iter([[k, v] for k, v in listed.items()])
