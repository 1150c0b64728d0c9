"""Request handling for the main Worker: route, run the handler, turn errors into responses.

Wrong turns: a GET of a path with a trailing slash whose slash-less form is a route is a 301
to it (one URL per page); a refusal on a page path is, for a browser, an HTML page in the
blog's own theme (its config from the TenantDO), for anyone else the JSON error shape."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from grove.bindings import Env, ExecutionContext
from grove.errors import HttpError
from grove.http import error_response
from grove.negotiation import prefers_html
from grove.platform import Request, Response
from grove.problems import is_page_path, page_problem, theme_of
from grove.router import Router
from grove.routes import (
    accounts_api,
    analytics_api,
    api_document,
    config_api,
    discovery,
    drafts_api,
    meadow_api,
    post_meta_api,
    posts_api,
    reader,
    sign_in_routes,
    static,
    versions_api,
    workspace,
)

log = logging.getLogger("grove")

router = Router()
for area in (
    reader, discovery, posts_api, versions_api, post_meta_api, sign_in_routes, accounts_api, meadow_api, drafts_api, analytics_api, config_api, workspace, static, api_document,
):
    area.register(router)


async def _refusal(request: Request, env: Env, path: str, error: HttpError) -> Response:
    if is_page_path(path):
        accept = request.headers.get("accept")
        config = await theme_of(request, env) if prefers_html(accept) else None
        return page_problem(error, accept, config)
    return error_response(error)


def _without_trailing_slash(method: str, path: str, query: str) -> Response | None:
    """A 301 from ``/blog/`` to ``/blog`` (and so on) when the path without its trailing slashes
    is a route; never to a ``//host`` path (a redirect off the site)."""
    if method not in ("GET", "HEAD") or len(path) < 2 or not path.endswith("/"):
        return None
    target = path.rstrip("/")
    if not target or target.startswith("//"):
        return None
    try:
        router.match("GET", target)
    except HttpError:
        return None
    location = f"{target}?{query}" if query else target
    return Response(None, status=301, headers={"location": location, "cache-control": "public, max-age=3600"})


async def handle_request(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    try:
        url = urlsplit(request.url)
    except ValueError:
        # The URL is built from the Host header; one that makes no URL ("[", "a]b") is a 400
        # (RFC 9112 §3.2: an invalid Host field value).
        return error_response(HttpError(400, "invalid_host", "The Host header is not a valid host."))
    path = url.path
    try:
        _, operation, params = router.match(str(request.method), path)
        return await operation.handler(request, env, ctx, **params)
    except HttpError as error:
        if error.status == 404 and (moved := _without_trailing_slash(str(request.method), path, url.query)):
            return moved
        return await _refusal(request, env, path, error)
    except Exception:
        # Never leak internals to readers; the log keeps the traceback (the URL, never headers:
        # they may carry a token).
        log.exception("unhandled error for %s %s", request.method, path)
        return await _refusal(request, env, path, HttpError(500, "internal_error", "Something went wrong on our side."))
