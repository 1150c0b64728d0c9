"""The zone's cache purge API, served in process: ``POST {base}/zones/{zone}/purge_cache`` with
``{"tags": [...]}`` drops every Cache API entry carrying one of the tags, in every location.

Cloudflare's Cache API honours a stored response's ``Cache-Tag`` header, which "allows resource
purging by tag(s) later", and ``cache.delete`` reaches one data centre only: a global purge goes
through the zone's purge API (Workers docs "Cache", Headers and Delete). Instant Purge answers
once the purge has reached the whole network (Cloudflare blog "Instant Purge: invalidating
cached content in under 150ms", 2024-09-24), so the entries are gone when the call returns.

A runtime serves it only when asked (``LocalRuntime.serve_zone_api``): ``workers.fetch`` hands a
request under the base URL to this handler instead of the network. The reply has the API's
envelope (``success``, ``errors``, ``messages``, ``result``); a wrong token is a 403 as the API
answers it. Only purge by tag is implemented: anything else is refused with 400, loudly.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from workers.host import method as method_of

from workers import Request, Response

Handler = Callable[[Request], Awaitable[Response]]

# Origins served in process: base URL -> handler (``workers.fetch`` looks here first).
_routes: dict[str, Handler] = {}

# Cloudflare's API: at most 30 tags per purge request (docs "Purge cache by cache-tags").
MAX_TAGS_PER_REQUEST = 30


def route_for(url: str) -> Handler | None:
    for base, handler in _routes.items():
        if url.startswith(base + "/"):
            return handler
    return None


def _reply(status: int, result: Any = None, error: str | None = None) -> Response:
    errors = [] if error is None else [{"code": 1000 + status, "message": error}]
    body = {"success": error is None, "errors": errors, "messages": [], "result": result}
    return Response(json.dumps(body), status=status, headers={"content-type": "application/json"})


class ZoneApi:
    """The purge endpoint of one zone, applied to a ``CacheStorage`` (every location)."""

    def __init__(self, purge_tags: Callable[[list[str]], int], *, zone_id: str, api_token: str, base_url: str) -> None:
        self._purge_tags = purge_tags
        self.zone_id = zone_id
        self.api_token = api_token
        self.base_url = base_url.rstrip("/")
        self.purged_tags: list[str] = []  # every tag purged, in order (benchmarks count them)

    def open(self) -> None:
        _routes[self.base_url] = self.handle

    def close(self) -> None:
        _routes.pop(self.base_url, None)

    async def handle(self, request: Request) -> Response:
        path = request.url[len(self.base_url) :]
        if path != f"/zones/{self.zone_id}/purge_cache" or method_of(request) != "POST":
            return _reply(404, error=f"no route for {request.method} {path}")
        if request.headers.get("authorization") != f"Bearer {self.api_token}":
            return _reply(403, error="Authentication error")
        try:
            payload = json.loads(await request.text())
        except ValueError:
            return _reply(400, error="malformed JSON body")
        tags = payload.get("tags") if isinstance(payload, dict) else None
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
            return _reply(400, error="only purge by tags is served locally: {\"tags\": [...]}")
        if len(tags) > MAX_TAGS_PER_REQUEST:
            return _reply(400, error=f"at most {MAX_TAGS_PER_REQUEST} tags per request")
        self._purge_tags(tags)
        self.purged_tags += tags
        return _reply(200, result={"id": self.zone_id})
