"""The CPython stand-in for Cloudflare's ``workers`` SDK module (workers-runtime-sdk 1.9.x).

Only what grove-edge uses, with production's names and call shapes. ``env`` and
``wait_until`` at module level come from the running local runtime (``cloudflare:workers``
in production).
"""

from typing import Any

from workers.entrypoints import DurableObject, WorkerEntrypoint, handler
from workers.fetch import fetch
from workers.headers import Headers
from workers.request import Request
from workers.response import Response

FetchResponse = Response

__all__ = [
    "DurableObject",
    "FetchResponse",
    "Headers",
    "Request",
    "Response",
    "WorkerEntrypoint",
    "env",
    "fetch",
    "handler",
    "wait_until",
    "waitUntil",
]

# Set by local_runtime.runtime when a Worker is loaded (module globals, as in production).
_module_env: Any = None
_module_wait_until: Any = None


def __getattr__(key: str) -> Any:
    if key == "env":
        return _module_env
    if key in ("wait_until", "waitUntil"):
        return _module_wait_until
    raise AttributeError(f"module {__name__!r} has no attribute {key!r}")
