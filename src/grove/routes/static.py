"""``GET /static/{name}``: the pages' CSS and JavaScript at content-hashed URLs
(``grove.pages.assets``), on every host (they are the same for every tenant).

A hashed name is served with a year-long immutable Cache-Control and its hash as ETag. Any
other name is a 404 that is never cached (``private, no-store``, as every error): an old hash
must not get today's file under an immutable header, nor be remembered as missing.
"""

from __future__ import annotations

from typing import Any

from grove.cache_policy import STATIC_ASSET_CACHE_CONTROL, etag_matches
from grove.errors import not_found
from grove.pages import assets
from grove.platform import Request, Response
from grove.router import Router


def register(router: Router) -> None:
    router.add(
        "GET", assets.STATIC_PATH_PREFIX + "{name}", static_file, access="public",
        summary="A page's CSS or JavaScript at its content-hashed name.", media="asset",
    )


async def static_file(request: Request, env: Any, ctx: Any, name: str) -> Response:
    asset = assets.ASSETS.by_hashed_name(name)
    if asset is None:
        raise not_found(f"No static file {name}")
    headers = {
        "content-type": asset.content_type,
        "cache-control": STATIC_ASSET_CACHE_CONTROL,
        "etag": f'"{asset.sha256_hex}"',
        # Browsers must not guess another type for a file a page runs or applies.
        "x-content-type-options": "nosniff",
    }
    if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
        del headers["content-type"]
        return Response(None, status=304, headers=headers)
    return Response(asset.body, status=200, headers=headers)
