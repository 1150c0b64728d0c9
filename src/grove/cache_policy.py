"""HTTP caching rules: Cache-Control, CDN-Cache-Control and ETag for every response kind.

- Published post pages: browsers and shared caches 5 min, the zone CDN 1 h (serving stale up
  to a day while it revalidates).
- Lists (home, blog index, JSON list): browsers 5 min, shared caches 10 min.
- Drafts, anything requested with credentials, errors and all API writes: private, no-store.
- Static files at content-hashed URLs (``grove.pages.assets``): a year, immutable (RFC 8246),
  since a changed file gets a new URL.

The Cache API copy of a page carries its own Cache-Control (``edge_cache_control``) because
its lifetime is the tier's edge TTL, longer than what browsers are told: every write purges it.
"""

from __future__ import annotations

import hashlib
from enum import Enum

from grove.tiers import TRENDING_BROWSER_TTL_S, TRENDING_EDGE_TTL_S

PRIVATE_NO_STORE = "private, no-store"
STATIC_ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
# The API document is the same for every caller and changes only with a deploy.
API_DOCUMENT_CACHE_CONTROL = "public, max-age=300"
# Public reader responses whose body would differ for a caller with a token (the tenant's
# writers see drafts): a shared cache must key them by Authorization (RFC 9110 §12.5.5), so
# a copy stored for an anonymous reader is never served for a writer's request or the reverse.
VARY_BY_CALLER = "Authorization"
# Responses that depend on the caller's credentials, a session cookie or a bearer token
# (RFC 9110 §12.5.5).
VARY_CREDENTIALS = "Cookie, Authorization"


# Meadow's Trending list: the same for everyone (no per-user part), so public
# (grove.tiers owns the lifetimes).
TRENDING_CACHE_CONTROL = f"public, max-age={TRENDING_BROWSER_TTL_S}, s-maxage={TRENDING_EDGE_TTL_S}"


class PageKind(Enum):
    POST = "post"
    LIST = "list"


_PUBLIC_HEADERS: dict[PageKind, dict[str, str]] = {
    PageKind.POST: {
        "cache-control": "public, max-age=300, s-maxage=300",
        "cdn-cache-control": "max-age=3600, stale-while-revalidate=86400",
    },
    PageKind.LIST: {
        "cache-control": "public, max-age=300, s-maxage=600",
        # The roadmap's list rule for the zone CDN.
        "cdn-cache-control": "max-age=600, stale-while-revalidate=3600",
    },
}

def public_headers(kind: PageKind) -> dict[str, str]:
    """Headers of a public reader response: its cache lifetimes, and Vary by caller."""
    return {**_PUBLIC_HEADERS[kind], "vary": VARY_BY_CALLER}


def private_headers() -> dict[str, str]:
    return {"cache-control": PRIVATE_NO_STORE}


def edge_cache_control(ttl_s: int) -> str:
    """Cache-Control of the copy stored in the Cache API (never sent to readers)."""
    return f"public, s-maxage={int(ttl_s)}"


def etag_for(body: bytes) -> str:
    """A strong validator: the same bytes always give the same tag, on every isolate."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: weak comparison against a list, or ``*``."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False
