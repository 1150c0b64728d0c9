"""The Workers Cache API (``caches.default``, ``await caches.open(name)``) backed by SQLite.

Production semantics reproduced here (Cloudflare docs "Cache" runtime API and "How the cache
works", workerd ``api/cache.c++``; miniflare's cache worker as a second reading):

- ``put`` throws ``TypeError`` for a non-GET key, a 206 response, ``Vary: *`` and a WebSocket
  (101) response; a 304 is silently discarded. Everything else resolves to ``None`` whether or
  not the cache stored it: "not stored" is never an error.
- Not stored: ``Cache-Control: no-store``, ``private`` (without field names), ``no-cache``
  (without field names; the Cache API cannot revalidate, so such an entry never matches),
  a zero or negative freshness lifetime, any remaining ``Set-Cookie`` header, a key request
  carrying ``Authorization`` unless ``public``/``s-maxage``/``must-revalidate`` is present,
  bodies over 512 MiB. ``private=Set-Cookie`` (or other field names) stores the response
  without the named headers.
- Freshness lifetime: ``s-maxage``, else ``max-age``, else ``Expires`` minus ``Date`` (or now),
  minus any ``Age`` the response already carries. Without any of them Cloudflare's default
  Edge TTL by status applies (docs "Cache by status code", referenced from the Cache API page):
  200 and 301 for 120 min, 302 and 303 for 20 min, 404 and 410 for 3 min; any other status is
  not stored. ``stale-while-revalidate``/``stale-if-error`` are ignored, as documented for
  ``cache.put``/``cache.match``.
- ``CDN-Cache-Control``/``Cloudflare-CDN-Cache-Control`` are NOT read: the Cache API page lists
  the response headers ``put`` honours (Cache-Control, Cache-Tag, ETag, Expires,
  Last-Modified) and they are not among them; miniflare ignores them as well. They are stored
  and returned like any other header.
- ``match`` returns ``None`` for a non-GET request unless ``ignoreMethod=True``; a hit carries
  ``cf-cache-status: HIT`` (workerd hands back the cache's response headers, and the cache
  marks hits that way). Request ``If-None-Match`` / ``If-Modified-Since`` give a 304, ``Range``
  a 206 (one range) or a ``multipart/byteranges`` 206 (several), an unsatisfiable range a 416.
- ``delete`` returns whether a fresh entry was removed (``False`` for a non-GET key unless
  ``ignoreMethod=True``).

Entries are keyed by (cache namespace, URL, or ``request.cf["cacheKey"]`` when given) in
``state_dir/cache/cache.sqlite3``; expiry is read from ``services.now_ms()``.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import sqlite3
from dataclasses import dataclass
from urllib.parse import urlsplit

from local_runtime.services import RuntimeServices
from workers import Request, Response

# Cloudflare "Cache by status code": the Edge TTL used when neither Cache-Control freshness nor
# Expires is present. Statuses not listed are not cached by default. (206 is in Cloudflare's
# list too, but cache.put rejects 206 before this table is consulted.)
DEFAULT_EDGE_TTL_S: dict[int, int] = {
    200: 120 * 60,
    206: 120 * 60,
    301: 120 * 60,
    302: 20 * 60,
    303: 20 * 60,
    404: 3 * 60,
    410: 3 * 60,
}

# Cloudflare's per-object cache limit on Free/Pro/Business plans ("Cache by status code",
# "Caching limits"); a larger put is answered 413 by the cache and silently not stored.
MAX_OBJECT_BYTES = 512 * 1024 * 1024

# workerd: `JSG_REQUIRE(cacheName.size() < MAX_CACHE_NAME_LENGTH, ...)`.
MAX_CACHE_NAME_CHARS = 1024

# The default cache and named caches are separate namespaces; a named cache may be called
# anything (even "default"), so the default one gets a value no name can produce.
_DEFAULT_NAMESPACE = "\x00default"

# LatencyProfile has figures for hits and misses only; a put or a purge is the same
# data-centre-local round trip as a miss, so it is charged as one.
_WRITE_LATENCY_OP = "cache_miss"

_BODY_USED_MESSAGE = (
    "Body has already been used. It can only be used once. Use tee() first if you need to "
    "read it twice."
)

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


@dataclass(frozen=True)
class _StoredEntry:
    status: int
    status_text: str
    headers: list[tuple[str, str]]
    body: bytes | None


class CacheStorage:
    """The ``caches`` global: ``.default`` and ``await .open(name)``."""

    def __init__(self, services: RuntimeServices) -> None:
        self._services = services
        self._db_path = services.path("cache", "cache.sqlite3")
        # Autocommit: every write is one statement, visible at once to the next request.
        self._conn = sqlite3.connect(self._db_path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(_SCHEMA)
        self.default = Cache(self, _DEFAULT_NAMESPACE)

    async def open(self, cacheName: str) -> Cache:
        name = str(cacheName)
        if len(name) >= MAX_CACHE_NAME_CHARS:
            raise TypeError("Cache name is too long.")
        return Cache(self, name)

    def close(self) -> None:
        self._conn.close()


class Cache:
    """One cache namespace: ``put``, ``match``, ``delete`` with production's call shapes."""

    def __init__(self, storage: CacheStorage, namespace: str) -> None:
        self._storage = storage
        self._namespace = namespace

    @property
    def _services(self) -> RuntimeServices:
        return self._storage._services

    @property
    def _conn(self) -> sqlite3.Connection:
        return self._storage._conn

    # --- put ------------------------------------------------------------------------------

    async def put(self, request: Request | str, response: Response) -> None:
        key_request = _coerce_request(request)
        if key_request._method != "GET":
            raise TypeError("Cannot cache response to non-GET request.")
        if response.status == 206:
            raise TypeError("Cannot cache response to a range request (206 Partial Content).")
        if any("*" in value for value in response._headers.get_all("vary")):
            raise TypeError("Cannot cache response with 'Vary: *' header.")
        if response.status == 304:
            # workerd discards 304s silently (caching one would later answer unconditional
            # requests with an empty 304).
            return
        if response.web_socket is not None or response.status == 101:
            raise TypeError("Cannot cache WebSocket upgrade response.")
        if response.body_used:
            raise TypeError(_BODY_USED_MESSAGE)
        cache_key = _cache_key(key_request)
        # Production disturbs the body as soon as put() returns, stored or not.
        body = response._body
        response._body_used = body is not None

        services = self._services
        async with services.io():
            services.stats.incr("cache.puts")
            services.model(_WRITE_LATENCY_OP)
            now_ms = services.now_ms()
            decision = _storage_decision(key_request, response, body, now_ms)
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

    async def match(self, request: Request | str, ignoreMethod: bool = False) -> Response | None:
        key_request = _coerce_request(request)
        if not ignoreMethod and key_request._method != "GET":
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
        return _match_response(key_request, entry, cache_key)

    # --- delete ---------------------------------------------------------------------------

    async def delete(self, request: Request | str, ignoreMethod: bool = False) -> bool:
        key_request = _coerce_request(request)
        if not ignoreMethod and key_request._method != "GET":
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

    def _load_fresh(self, cache_key: str, now_ms: int) -> _StoredEntry | None:
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
        return _StoredEntry(int(status), str(status_text), headers, body)


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
    parts = urlsplit(request.url)
    if not parts.scheme or not parts.netloc:
        raise TypeError("Invalid URL. Cache API keys must be fully-qualified, valid URLs.")
    return request.url


# --- Cache-Control ------------------------------------------------------------------------


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """Directives of a Cache-Control value: lower-cased names, unquoted values, first wins."""
    directives: dict[str, str | None] = {}
    if not value:
        return directives
    for item in _split_outside_quotes(value):
        item = item.strip()
        if not item:
            continue
        name, sep, raw = item.partition("=")
        name = name.strip().lower()
        arg: str | None = None
        if sep:
            arg = raw.strip()
            if len(arg) >= 2 and arg[0] == '"' and arg[-1] == '"':
                arg = arg[1:-1].replace('\\"', '"')
        directives.setdefault(name, arg)
    return directives


def _split_outside_quotes(value: str) -> list[str]:
    # `private="set-cookie, x-user"` holds a comma inside quotes: it is one directive.
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def _field_names(arg: str | None) -> set[str]:
    return {name.strip().lower() for name in (arg or "").split(",") if name.strip()}


def _delta_seconds(arg: str | None) -> int:
    # RFC 9111 4.2.1: an invalid max-age makes the response stale.
    try:
        return int(arg) if arg is not None else 0
    except ValueError:
        return 0


def _http_date_ms(value: str | None) -> int | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return int(parsed.timestamp() * 1000)


def _freshness_ttl_s(
    status: int, headers: list[tuple[str, str]], cc: dict[str, str | None], now_ms: int
) -> int | None:
    """Seconds the response stays fresh, or None for "not stored"."""
    if "s-maxage" in cc:
        lifetime_s = _delta_seconds(cc["s-maxage"])
    elif "max-age" in cc:
        lifetime_s = _delta_seconds(cc["max-age"])
    elif (expires := _first(headers, "expires")) is not None:
        expires_ms = _http_date_ms(expires)
        if expires_ms is None:
            return None  # an invalid Expires (e.g. "0") means "already expired"
        date_ms = _http_date_ms(_first(headers, "date"))
        lifetime_s = (expires_ms - (date_ms if date_ms is not None else now_ms)) // 1000
    else:
        default_s = DEFAULT_EDGE_TTL_S.get(status)
        if default_s is None:
            return None
        lifetime_s = default_s
    # An Age the response already carries has used up that much of its lifetime.
    age = _first(headers, "age")
    age_s = _delta_seconds(age) if age is not None else 0
    ttl_s = lifetime_s - max(age_s, 0)
    return ttl_s if ttl_s > 0 else None


def _first(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in headers if k == name]
    return ", ".join(values) if values else None


def _storage_decision(
    request: Request, response: Response, body: bytes | None, now_ms: int
) -> tuple[list[tuple[str, str]], int] | None:
    """(headers to store, ttl in seconds), or None when production's cache would not store."""
    headers = response._headers.raw_items()
    cc = parse_cache_control(_first(headers, "cache-control"))
    if "no-store" in cc:
        return None
    if "private" in cc:
        names = _field_names(cc["private"])
        if not names:
            return None
        # `private=<headers>`: the response is stored without those headers.
        headers = [(k, v) for k, v in headers if k not in names]
    if "no-cache" in cc:
        names = _field_names(cc["no-cache"])
        # Plain no-cache means "revalidate every time", which cache.match never does.
        if not names or any(k in names for k, _ in headers):
            return None
    if any(k == "set-cookie" for k, _ in headers):
        return None
    if request._headers.has("authorization") and not (
        "public" in cc or "s-maxage" in cc or "must-revalidate" in cc
    ):
        return None
    if body is not None and len(body) > MAX_OBJECT_BYTES:
        return None
    ttl_s = _freshness_ttl_s(response.status, headers, cc, now_ms)
    if ttl_s is None:
        return None
    if body is not None:
        # The cache receives the response serialised with its length; a hit carries it back.
        headers = [(k, v) for k, v in headers if k != "content-length"]
        headers.append(("content-length", str(len(body))))
    return headers, ttl_s


# --- match responses ----------------------------------------------------------------------


def _match_response(request: Request, entry: _StoredEntry, cache_key: str) -> Response:
    headers = [(k, v) for k, v in entry.headers if k != "cf-cache-status"]
    headers.append(("cf-cache-status", "HIT"))
    if _not_modified(request, entry.headers):
        return Response(None, status=304, headers=headers)
    range_header = request._headers.get("range")
    body = entry.body
    if range_header is not None and body is not None and entry.status == 200:
        ranges = _parse_ranges(range_header, len(body))
        if ranges == []:
            unsatisfiable = [(k, v) for k, v in headers if k != "content-length"]
            unsatisfiable.append(("content-range", f"bytes */{len(body)}"))
            return Response(None, status=416, headers=unsatisfiable)
        if ranges is not None:
            return _partial_response(body, ranges, headers, cache_key)
    return Response(body, status=entry.status, status_text=entry.status_text, headers=headers)


def _not_modified(request: Request, stored: list[tuple[str, str]]) -> bool:
    if_none_match = request._headers.get("if-none-match")
    etag = _first(stored, "etag")
    if if_none_match is not None:
        # RFC 9110 13.1.2: weak comparison; If-Modified-Since is ignored when this is present.
        if etag is None:
            return False
        if if_none_match.strip() == "*":
            return True
        stored_tag = _opaque_tag(etag)
        return any(_opaque_tag(candidate) == stored_tag for candidate in if_none_match.split(","))
    if_modified_since_ms = _http_date_ms(request._headers.get("if-modified-since"))
    last_modified_ms = _http_date_ms(_first(stored, "last-modified"))
    if if_modified_since_ms is None or last_modified_ms is None:
        return False
    return last_modified_ms <= if_modified_since_ms


def _opaque_tag(value: str) -> str:
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip()


def _parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Inclusive byte ranges; None when the header is not a usable `bytes=` range (serve 200),
    [] when none of the ranges can be satisfied (416)."""
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    ranges: list[tuple[int, int]] = []
    for part in spec.split(","):
        first, dash, last = part.strip().partition("-")
        if not dash:
            return None
        first, last = first.strip(), last.strip()
        if first == "":
            if not last.isdigit():
                return None
            suffix = int(last)
            if suffix == 0:
                continue
            ranges.append((max(size - suffix, 0), size - 1))
            continue
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        start = int(first)
        if last and int(last) < start:
            return None  # syntactically invalid: the whole header is ignored
        if start >= size:
            continue  # unsatisfiable on its own
        end = int(last) if last else size - 1
        ranges.append((start, min(end, size - 1)))
    return ranges if size > 0 else []


def _partial_response(
    body: bytes, ranges: list[tuple[int, int]], headers: list[tuple[str, str]], cache_key: str
) -> Response:
    size = len(body)
    base = [(k, v) for k, v in headers if k not in ("content-length", "content-range")]
    if len(ranges) == 1:
        start, end = ranges[0]
        base.append(("content-range", f"bytes {start}-{end}/{size}"))
        base.append(("content-length", str(end - start + 1)))
        return Response(body[start : end + 1], status=206, headers=base)
    content_type = _first(headers, "content-type")
    # Deterministic boundary: the same request for the same entry gives the same bytes.
    boundary = hashlib.sha1(f"{cache_key}|{ranges}".encode()).hexdigest()[:24]
    chunks: list[bytes] = []
    for start, end in ranges:
        part_headers = ""
        if content_type is not None:
            part_headers += f"Content-Type: {content_type}\r\n"
        part_headers += f"Content-Range: bytes {start}-{end}/{size}\r\n"
        chunks.append(
            f"--{boundary}\r\n{part_headers}\r\n".encode() + body[start : end + 1] + b"\r\n"
        )
    chunks.append(f"--{boundary}--".encode())
    multipart = b"".join(chunks)
    base = [(k, v) for k, v in base if k != "content-type"]
    base.append(("content-type", f"multipart/byteranges; boundary={boundary}"))
    base.append(("content-length", str(len(multipart))))
    return Response(multipart, status=206, headers=base)
