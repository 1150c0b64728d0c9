"""Request handling for the main Worker: route, run the handler, turn errors into responses."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from grove.bindings import Env, ExecutionContext
from grove.errors import HttpError
from grove.http import error_response
from grove.platform import Request, Response
from grove.router import Router
from grove.routes import (
    analytics_api,
    auth_api,
    config_api,
    drafts_api,
    editor,
    posts_api,
    reader,
    static,
)

log = logging.getLogger("grove")

router = Router()
for area in (reader, posts_api, auth_api, drafts_api, analytics_api, config_api, editor, static):
    area.register(router)


async def handle_request(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    path = urlsplit(request.url).path
    try:
        handler, params = router.resolve(str(request.method), path)
        return await handler(request, env, ctx, **params)
    except HttpError as error:
        return error_response(error)
    except Exception:
        # Never leak internals to readers; the log keeps the traceback.
        log.exception("unhandled error for %s %s", request.method, request.url)
        return error_response(HttpError(500, "internal_error", "Something went wrong on our side."))
