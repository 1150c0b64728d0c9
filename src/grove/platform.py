"""The one seam between grove-edge and the Workers platform.

Everything the app needs from the runtime is imported here and nowhere else: the SDK's
entrypoint bases and HTTP types, and the JavaScript globals the SDK does not wrap (the Cache
API, WebSocketPair). On Cloudflare these come from Pyodide's ``workers`` and ``js`` modules; on
CPython the local runtime provides modules of the same names and shapes. What the app relies
on from the objects the runtime hands it (``env``, ``ctx``, bindings) is typed in
``grove.bindings``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import js

from grove.bindings import Cache
from workers import DurableObject, Request, Response, WorkerEntrypoint, fetch

__all__ = [
    "DurableObject",
    "Request",
    "Response",
    "WorkerEntrypoint",
    "edge_delete",
    "edge_match",
    "edge_put",
    "fetch",
    "lasting_callback",
    "new_websocket_pair",
    "js_strings",
    "to_bytes",
]


def _default_cache() -> Cache:
    """The data centre's default cache (``caches.default``)."""
    cache: Cache = js.caches.default
    return cache


async def edge_match(url: str) -> Response | None:
    """The response cached under ``url`` in this data centre, as an SDK ``Response``."""
    hit = await _default_cache().match(url)
    # Production hands back a JS Response (or undefined); the SDK's Response wraps it.
    return None if hit is None else Response(hit)


async def edge_put(url: str, response: Response) -> None:
    await _default_cache().put(url, response.js_object)


async def edge_delete(url: str) -> bool:
    return bool(await _default_cache().delete(url))


def new_websocket_pair() -> tuple[Any, Any]:
    """``(client, server)`` ends of a new WebSocket pair: JS WebSocket objects, which have no
    Python type (the JS boundary)."""
    client, server = js.WebSocketPair.new().object_values()
    return client, server


def js_strings(values: list[str]) -> Any:
    """``values`` as the JavaScript array of strings an API takes (``acceptWebSocket``'s tags):
    under Pyodide a Python list crosses as a proxy, which is not an ``Array``; locally the list
    itself."""
    if sys.platform != "emscripten":
        return values
    from pyodide.ffi import to_js  # pyright: ignore[reportMissingImports]

    return to_js(values)  # pyright: ignore[reportUnknownVariableType]


def to_bytes(value: Any) -> bytes:
    """Bytes from what a binding returned: an ArrayBuffer proxy (a JS object: no Python type)
    in production, bytes locally."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, memoryview):
        return value.tobytes()
    return bytes(value.to_bytes())


def lasting_callback(fn: Callable[..., Any]) -> tuple[Any, Callable[[], None]]:
    """``(callable for JavaScript, release)``: ``fn`` as JavaScript may call it after the call
    that hands it over has returned (``blockConcurrencyWhile`` runs its callback once the
    object's gate lets it). Pyodide destroys the proxy it makes for a Python argument when that
    call returns ("This borrowed proxy was automatically destroyed"), so the proxy is made
    here with ``create_proxy`` and released by the caller once JavaScript is done with it.
    Locally (CPython) there is no proxy: ``fn`` itself (``pyodide-py``, a dev tool, may be
    importable there, but its proxies only exist under Pyodide)."""
    if sys.platform != "emscripten":
        return fn, lambda: None
    from pyodide.ffi import create_proxy  # pyright: ignore[reportMissingImports]

    proxy: Any = create_proxy(fn)  # pyright: ignore[reportUnknownVariableType]
    return proxy, proxy.destroy
