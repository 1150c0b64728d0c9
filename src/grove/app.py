"""Request handling for the main Worker: route, run the handler, turn errors into responses."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from grove.bindings import Env, ExecutionContext
from grove.errors import HttpError
from grove.http import error_response
from grove.platform import Request, Response
from grove.problems import is_page_path, page_problem
from grove.router import Router
from grove.routes import (
    accounts_api,
    analytics_api,
    api_document,
    config_api,
    drafts_api,
    meadow_api,
    post_meta_api,
    posts_api,
    reader,
    sign_in_routes,
    static,
    workspace,
)

log = logging.getLogger("grove")

router = Router()
for area in (
    reader, posts_api, post_meta_api, sign_in_routes, accounts_api, meadow_api, drafts_api, analytics_api, config_api, workspace, static, api_document,
):
    area.register(router)


def _refusal(request: Request, path: str, error: HttpError) -> Response:
    if is_page_path(path):
        return page_problem(error, request.headers.get("accept"))
    return error_response(error)


async def handle_request(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    try:
        path = urlsplit(request.url).path
    except ValueError:
        # The URL is built from the Host header; one that makes no URL ("[", "a]b") is a 400
        # (RFC 9112 §3.2: an invalid Host field value).
        return error_response(HttpError(400, "invalid_host", "The Host header is not a valid host."))
    try:
        _, operation, params = router.match(str(request.method), path)
        return await operation.handler(request, env, ctx, **params)
    except HttpError as error:
        return _refusal(request, path, error)
    except Exception:
        # Never leak internals to readers; the log keeps the traceback (the URL, never headers:
        # they may carry a token).
        log.exception("unhandled error for %s %s", request.method, path)
        return _refusal(request, path, HttpError(500, "internal_error", "Something went wrong on our side."))
