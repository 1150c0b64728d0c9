"""What a Python value becomes in JavaScript and back: the rules every local binding shares.

Production path: a binding call goes through the SDK's ``_BindingWrapper`` (workers-runtime-sdk
``rpc.py``), which refuses a few Python types (``_raise_on_disabled_type``), turns keyword
arguments into the trailing JS options object and hands values to Pyodide's ``to_js``; results
come back through ``python_from_rpc`` / Pyodide's ``to_py``. What workerd does with the JS
value in between (``String(value)`` coercion, ``JSON.stringify``, a ``Date``) is reproduced here
too, so each binding states only what is its own. RPC and structured clone (values crossing
into a Durable Object or its storage) are ``local_runtime.conversion``, built on these rules.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
from collections.abc import Mapping
from typing import Any

from local_runtime.sdk_types import to_js_dicts
from workers import Request, Response

# Number.MAX_SAFE_INTEGER. The two directions differ by one (Pyodide 314, checked in its
# pyodide.asm.mjs): Python -> JS, an int becomes a Number only strictly inside
# +-(2**53 - 1) (``-MAX_SAFE_INTEGER < x < MAX_SAFE_INTEGER``), so MAX_SAFE_INTEGER itself is
# already a BigInt; JS -> Python, a Number becomes an int when ``Number.isSafeInteger`` holds,
# i.e. up to and including +-(2**53 - 1), and a float otherwise.
MAX_SAFE_INTEGER = 2**53 - 1

# The SDK's _raise_on_disabled_type: these never reach JS (a Python TypeError at the call).
SDK_REFUSED_TYPES = (tuple, bytearray, frozenset)


class WireError:
    """A JS ``Error`` in transit (what ``js.Error.new(str(exc))`` produced)."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def to_python(self) -> Exception:
        # python_from_rpc: Exception(value.toString()), and Error.toString() is "Error: <msg>".
        return Exception(f"Error: {self.message}" if self.message else "Error")


# workerd's TypeError for a body stream read a second time (R2 object bodies, cache.put).
BODY_USED_MESSAGE = (
    "Body has already been used. It can only be used once. Use tee() first if you need to "
    "read it twice."
)


# --- numbers -------------------------------------------------------------------------------------


def becomes_bigint(value: int) -> bool:
    """Whether Pyodide's ``to_js`` turns this Python int into a BigInt rather than a Number."""
    return not -MAX_SAFE_INTEGER < value < MAX_SAFE_INTEGER


def from_js_number(value: float) -> int | float:
    """A JS Number as Pyodide hands it to Python: ``int`` when it is a safe integer
    (``2.0`` arrives as ``2``), else ``float``."""
    if value.is_integer() and abs(value) <= MAX_SAFE_INTEGER:
        return int(value)
    return value


def through_js_number(value: Any) -> Any:
    """A SQLite column value after its trip through a JS number (D1 results, DO SQL cursors).

    An INTEGER beyond +-(2**53 - 1) arrives as a float, rounded as the double was
    (9223372036854775807 -> 9.223372036854776e+18); an integral REAL arrives as an int.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value if abs(value) <= MAX_SAFE_INTEGER else float(value)
    if isinstance(value, float):
        return from_js_number(value)
    return value


# --- refusals ------------------------------------------------------------------------------------


def rejected(value: Any) -> TypeError:
    """The SDK's refusal, word for word (``_raise_on_disabled_type``)."""
    if inspect.isawaitable(value):
        return TypeError(f"Awaitable {type(value)} cannot be sent over RPC.")
    return TypeError(f"{type(value)} cannot be sent over RPC.")


def refuse_unsendable(value: Any) -> None:
    """Raise the SDK's TypeError for a value it never converts (tuple, bytearray, frozenset)."""
    if isinstance(value, SDK_REFUSED_TYPES):
        raise rejected(value)


# --- the options object --------------------------------------------------------------------------


def options_object(
    options: Any, kwargs: Mapping[str, Any], what: str, known: frozenset[str]
) -> Mapping[str, Any]:
    """The JS options object of a binding call, refusing options the local runtime lacks.

    A positional dict is the object; otherwise the keyword arguments are (as Pyodide builds it:
    it passes kwargs as one trailing object). A positional object wins, since Pyodide would
    pass the kwargs as an extra argument the binding ignores. An option outside ``known`` is
    one this runtime does not implement (or a typo production would silently ignore): it fails
    loudly, naming the option, instead of being dropped.
    """
    if options is None:
        opts: Mapping[str, Any] = kwargs
    elif isinstance(options, Mapping):
        opts = options
    else:
        raise TypeError(f"{what} options must be an object (a dict or keyword arguments)")
    refuse_unknown(opts, what, known)
    return opts


def refuse_unknown(opts: Mapping[str, Any], what: str, known: frozenset[str]) -> None:
    """``NotImplementedError`` naming each key of ``opts`` outside ``known``."""
    unknown = sorted(str(k) for k in opts if k not in known)
    if unknown:
        raise NotImplementedError(
            f"{what}: option {', '.join(map(repr, unknown))} is not supported by grove-edge's "
            f"local runtime (supported: {', '.join(sorted(known)) or 'none'})"
        )


# --- String(value) -------------------------------------------------------------------------------


def js_number_string(value: float) -> str:
    """JS ``String(number)`` for a float (``1.0`` -> ``"1"``, ``1e21`` -> ``"1e+21"``)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"
    return text


def js_date_string(value: dt.datetime) -> str:
    """``Date.prototype.toString()`` in the isolate's zone (UTC on Workers)."""
    utc = ms_to_datetime(datetime_to_ms(value))
    return utc.strftime("%a %b %d %Y %H:%M:%S") + " GMT+0000 (Coordinated Universal Time)"


def js_string(value: Any) -> str:
    """JS ``String(value)`` of a value once it is in JS (as ``to_rpc`` leaves it)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return js_number_string(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return ",".join(str(b) for b in value)  # Uint8Array.prototype.toString
    if isinstance(value, list):
        return ",".join("" if v is None else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, set):
        return "[object Set]"
    if isinstance(value, dt.datetime):
        return js_date_string(value)
    if isinstance(value, WireError):
        return f"Error: {value.message}" if value.message else "Error"
    if isinstance(value, (Request, Response)):
        return f"[object {type(value).__name__}]"
    return "[object Object]"


def js_string_param(value: Any, what: str) -> str:
    """``String(value)`` for a JS string parameter given a primitive (numbers and booleans
    coerce). Production would store ``"null"`` or ``"[object Object]"`` for anything else;
    that is refused here instead."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return js_string(value)
    raise TypeError(f"{what} must be a string, got {type(value).__name__}")


# --- dates ---------------------------------------------------------------------------------------


def datetime_to_ms(value: dt.datetime) -> int:
    """The JS Date the SDK makes of a datetime (``Date.new(obj.timestamp() * 1000)``), in ms.

    A naive datetime is read in the isolate's time zone, which is UTC on Workers (not the
    local machine's zone).
    """
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return math.floor(aware.timestamp() * 1000)


def ms_to_datetime(ms: int | float) -> dt.datetime:
    """A JS Date as ``python_from_rpc`` hands it to Python: naive, in UTC (workerd's zone)."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).replace(tzinfo=None)


def js_date_json(value: dt.datetime) -> str:
    """``Date.prototype.toJSON()`` of the Date a datetime becomes (ISO 8601 in UTC, with ms)."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- JSON ----------------------------------------------------------------------------------------


def _json_number(text: str) -> int | float:
    return from_js_number(float(text))


def _reject_constant(name: str) -> Any:
    raise ValueError(f"SyntaxError: Unexpected token '{name[0]}', \"{name}\" is not valid JSON")


def js_json_loads(text: str) -> Any:
    """``JSON.parse`` as Python code sees it through the SDK: numbers as Pyodide converts
    them (``1.0`` -> ``1``), objects as ``JsDict``."""
    try:
        value = json.loads(
            text, parse_int=_json_number, parse_float=_json_number, parse_constant=_reject_constant
        )
    except json.JSONDecodeError as exc:
        raise ValueError(f"SyntaxError: {exc.msg} in JSON at position {exc.pos}") from None
    return to_js_dicts(value)


def _to_js_json(value: Any) -> Any:
    """What ``JSON.stringify`` sees after the SDK converted ``value`` to JS."""
    if value is None or isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None  # JSON.stringify(NaN) is "null"
        return from_js_number(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if isinstance(k, bool) or not isinstance(k, str | int):
                raise TypeError(f"object keys must be strings, got {type(k).__name__}")
            out[str(k)] = _to_js_json(v)
        return out
    if isinstance(value, list):
        return [_to_js_json(v) for v in value]
    refuse_unsendable(value)
    if isinstance(value, dt.datetime):
        return js_date_json(value)  # a Date serializes as its ISO string
    raise TypeError(
        f"{type(value).__name__} is not JSON-serializable metadata "
        "(production would send it through JSON.stringify as something else entirely)"
    )


def js_json_dumps(value: Any) -> str:
    """``JSON.stringify`` of a Python value after the SDK's conversion (compact, raw UTF-8)."""
    return json.dumps(_to_js_json(value), separators=(",", ":"), ensure_ascii=False)
