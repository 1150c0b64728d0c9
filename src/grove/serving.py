"""Turning a rendered page into the responses readers get: public (cacheable, with
validators and tags), private (no-store), the Cache API copy, and a 304 when the reader's
copy is current.

A Cache API copy outlives a deploy, and a page links its CSS and JavaScript by content hash
(``grove.pages.assets``), which a deploy that changed them no longer serves: each copy records
the asset set it was built with, and a copy from another set is not used."""

from __future__ import annotations

from dataclasses import dataclass

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


def _respond(body: bytes, headers: dict[str, str], if_none_match: str | None) -> Response:
    if etag_matches(if_none_match, headers["etag"]):
        headers = {k: v for k, v in headers.items() if k != "content-type"}
        return Response(None, status=304, headers=headers)
    return Response(body, status=200, headers=headers)


def public_response(page: RenderedPage, if_none_match: str | None) -> Response:
    headers = {
        "content-type": page.content_type,
        **public_headers(page.kind),
        "etag": etag_for(page.body),
        "cache-tag": ",".join(page.cache_tags),
    }
    return _respond(page.body, headers, if_none_match)


def private_response(page: RenderedPage, if_none_match: str | None) -> Response:
    headers = {"content-type": page.content_type, **private_headers(), "etag": etag_for(page.body)}
    return _respond(page.body, headers, if_none_match)


def edge_copy(page: RenderedPage) -> Response:
    """What goes into the Cache API: the page, kept for its tier's edge TTL."""
    headers = {
        "content-type": page.content_type,
        "cache-control": edge_cache_control(page.edge_ttl_s),
        "etag": etag_for(page.body),
        "cache-tag": ",".join(page.cache_tags),
        ASSETS_VERSION_HEADER: assets.ASSETS.version,
    }
    return Response(page.body, status=200, headers=headers)


def is_current(hit: Response) -> bool:
    """Whether a Cache API copy was built with the asset set this deploy serves."""
    return hit.headers.get(ASSETS_VERSION_HEADER) == assets.ASSETS.version


async def from_edge(hit: Response, kind: PageKind, if_none_match: str | None) -> Response:
    headers = {k: v for k, v in hit.headers.items() if k.lower() not in _RECOMPUTED}
    headers.update(public_headers(kind))
    return _respond(await hit.bytes(), headers, if_none_match)
