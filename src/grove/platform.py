"""The one seam between grove-edge and the Workers platform.

Everything the app needs from the runtime is imported here and nowhere else: the SDK's
entrypoint bases and HTTP types, and the JavaScript globals the SDK does not wrap (the Cache
API, WebSocketPair). On Cloudflare these come from Pyodide's ``workers`` and ``js`` modules; on
CPython the local runtime provides modules of the same names and shapes.
"""

from __future__ import annotations

from typing import Any

import js

from workers import DurableObject, Request, Response, WorkerEntrypoint, fetch

__all__ = [
    "DurableObject",
    "Request",
    "Response",
    "WorkerEntrypoint",
    "default_cache",
    "edge_delete",
    "edge_match",
    "edge_put",
    "fetch",
    "new_websocket_pair",
    "to_bytes",
]


def default_cache() -> Any:
    """The data centre's default cache (``caches.default``)."""
    return js.caches.default


async def edge_match(url: str) -> Response | None:
    """The response cached under ``url`` in this data centre, as an SDK ``Response``."""
    hit = await default_cache().match(url)
    # Production hands back a JS Response (or undefined); the SDK's Response wraps it.
    return None if hit is None else Response(hit)


async def edge_put(url: str, response: Response) -> None:
    await default_cache().put(url, response.js_object)


async def edge_delete(url: str) -> bool:
    return bool(await default_cache().delete(url))


def new_websocket_pair() -> tuple[Any, Any]:
    """``(client, server)`` ends of a new WebSocket pair."""
    client, server = js.WebSocketPair.new().object_values()
    return client, server


def to_bytes(value: Any) -> bytes:
    """Bytes from what a binding returned: an ArrayBuffer proxy in production, bytes locally."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return bytes(value.to_bytes())
