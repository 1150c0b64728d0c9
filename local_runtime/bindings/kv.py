"""Workers KV for the local runtime: one SQLite file per namespace, production's call shapes.

In production ``env.KV`` is the Python SDK's ``_BindingWrapper`` around workerd's
``KvNamespace``: keyword arguments become the trailing JS options object
(``put(k, v, expirationTtl=60)`` is ``put(k, v, {expirationTtl: 60})``) and every result goes
through ``python_from_rpc`` (objects -> ``JsDict``, null -> ``None``, ArrayBuffer -> a
``memoryview``). The checks and messages below follow workerd's ``kv.c++`` (key checks, done
before any I/O) and the KV service as miniflare reproduces it (TTL, metadata, size, list limit),
so ``str(error)`` reads like production's.

Eventual consistency between locations (data centres) is modelled as Cloudflare documents it
(KV docs "How KV works", sections Performance and Consistency, and "Read key-value pairs",
cacheTtl): writes go to the central store; a read in a location is answered from that location's
cached copy of the key (a value, or "not found": negative lookups are cached too) while the copy
is younger than the read's ``cacheTtl`` (default 60 s), and otherwise from the central store,
which refreshes the copy. A write or delete replaces the copy of the location that made it (the
docs: changes are "usually immediately visible" there), so a plain run, which has one location
(``RuntimeServices.location``), reads its own writes; another location keeps serving the copy
it read until the copy times out: "up to 60 seconds (or the duration of the cacheTtl)". A copy
never outlives the value's own expiration. The latency model charges a read served by the
location's copy as a hot read (``kv_read_hit``) and any other as a cold one (``kv_read_miss``).

Not modelled: ``list`` reads the central store (production's listing is cached too), bulk
``get([keys])``, and ReadableStream values (``type="stream"`` returns ``bytes``). An option
outside production's fails loudly instead of being ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from local_runtime.bindings.cursors import decode_cursor, encode_cursor
from local_runtime.conversion import JsException
from local_runtime.faults import FaultPoint
from local_runtime.js_values import js_json_dumps, js_json_loads, options_object, refuse_unsendable
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices
from local_runtime.sqlite_policy import open_state_database

# Cloudflare KV limits (docs "Workers KV limits"; miniflare's KVLimits agree).
MAX_KEY_BYTES = 512
MAX_VALUE_BYTES = 25 * 1024 * 1024
MAX_METADATA_BYTES = 1024
MIN_EXPIRATION_TTL_S = 60
# Lowered from 60 to 30 in January 2026 (KV changelog "reduced minimum cacheTtl";
# workers-sdk PR #11391 made miniflare accept 30).
MIN_CACHE_TTL_S = 30
# KV docs "Read key-value pairs": cacheTtl "defaults to 60 seconds".
DEFAULT_CACHE_TTL_S = 60
MAX_LIST_LIMIT = 1000

_VALUE_TYPES = ("text", "json", "arrayBuffer", "stream")
# The options object of each call (workerd kv.c++ GetOptions, PutOptions, ListOptions). An
# option outside these fails loudly (``js_values.options_object``). ``cacheTtl`` is how long the
# reading location may answer from its cached copy (see the module docstring).
_GET_OPTIONS = frozenset({"type", "cacheTtl"})
_PUT_OPTIONS = frozenset({"expiration", "expirationTtl", "metadata"})
_LIST_OPTIONS = frozenset({"prefix", "limit", "cursor"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expires_at_ms INTEGER,
    metadata TEXT
) WITHOUT ROWID
"""


Row = tuple[bytes, str | None, int | None]  # value, metadata JSON, expires_at_ms


@dataclass(frozen=True)
class _LocationCopy:
    """What one location last learnt of a key: its row, or None ("not found"), and when."""

    row: Row | None
    read_at_ms: int

    def fresh(self, now_ms: int, cache_ttl_s: int) -> bool:
        if now_ms - self.read_at_ms >= cache_ttl_s * 1000:
            return False
        expires_at_ms = None if self.row is None else self.row[2]
        return expires_at_ms is None or now_ms < expires_at_ms


class KVError(Exception):
    """A failed KV operation, worded like production's ``KV PUT failed: 400 ...`` errors."""


def _failed(method: str, status: int, text: str) -> KVError:
    return KVError(f"KV {method} failed: {status} {text}")


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="replace"))


# --- argument handling -----------------------------------------------------------------------


def _validate_key(method: str, key: Any) -> str:
    # Production coerces a non-string key with JS String() (None becomes the key "null");
    # failing loudly here is deliberate.
    if not isinstance(key, str):
        raise TypeError(f"KV key must be a string, got {type(key).__name__}")
    if key == "":
        raise TypeError("Key name cannot be empty.")
    if key in (".", ".."):
        raise TypeError(f'"{key}" is not allowed as a key name.')
    size = _utf8_len(key)
    if size > MAX_KEY_BYTES:
        raise _failed(
            method,
            414,
            f"UTF-8 encoded length of {size} exceeds key length limit of {MAX_KEY_BYTES}.",
        )
    return key


def _get_options(options: Any, kwargs: dict[str, Any]) -> tuple[str, int | None]:
    if isinstance(options, str):
        return options, None  # get(key, "json")
    opts = options_object(options, kwargs, "KV get()", _GET_OPTIONS)
    value_type = opts.get("type") or "text"
    cache_ttl = opts.get("cacheTtl")
    return value_type, None if cache_ttl is None else int(cache_ttl)


_PUT_VALUE_TYPES = (
    "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
)


def _encode_value(value: Any) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace")
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    refuse_unsendable(value)  # the SDK, in Python
    if value is None or isinstance(value, bool | int | float):
        # Production coerces a JS primitive with String() and stores "5" or "null", which is
        # almost always a bug: refused here, with a message saying it is a local check.
        raise JsException(
            f"{_PUT_VALUE_TYPES[:-1]} (got {type(value).__name__}; production would store "
            "String(value)).",
            name="TypeError",
        )
    # Anything else reaches workerd as a JS object (dict, list, set, datetime...): kv.c++ throws
    # a JS TypeError, which Python code sees as a JsException (not a Python TypeError).
    raise JsException(_PUT_VALUE_TYPES, name="TypeError")


def _decode_value(value: bytes, value_type: str) -> Any:
    if value_type == "text":
        return value.decode("utf-8", errors="replace")
    if value_type == "json":
        return js_json_loads(value.decode("utf-8", errors="replace"))
    if value_type == "arrayBuffer":
        # python_from_rpc deep-converts an ArrayBuffer into a memoryview (a copy): code that
        # needs bytes must say bytes(view); `.decode()` does not exist in production.
        return memoryview(bytearray(value))
    if value_type == "stream":
        # Production returns a ReadableStream JsProxy (usable as a Response body); the local
        # Response takes bytes, so the whole value stands in for the stream.
        return value
    raise TypeError(
        'Unknown response type. Possible types are "text", "arrayBuffer", "json", and "stream".'
    )


def _expires_at_s(now_s: int, expiration: Any, expiration_ttl: Any) -> int | None:
    # As in the KV service: expirationTtl wins when both are given.
    if expiration_ttl is not None:
        ttl_s = int(expiration_ttl)
        if ttl_s <= 0:
            raise _failed(
                "PUT",
                400,
                f"Invalid expiration_ttl of {ttl_s}. Please specify integer greater than 0.",
            )
        if ttl_s < MIN_EXPIRATION_TTL_S:
            raise _failed(
                "PUT",
                400,
                f"Invalid expiration_ttl of {ttl_s}. "
                f"Expiration TTL must be at least {MIN_EXPIRATION_TTL_S}.",
            )
        return now_s + ttl_s
    if expiration is not None:
        at_s = int(expiration)
        if at_s <= now_s:
            raise _failed(
                "PUT",
                400,
                f"Invalid expiration of {at_s}. Please specify integer greater than the current "
                "number of seconds since the UNIX epoch.",
            )
        if at_s < now_s + MIN_EXPIRATION_TTL_S:
            raise _failed(
                "PUT",
                400,
                f"Invalid expiration of {at_s}. "
                f"Expiration times must be at least {MIN_EXPIRATION_TTL_S} seconds in the future.",
            )
        return at_s
    return None


# --- the binding -----------------------------------------------------------------------------


class KVNamespace:
    """One KV namespace, stored in ``<state>/kv/<namespace_id>.sqlite3``."""

    def __init__(self, services: RuntimeServices, binding: str, namespace_id: str) -> None:
        self.services = services
        self.binding = binding
        self.namespace_id = namespace_id
        self.db_path = services.path("kv", f"{namespace_id}.sqlite3")
        # Autocommit: every write below is one statement, hence atomic on its own. WAL +
        # NORMAL: a commit survives a process crash; only an OS crash may lose the tail.
        self._db = open_state_database(self.db_path, synchronous="NORMAL")
        self._db.execute(_SCHEMA)
        # Each location's cached copies, by (location, key). In memory: production's location
        # caches are not durable either (a restart is a location that has read nothing yet).
        self._copies: dict[tuple[str, str], _LocationCopy] = {}

    def close(self) -> None:
        self._db.close()

    def stored_bytes(self) -> int:
        """Key and value bytes of the live entries (a local measure, not a binding method)."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(length(CAST(key AS BLOB)) + length(value)), 0) FROM kv"
            " WHERE expires_at_ms IS NULL OR expires_at_ms > ?",
            (self.services.now_ms(),),
        ).fetchone()
        return int(row[0])

    def _fail_if_unavailable(self, method: str) -> None:
        if self.services.faults.trips(FaultPoint.KV_UNAVAILABLE):
            raise _failed(method, 503, "Service Unavailable")

    def __repr__(self) -> str:
        return f"<KVNamespace {self.binding} ({self.namespace_id})>"

    # -- reads --

    def _remember(self, key: str, row: Row | None) -> None:
        """The current location's copy of ``key`` is now ``row`` (a read or its own write)."""
        self._copies[(self.services.location, key)] = _LocationCopy(row, self.services.now_ms())

    def _live_row(self, key: str) -> Row | None:
        row = self._db.execute(
            "SELECT value, metadata, expires_at_ms FROM kv WHERE key = ?", (key,)
        ).fetchone()
        if row is None:
            return None
        value, metadata, expires_at_ms = row
        if expires_at_ms is not None and expires_at_ms <= self.services.now_ms():
            # Purge lazily; the expiry check keeps a concurrent re-put from being deleted.
            self._db.execute(
                "DELETE FROM kv WHERE key = ? AND expires_at_ms = ?", (key, expires_at_ms)
            )
            return None
        return bytes(value), metadata, expires_at_ms

    async def _read(self, key: Any, options: Any, kwargs: dict[str, Any]) -> tuple[Any, Any]:
        _validate_key("GET", key)
        value_type, cache_ttl_s = _get_options(options, kwargs)
        async with self.services.io():
            self._fail_if_unavailable("GET")
            if cache_ttl_s is not None and cache_ttl_s < MIN_CACHE_TTL_S:
                raise _failed(
                    "GET",
                    400,
                    f"Invalid cache_ttl of {cache_ttl_s}. "
                    f"Cache TTL must be at least {MIN_CACHE_TTL_S}.",
                )
            self.services.stats.incr("kv.reads")
            copy = self._copies.get((self.services.location, key))
            ttl_s = DEFAULT_CACHE_TTL_S if cache_ttl_s is None else cache_ttl_s
            if copy is not None and copy.fresh(self.services.now_ms(), ttl_s):
                row = copy.row
                self.services.stats.incr("kv.location_hits")
                self.services.model("kv_read_hit")
            else:
                row = self._live_row(key)
                self._remember(key, row)
                self.services.model("kv_read_miss")
            if row is not None:
                self.services.stats.incr("kv.read_hits")
            if row is None:
                # Production answers a 404 before looking at `type`, so a bad type on a
                # missing key is not an error either.
                return None, None
            value, metadata, _ = row
            decoded = _decode_value(value, value_type)
            return decoded, None if metadata is None else js_json_loads(metadata)

    async def get(self, key: str, options: Any = None, /, **kwargs: Any) -> Any:
        """``get(key)``, ``get(key, "json")``, ``get(key, type="arrayBuffer", cacheTtl=60)``.

        None when the key is missing or expired.
        """
        value, _ = await self._read(key, options, kwargs)
        return value

    async def getWithMetadata(self, key: str, options: Any = None, /, **kwargs: Any) -> JsDict:  # noqa: N802
        """``{"value", "metadata", "cacheStatus"}``; every field None for a missing key.

        Only the JS name exists: the SDK does not map ``get_with_metadata``, so production
        raises AttributeError for it and so does this class.
        """
        value, metadata = await self._read(key, options, kwargs)
        return JsDict(value=value, metadata=metadata, cacheStatus=None)

    # -- writes --

    async def put(self, key: str, value: Any, options: Any = None, /, **kwargs: Any) -> None:
        """``put(key, value, expirationTtl=..., expiration=..., metadata=...)``.

        ``value`` is str, bytes or memoryview; ``expiration`` is seconds since the epoch.
        """
        _validate_key("PUT", key)
        opts = options_object(options, kwargs, "KV put()", _PUT_OPTIONS)
        data = _encode_value(value)
        metadata = opts.get("metadata")
        metadata_json = None if metadata is None else js_json_dumps(metadata)
        async with self.services.io():
            self._fail_if_unavailable("PUT")
            now_s = self.services.now_ms() // 1000
            expires_at_s = _expires_at_s(now_s, opts.get("expiration"), opts.get("expirationTtl"))
            if metadata_json is not None:
                metadata_bytes = _utf8_len(metadata_json)
                if metadata_bytes > MAX_METADATA_BYTES:
                    raise _failed(
                        "PUT",
                        413,
                        f"Metadata length of {metadata_bytes} exceeds limit of {MAX_METADATA_BYTES}.",
                    )
            if len(data) > MAX_VALUE_BYTES:
                raise _failed(
                    "PUT", 413, f"Value length of {len(data)} exceeds limit of {MAX_VALUE_BYTES}."
                )
            self.services.stats.incr("kv.writes")
            self.services.model("kv_write")
            expires_at_ms = None if expires_at_s is None else expires_at_s * 1000
            self._db.execute(
                "INSERT OR REPLACE INTO kv (key, value, expires_at_ms, metadata) VALUES (?, ?, ?, ?)",
                (key, data, expires_at_ms, metadata_json),
            )
            self._remember(key, (data, metadata_json, expires_at_ms))

    async def delete(self, key: str) -> None:
        _validate_key("DELETE", key)
        async with self.services.io():
            self._fail_if_unavailable("DELETE")
            self.services.stats.incr("kv.deletes")
            self.services.model("kv_write")
            self._db.execute("DELETE FROM kv WHERE key = ?", (key,))
            self._remember(key, None)

    # -- listing --

    async def list(self, options: Any = None, /, **kwargs: Any) -> JsDict:
        """``list(prefix=, limit=, cursor=)`` -> ``{"keys", "list_complete", "cursor"?,
        "cacheStatus"}``; keys in UTF-8 byte order, each ``{"name", "expiration"?,
        "metadata"?}`` (expiration in seconds since the epoch)."""
        opts = options_object(options, kwargs, "KV list()", _LIST_OPTIONS)
        prefix = opts.get("prefix") or ""
        limit = opts.get("limit")
        cursor = opts.get("cursor")
        async with self.services.io():
            self._fail_if_unavailable("LIST")
            # workerd only sends a positive limit; anything else means the default.
            limit_n = MAX_LIST_LIMIT if limit is None or int(limit) <= 0 else int(limit)
            if limit_n > MAX_LIST_LIMIT:
                raise _failed(
                    "GET",
                    400,
                    f"Invalid key_count_limit of {limit_n}. "
                    f"Please specify an integer less than {MAX_LIST_LIMIT}.",
                )
            prefix_bytes = _utf8_len(prefix)
            if prefix_bytes > MAX_KEY_BYTES:
                raise _failed(
                    "GET",
                    414,
                    f"UTF-8 encoded length of {prefix_bytes} exceeds key length limit of "
                    f"{MAX_KEY_BYTES}.",
                )
            start_after = (
                decode_cursor(cursor, lambda: _failed("GET", 400, f"Invalid cursor {cursor!r}."))
                if cursor
                else None
            )
            self.services.stats.incr("kv.lists")
            self.services.model("kv_read_miss")
            now_ms = self.services.now_ms()
            self._db.execute("DELETE FROM kv WHERE expires_at_ms <= ?", (now_ms,))
            # TEXT compares with BINARY collation, i.e. by UTF-8 bytes, which is KV's order.
            rows = self._db.execute(
                """
                SELECT key, expires_at_ms, metadata FROM kv
                WHERE key >= :prefix AND substr(key, 1, length(:prefix)) = :prefix
                  AND (:after IS NULL OR key > :after)
                ORDER BY key LIMIT :limit
                """,
                {"prefix": prefix, "after": start_after, "limit": limit_n + 1},
            ).fetchall()
        more = len(rows) > limit_n
        rows = rows[:limit_n]
        keys = []
        for name, expires_at_ms, metadata in rows:
            entry = JsDict(name=name)
            if expires_at_ms is not None:
                entry["expiration"] = expires_at_ms // 1000
            if metadata is not None:
                entry["metadata"] = js_json_loads(metadata)
            keys.append(entry)
        result = JsDict(keys=keys, list_complete=not more)
        if more:
            result["cursor"] = encode_cursor(rows[-1][0])
        result["cacheStatus"] = None
        return result
