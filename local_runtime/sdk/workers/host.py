"""What the local runtime (the host) may see of the SDK stand-in's objects, and nothing more.

Production's runtime sees the JS side of a ``Request``/``Response`` (its method string, its
header list, its body stream); app code sees only the SDK's Python surface. The local runtime
(the Cache API, the HTTP server) goes through these functions; only this package touches the
classes' private fields, so the stand-in can change its insides without the runtime noticing,
and the classes offer app code nothing production's do not. Not part of production's
``workers`` module: app code never imports it.
"""

from __future__ import annotations

from typing import Any

import workers
from workers.body import BodyMixin
from workers.headers import Headers
from workers.request import Request


def method(request: Request) -> str:
    """The request's method as an upper-case string (``"GET"``)."""
    return request._method


def headers(message: BodyMixin) -> Headers:
    """The live header store of a request or response; the host only reads it."""
    return message._headers


def body(message: BodyMixin) -> bytes | None:
    """The body bytes (None for no body) without disturbing the body."""
    return message._body


def take_body(message: BodyMixin) -> bytes | None:
    """The body bytes, leaving the body used (as a stream the host has read is)."""
    taken = message._body
    message._body_used = taken is not None
    return taken


def bind_module_globals(env: Any, wait_until: Any) -> None:
    """``from workers import env, wait_until``: what ``cloudflare:workers`` gives a module."""
    workers._module_env = env
    workers._module_wait_until = wait_until
