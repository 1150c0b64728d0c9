"""Turning a rendered page into the responses readers get: public (cacheable, with
validators and tags), private (no-store), the Cache API copy, and a 304 when the reader's
copy is current (``If-None-Match`` against the ETag, else ``If-Modified-Since`` against a
page's ``Last-Modified`` when it has one: RFC 9110 §13.1.3, §13.2.2). A 404 for a slug
that could exist is kept in the Cache API briefly too (``missing_copy``).

A Cache API copy outlives a deploy, and a page links its CSS and JavaScript by content hash
(``grove.pages.assets``), which a deploy that changed them no longer serves: each copy records
the asset set it was built with, and a copy from another set is not used."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from grove.cache_policy import (
    PageKind,
    edge_cache_control,
    etag_for,
    etag_matches,
    private_headers,
    public_headers,
)
from grove.pages import assets
from grove.platform import Response

# On the Cache API copy only: the asset set (``AssetSet.version``) the page links to.
ASSETS_VERSION_HEADER = "x-grove-assets"
# Never copied from a stored response to a reader: policy headers are recomputed per kind,
# the length is the server's business, the asset version is ours.
_RECOMPUTED = frozenset({"cache-control", "cdn-cache-control", "vary", "content-length", ASSETS_VERSION_HEADER})


@dataclass(frozen=True)
class RenderedPage:
    body: bytes
    content_type: str
    kind: PageKind
    cache_tags: tuple[str, ...]
    edge_ttl_s: int
    # Feeds: the newest change they show (``Last-Modified``, for If-Modified-Since).
    last_modified_ms: int | None = None

    def validators(self) -> dict[str, str]:
        headers = {"etag": etag_for(self.body)}
        if self.last_modified_ms is not None:
            headers["last-modified"] = http_date(self.last_modified_ms)
        return headers


def http_date(ms: int) -> str:
    """An IMF-fixdate (RFC 9110 §5.6.7), e.g. ``Sun, 06 Nov 1994 08:49:37 GMT``."""
    import email.utils

    return email.utils.formatdate(ms // 1000, usegmt=True)


def _not_modified_since(if_modified_since: str | None, last_modified: str | None) -> bool:
    if not if_modified_since or not last_modified:
        return False
    import email.utils

    try:
        since = email.utils.parsedate_to_datetime(if_modified_since[:64])
        modified = email.utils.parsedate_to_datetime(last_modified)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False  # an invalid date is ignored (RFC 9110 §13.1.3)
    if since.tzinfo is None:
        return False
    return modified <= since


def _respond(body: bytes, headers: dict[str, str], request_headers: Message) -> Response:
    if_none_match = request_headers.get("if-none-match")
    if if_none_match is not None:
        fresh = etag_matches(if_none_match, headers["etag"])
    else:
        fresh = _not_modified_since(request_headers.get("if-modified-since"), headers.get("last-modified"))
    if fresh:
        headers = {k: v for k, v in headers.items() if k != "content-type"}
        return Response(None, status=304, headers=headers)
    return Response(body, status=200, headers=headers)


def public_response(page: RenderedPage, request_headers: Message) -> Response:
    headers = {
        "content-type": page.content_type,
        **public_headers(page.kind),
        **page.validators(),
        "cache-tag": ",".join(page.cache_tags),
    }
    return _respond(page.body, headers, request_headers)


def private_response(page: RenderedPage, request_headers: Message) -> Response:
    headers = {"content-type": page.content_type, **private_headers(), **page.validators()}
    return _respond(page.body, headers, request_headers)


def edge_copy(page: RenderedPage) -> Response:
    """What goes into the Cache API: the page, kept for its tier's edge TTL."""
    headers = {
        "content-type": page.content_type,
        "cache-control": edge_cache_control(page.edge_ttl_s),
        **page.validators(),
        "cache-tag": ",".join(page.cache_tags),
        ASSETS_VERSION_HEADER: assets.ASSETS.version,
    }
    return Response(page.body, status=200, headers=headers)


def missing_copy(body: bytes, content_type: str, cache_tags: tuple[str, ...], ttl_s: int) -> Response:
    """The Cache API copy of a 404 (never sent as it is: ``grove.routes.reader`` answers a hit
    in the format the request asks for)."""
    headers = {
        "content-type": content_type,
        "cache-control": edge_cache_control(ttl_s),
        "cache-tag": ",".join(cache_tags),
        ASSETS_VERSION_HEADER: assets.ASSETS.version,
    }
    return Response(body, status=404, headers=headers)


def is_current(hit: Response) -> bool:
    """Whether a Cache API copy was built with the asset set this deploy serves."""
    return hit.headers.get(ASSETS_VERSION_HEADER) == assets.ASSETS.version


async def from_edge(hit: Response, kind: PageKind, request_headers: Message) -> Response:
    headers = {k: v for k, v in hit.headers.items() if k.lower() not in _RECOMPUTED}
    headers.update(public_headers(kind))
    return _respond(await hit.bytes(), headers, request_headers)
