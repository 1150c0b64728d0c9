"""``GET /api/openapi.json``: the OpenAPI document of every route in the table
(``grove.openapi``), on every host; the same for every caller, so cacheable as public."""

from __future__ import annotations

import functools
from typing import Any

from grove.cache_policy import API_DOCUMENT_CACHE_CONTROL
from grove.http import JSON_TYPE, json_body
from grove.openapi import build_document
from grove.platform import Request, Response
from grove.router import Router

PATH = "/api/openapi.json"


def register(router: Router) -> None:
    @functools.cache
    def document() -> bytes:
        # The table is complete once the app has imported: built on the first request.
        return json_body(build_document(router.routes()))

    async def openapi_document(request: Request, env: Any, ctx: Any) -> Response:
        return Response(document(), headers={"content-type": JSON_TYPE, "cache-control": API_DOCUMENT_CACHE_CONTROL})

    router.add("GET", PATH, openapi_document, access="public", summary="This document.")
