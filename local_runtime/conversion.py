"""What happens to a Python value when it crosses the JS boundary in production.

Production path reproduced here: the SDK's ``python_to_rpc`` (workers-runtime-sdk ``rpc.py``)
checks a value with ``_raise_on_disabled_type`` and hands it to Pyodide's ``to_js``; workerd
then structured-clones it (RPC, Durable Object storage, WebSocket attachments); on the other
side ``python_from_rpc`` runs Pyodide's ``to_py`` and turns every JS object into a ``JsDict``.

- ``to_rpc(value)``: the sending half. Validates and deep-copies (no reference survives the
  boundary), and applies what ``to_js`` + ``Object.fromEntries`` do to dict keys.
- ``from_rpc(value)``: the receiving half. Dicts become ``JsDict``; a JS number with an
  integral value becomes ``int`` (Pyodide: a Number is an int when it is a safe integer), so
  ``2.0`` arrives as ``2``; a JS Error arrives as ``Exception("Error: <message>")``.
- ``serialize`` / ``deserialize``: structured clone to bytes for storage values and WebSocket
  attachments (a tagged JSON encoding, never pickle).
- The value rules these build on (safe integers, refusals, ``String()``, dates) are
  ``local_runtime.js_values``.
- ``JsException``: what a JS error thrown by the platform looks like to Python code, and
  ``remote_error`` which turns an exception raised inside a Durable Object into one.
"""

from __future__ import annotations

import base64
import datetime as dt
import inspect
import json
import math
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

from local_runtime.js_values import (
    SDK_REFUSED_TYPES,
    WireError,
    becomes_bigint,
    datetime_to_ms,
    from_js_number,
    js_number_string,
    ms_to_datetime,
    rejected,
)
from local_runtime.sdk_types import JsDict
from workers import Request, Response


class JsException(Exception):
    """A JavaScript error surfacing in Python (production: ``pyodide.ffi.JsException``).

    ``str(exc)`` is the error's message; ``name`` its JS class (``Error``, ``TypeError``).
    ``remote`` is True when the error was thrown by code inside a Durable Object (production
    sets ``.remote`` on such errors). ``remote_traceback`` keeps the Python traceback from
    the other side of the boundary for local debugging.
    """

    def __init__(self, message: str, *, name: str = "Error", remote: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.name = name
        self.remote = remote
        self.retryable = False
        self.overloaded = False
        self.remote_traceback: str | None = None


def remote_error(exc: BaseException) -> JsException:
    """The error a caller sees when ``exc`` escapes a Durable Object's handler.

    The message survives; the Python type name is kept in it unless the exception was a plain
    ``Exception`` (``ValueError("x")`` arrives as ``"ValueError: x"``). An error that already
    crossed a boundary (a nested RPC) passes through with its message unchanged.
    """
    if isinstance(exc, JsException):
        err = JsException(exc.message, name=exc.name, remote=True)
        err.remote_traceback = exc.remote_traceback
        return err
    message = str(exc)
    if type(exc) is not Exception:
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    err = JsException(message, remote=True)
    err.remote_traceback = "".join(traceback.format_exception(exc))
    return err


class RpcFunction:
    """A Python callable sent over RPC: the receiver gets a stub whose calls are async.

    Production passes functions as RPC stubs; calling one returns a promise, and its arguments
    and result cross the boundary again.
    """

    __slots__ = ("_fn",)

    def __init__(self, fn: Callable[..., Any]) -> None:
        self._fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        wire_args = [to_rpc(a) for a in args]
        if kwargs:
            # Pyodide passes keyword arguments of a JS call as one trailing object.
            wire_args.append(to_rpc(kwargs))

        async def call() -> Any:
            result = self._fn(*[from_rpc(a) for a in wire_args])
            if inspect.isawaitable(result):
                result = await result
            return from_rpc(to_rpc(result))

        return call()


def _is_passed_by_reference(value: Any) -> bool:
    # RPC stubs and namespaces travel as capabilities, not copies (the SDK's _BindingWrapper
    # branch). Checked by duck type so this module does not import the DO binding.
    return bool(getattr(value, "_rpc_by_reference", False))


def _key_string(key: Any) -> str:
    # to_js(dict, dict_converter=Object.fromEntries): every key becomes a property name, i.e.
    # JS String(key). Keys JS would turn into something odd ("1,2" for a tuple) are refused.
    if isinstance(key, str):
        return str(key)
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int):
        return str(int(key))
    if isinstance(key, float):
        return js_number_string(key)
    raise TypeError(f"dict key of {type(key)} cannot be sent over RPC.")


def to_rpc(value: Any) -> Any:
    """Validate ``value`` as the SDK does and return an independent deep copy of it."""
    return _to_rpc(value, {})


def _to_rpc(value: Any, memo: dict[int, Any]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, SDK_REFUSED_TYPES):
        raise rejected(value)
    if isinstance(value, memoryview):
        return value.tobytes()
    if isinstance(value, dt.datetime):
        # js.Date.new(obj.timestamp() * 1000): millisecond precision.
        return ms_to_datetime(datetime_to_ms(value))
    if isinstance(value, Exception):
        return WireError(str(value))
    if isinstance(value, Request):
        return Request(value)
    if isinstance(value, Response):
        return Response(value)
    if isinstance(value, (RpcFunction, WireError)) or _is_passed_by_reference(value):
        return value
    if inspect.isawaitable(value):
        raise rejected(value)
    if id(value) in memo:
        # Structured clone keeps shared references (and cycles) within one message.
        return memo[id(value)]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        memo[id(value)] = out
        for key, item in value.items():
            out[_key_string(key)] = _to_rpc(item, memo)
        return out
    if isinstance(value, list):
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(_to_rpc(item, memo) for item in value)
        return items
    if isinstance(value, set):
        members: set[Any] = set()
        memo[id(value)] = members
        for item in value:
            members.add(_to_rpc(item, memo))
        return members
    if callable(value) and not isinstance(value, type):
        return RpcFunction(value)
    # Anything else would reach to_js as a PyProxy, which structured clone cannot copy.
    raise rejected(value)


def from_rpc(value: Any) -> Any:
    """Turn a value that crossed the boundary into what Python code sees (``python_from_rpc``)."""
    return _from_rpc(value, {})


def _from_rpc(value: Any, memo: dict[int, Any]) -> Any:
    if value is None or isinstance(value, (bool, str, bytes)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return from_js_number(value)
    if isinstance(value, WireError):
        return value.to_python()
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, Request):
        return Request(value)
    if isinstance(value, Response):
        return Response(value)
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, dict):
        out = JsDict()
        memo[id(value)] = out
        for key, item in value.items():
            dict.__setitem__(out, key, _from_rpc(item, memo))
        return out
    if isinstance(value, list):
        items: list[Any] = []
        memo[id(value)] = items
        items.extend(_from_rpc(item, memo) for item in value)
        return items
    if isinstance(value, set):
        members: set[Any] = set()
        memo[id(value)] = members
        for item in value:
            members.add(_from_rpc(item, memo))
        return members
    # RpcFunction, stubs, namespaces: capabilities, handed over as they are.
    return value


# --- structured clone to bytes (storage values, WebSocket attachments) ---------------------------

# Tagged JSON: plain JSON for null/bool/number/string/array/object, and {"$t": tag, "v": ...}
# for what JSON cannot say. A dict that itself holds a "$t" key is wrapped so it cannot be
# mistaken for a tag.
_TAG = "$t"


def _unserializable(value: Any) -> TypeError:
    # workerd's serializer refuses host objects it cannot clone with this message.
    name = type(value).__name__
    return TypeError(
        f'Could not serialize object of type "{name}". This type does not support serialization.'
    )


def serialize(value: Any) -> bytes:
    """Structured-clone ``value`` (after the SDK's checks) to bytes."""
    wire = to_rpc(value)
    return json.dumps(_encode(wire, set()), separators=(",", ":"), allow_nan=False).encode("utf-8")


def deserialize(data: bytes | str) -> Any:
    """The value ``serialize`` stored, as Python code sees it after ``python_from_rpc``."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    return from_rpc(_decode(json.loads(text)))


def _encode(value: Any, stack: set[int]) -> Any:
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        if becomes_bigint(value):
            return {_TAG: "bigint", "v": str(value)}
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {_TAG: "number", "v": js_number_string(value)}
    if isinstance(value, bytes):
        return {_TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dt.datetime):
        return {_TAG: "date", "v": datetime_to_ms(value)}
    if isinstance(value, WireError):
        return {_TAG: "error", "v": value.message}
    if not isinstance(value, (dict, list, set)):
        raise _unserializable(value)
    if id(value) in stack:
        # Structured clone would keep the cycle; JSON cannot (a known local limitation).
        raise TypeError("cyclic values cannot be stored by grove-edge's local runtime")
    stack.add(id(value))
    try:
        if isinstance(value, dict):
            body = {k: _encode(v, stack) for k, v in value.items()}
            return {_TAG: "object", "v": body} if _TAG in body else body
        if isinstance(value, set):
            return {_TAG: "set", "v": [_encode(v, stack) for v in value]}
        return [_encode(v, stack) for v in value]
    finally:
        stack.discard(id(value))


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    tag = value.get(_TAG)
    if tag is None:
        return {k: _decode(v) for k, v in value.items()}
    payload = value["v"]
    if tag == "object":
        return {k: _decode(v) for k, v in payload.items()}
    if tag == "set":
        return {_decode(v) for v in payload}
    if tag == "bytes":
        return base64.b64decode(payload)
    if tag == "bigint":
        return int(payload)
    if tag == "number":
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[payload]
    if tag == "date":
        return ms_to_datetime(payload)
    if tag == "error":
        return WireError(payload)
    raise ValueError(f"unknown tag {tag!r} in stored value")
