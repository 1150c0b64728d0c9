"""``caches`` and its caches: ``put``, ``match`` and ``delete`` on ``<state>/cache/cache.sqlite3``,
with production's call shapes and checks."""

from __future__ import annotations

import json
import sqlite3
from typing import Any
from urllib.parse import urlsplit

from workers.host import headers as headers_of
from workers.host import method as method_of
from workers.host import take_body

from local_runtime.bindings.cache.policy import storage_decision
from local_runtime.bindings.cache.responses import StoredEntry, match_response
from local_runtime.js_values import BODY_USED_MESSAGE, options_object
from local_runtime.services import RuntimeServices
from local_runtime.sqlite_policy import open_state_database
from workers import Request, Response

# workerd: `JSG_REQUIRE(cacheName.size() < MAX_CACHE_NAME_LENGTH, ...)`.
MAX_CACHE_NAME_CHARS = 1024

# The default cache and named caches are separate namespaces; a named cache may be called
# anything (even "default"), so the default one gets a value no name can produce.
_DEFAULT_NAMESPACE = "\x00default"

# LatencyProfile has figures for hits and misses only; a put or a purge is the same
# data-centre-local round trip as a miss, so it is charged as one.
_WRITE_LATENCY_OP = "cache_miss"

_QUERY_OPTIONS = frozenset({"ignoreMethod"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_entries (
    namespace TEXT NOT NULL,
    cache_key TEXT NOT NULL,
    status INTEGER NOT NULL,
    status_text TEXT NOT NULL,
    headers_json TEXT NOT NULL,
    body BLOB,
    stored_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    PRIMARY KEY (namespace, cache_key)
)
"""


class CacheStorage:
    """The ``caches`` global: ``.default`` and ``await .open(name)``.

    Production has one cache per data centre ("How the cache works": the Cache API is local to
    the data centre that served the request). Each location's entries are separate: the
    location is ``RuntimeServices.location``, shared with KV's per-location copies."""

    def __init__(self, services: RuntimeServices) -> None:
        self._services = services
        self._db_path = services.path("cache", "cache.sqlite3")
        # Autocommit: every write is one statement, visible at once to the next request.
        self._conn = open_state_database(self._db_path)
        self._conn.execute(_SCHEMA)
        self.default = Cache(self, _DEFAULT_NAMESPACE)

    @property
    def location(self) -> str:
        return self._services.location

    @location.setter
    def location(self, value: str) -> None:
        self._services.location = value

    async def open(self, cacheName: str) -> Cache:
        name = str(cacheName)
        if len(name) >= MAX_CACHE_NAME_CHARS:
            raise TypeError("Cache name is too long.")
        return Cache(self, name)

    def purge_tags(self, tags: list[str]) -> int:
        """Drop every entry whose ``Cache-Tag`` names one of ``tags``, in every location and
        cache (what the zone's purge by tag does; ``local_runtime.zone``). Tags compare without
        case, as Cloudflare's do. Returns how many entries went."""
        wanted = {tag.strip().lower() for tag in tags}
        doomed: list[tuple[str, str]] = []
        for namespace, cache_key, headers_json in self._conn.execute(
            "SELECT namespace, cache_key, headers_json FROM cache_entries"
        ):
            carried = {
                tag.strip().lower()
                for name, value in json.loads(headers_json)
                if str(name).lower() == "cache-tag"
                for tag in str(value).split(",")
            }
            if carried & wanted:
                doomed.append((namespace, cache_key))
        self._conn.executemany(
            "DELETE FROM cache_entries WHERE namespace = ? AND cache_key = ?", doomed
        )
        return len(doomed)

    def close(self) -> None:
        self._conn.close()


class Cache:
    """One cache namespace: ``put``, ``match``, ``delete`` with production's call shapes."""

    def __init__(self, storage: CacheStorage, namespace: str) -> None:
        self._storage = storage
        self._name = namespace

    @property
    def _namespace(self) -> str:
        location = self._storage.location
        return f"{location}\x00{self._name}" if location else self._name

    @property
    def _services(self) -> RuntimeServices:
        return self._storage._services

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._storage._conn

    # --- put ------------------------------------------------------------------------------

    async def put(self, request: Request | str, response: Response) -> None:
        key_request = _coerce_request(request)
        if method_of(key_request) != "GET":
            raise TypeError("Cannot cache response to non-GET request.")
        if response.status == 206:
            raise TypeError("Cannot cache response to a range request (206 Partial Content).")
        if any("*" in value for value in headers_of(response).get_all("vary")):
            raise TypeError("Cannot cache response with 'Vary: *' header.")
        if response.status == 304:
            # workerd discards 304s silently (caching one would later answer unconditional
            # requests with an empty 304).
            return
        if response.web_socket is not None or response.status == 101:
            raise TypeError("Cannot cache WebSocket upgrade response.")
        if response.body_used:
            raise TypeError(BODY_USED_MESSAGE)
        cache_key = _cache_key(key_request)
        # Production disturbs the body as soon as put() returns, stored or not.
        body = take_body(response)

        services = self._services
        async with services.io():
            services.stats.incr("cache.puts")
            services.model(_WRITE_LATENCY_OP)
            now_ms = services.now_ms()
            decision = storage_decision(key_request, response, body, now_ms)
            if decision is None:
                return
            headers, ttl_s = decision
            self._conn.execute(
                "INSERT OR REPLACE INTO cache_entries (namespace, cache_key, status, status_text,"
                " headers_json, body, stored_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    self._namespace,
                    cache_key,
                    response.status,
                    response.status_text,
                    json.dumps(headers),
                    body,
                    now_ms,
                    now_ms + ttl_s * 1000,
                ),
            )

    # --- match ----------------------------------------------------------------------------

    async def match(
        self, request: Request | str, options: Any = None, /, **kwargs: Any
    ) -> Response | None:
        """``match(request, ignoreMethod=False)``: the fresh stored response, or None."""
        if isinstance(request, str) and options is None and not kwargs:
            # The common call, ``match(url)``: a GET with no headers, so no conditional or range
            # request; the key is the URL itself (what ``_coerce_request`` would build, checked alike).
            key_request, cache_key = None, _url_key(request)
        else:
            key_request = _coerce_request(request)
            if not _ignore_method(options, kwargs, "cache.match()") and method_of(key_request) != "GET":
                # workerd answers undefined without asking the cache: no I/O, nothing counted.
                return None
            cache_key = _cache_key(key_request)
        services = self._services
        async with services.io():
            entry = self._load_fresh(cache_key, services.now_ms())
            if entry is None:
                services.stats.incr("cache.misses")
                services.model("cache_miss")
                return None
            services.stats.incr("cache.hits")
            services.model("cache_hit")
        return match_response(key_request, entry, cache_key)

    # --- delete ---------------------------------------------------------------------------

    async def delete(self, request: Request | str, options: Any = None, /, **kwargs: Any) -> bool:
        """``delete(request, ignoreMethod=False)``: whether a fresh entry was removed."""
        key_request = _coerce_request(request)
        if not _ignore_method(options, kwargs, "cache.delete()") and method_of(key_request) != "GET":
            return False
        cache_key = _cache_key(key_request)
        services = self._services
        async with services.io():
            services.stats.incr("cache.deletes")
            services.model(_WRITE_LATENCY_OP)
            # An expired entry is already gone as far as match() is concerned: report False.
            fresh = self._load_fresh(cache_key, services.now_ms()) is not None
            self._conn.execute(
                "DELETE FROM cache_entries WHERE namespace = ? AND cache_key = ?",
                (self._namespace, cache_key),
            )
        return fresh

    # --- storage --------------------------------------------------------------------------

    def _load_fresh(self, cache_key: str, now_ms: int) -> StoredEntry | None:
        row = self._conn.execute(
            "SELECT status, status_text, headers_json, body, expires_at_ms FROM cache_entries"
            " WHERE namespace = ? AND cache_key = ?",
            (self._namespace, cache_key),
        ).fetchone()
        if row is None:
            return None
        status, status_text, headers_json, body, expires_at_ms = row
        if now_ms >= expires_at_ms:
            # Stale entries are never served by the Cache API (no revalidation): purge.
            self._conn.execute(
                "DELETE FROM cache_entries WHERE namespace = ? AND cache_key = ?",
                (self._namespace, cache_key),
            )
            return None
        headers = [(str(k), str(v)) for k, v in json.loads(headers_json)]
        return StoredEntry(int(status), str(status_text), headers, body)


def _ignore_method(options: Any, kwargs: dict[str, Any], what: str) -> bool:
    # CacheQueryOptions: workerd implements ignoreMethod only (cache.c++); anything else (e.g.
    # ignoreSearch, ignoreVary) fails loudly.
    return bool(options_object(options, kwargs, what, _QUERY_OPTIONS).get("ignoreMethod", False))


# --- keys ---------------------------------------------------------------------------------


def _coerce_request(request: Request | str) -> Request:
    # JS `Request::coerce`: a string becomes a GET Request for that URL.
    if isinstance(request, Request):
        return request
    if isinstance(request, str):
        return Request(request)
    raise TypeError(
        f"Failed to execute on 'Cache': parameter 1 is not of type 'Request or string' "
        f"(got {type(request).__name__})"
    )


def _cache_key(request: Request) -> str:
    cf = request.cf
    if isinstance(cf, dict) and cf.get("cacheKey") is not None:
        # Enterprise custom cache keys (`cf: {cacheKey}`) replace the URL as the key.
        return str(cf["cacheKey"])
    return _url_key(request.url)


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise TypeError("Invalid URL. Cache API keys must be fully-qualified, valid URLs.")
    return url


