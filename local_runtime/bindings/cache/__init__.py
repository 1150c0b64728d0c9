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
``state_dir/cache/cache.sqlite3``; expiry is read from ``services.now_ms()``. Modules:
``storage`` (``caches`` and its caches), ``policy`` (what is stored and for how long),
``responses`` (what a hit answers).
"""

from local_runtime.bindings.cache.policy import DEFAULT_EDGE_TTL_S, MAX_OBJECT_BYTES
from local_runtime.bindings.cache.storage import Cache, CacheStorage

__all__ = ["DEFAULT_EDGE_TTL_S", "MAX_OBJECT_BYTES", "Cache", "CacheStorage"]
