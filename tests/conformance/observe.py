"""Turn whatever a binding returned into comparable JSON, keeping the Python type visible.

Both lanes run the same case code; what the app would be handed differs only in type and
value, so an observation records exactly that: ``None``, bools, ints, floats, strings as
themselves; dicts (``dict``/``JsDict``) and lists recursively; and tagged forms for the rest:
``{"$bytes": hex}``, ``{"$memoryview": hex}``, ``{"$datetime": "naive"|"aware"}``,
``{"$jsproxy": <JS constructor name>}`` (a raw JS object reached Python unconverted),
``{"$object": True}`` (an SDK-shaped wrapper; compare its fields explicitly instead), and
``{"$error": {"message": ..., "type_error": bool}}`` for exceptions (the JS error name prefix
Pyodide adds to ``str()`` is not part of the message).
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def _is_jsproxy(value: Any) -> bool:
    return type(value).__module__ == "pyodide.ffi" or type(value).__name__.startswith("JsProxy")


def _js_name(value: Any) -> str:
    try:
        return str(value.constructor.name)
    except Exception:
        return "?"


def observe(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else repr(value)
    if isinstance(value, bytes):
        return {"$bytes": value.hex()}
    if isinstance(value, bytearray):
        return {"$bytearray": bytes(value).hex()}
    if isinstance(value, memoryview):
        return {"$memoryview": bytes(value).hex()}
    if isinstance(value, dt.datetime):
        return {"$datetime": "naive" if value.tzinfo is None else "aware"}
    if isinstance(value, dict):
        return {str(k): observe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [observe(v) for v in value]
    if isinstance(value, BaseException):
        return error(value)
    if _is_jsproxy(value):
        return {"$jsproxy": _js_name(value)}
    return {"$object": True}


def error(exc: BaseException) -> dict[str, Any]:
    message = getattr(exc, "message", None)
    if not isinstance(message, str):
        message = str(exc)
    return {"$error": {"message": message, "type_error": isinstance(exc, TypeError)}}


async def attempt(awaitable_factory: Any) -> Any:
    """``observe(await factory())``, or the observed exception."""
    try:
        return observe(await awaitable_factory())
    except Exception as exc:
        return error(exc)
