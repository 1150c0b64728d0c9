"""A hello-world ASGI app: the floor `bench/http_load.py` compares `grove dev` with.

Served by the same uvicorn stack as `grove dev` (httptools + uvloop, no access log), it costs
only what the server itself costs per request, so `grove dev`'s rate over this one is the share
of the server in a request's time.
"""

from __future__ import annotations

from typing import Any

BODY = b"Hello, world!"
HEADERS = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return  # lifespan: nothing to start
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
