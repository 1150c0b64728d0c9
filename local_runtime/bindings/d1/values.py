"""D1's value rules: what a bind() argument becomes, and what a column value becomes for Python.

Parameters reach D1 as JSON (workerd ``d1-api.ts`` ``JSON.stringify``) after Pyodide and the
SDK converted them; results come back as JSON and through ``python_from_rpc``. Verified on
miniflare (workerd's SQLite, the stack D1 runs on).
"""

from __future__ import annotations

import math
from typing import Any

from local_runtime.bindings.d1.errors import D1TypeError
from local_runtime.js_values import becomes_bigint, js_string, refuse_unsendable, through_js_number

# A value D1 can bind once it has crossed into JS: null, number, string, or a byte array (blob).
# Parameters from bind() are always floats (JS numbers); the runtime's own queries may use ints.
SqlValue = None | int | float | str | bytes


def _type_error(js_type: str, value: Any) -> D1TypeError:
    detail = f"Type '{js_type}' not supported for value '{js_string(value)}'"
    return D1TypeError(f"D1_TYPE_ERROR: {detail}", detail=detail)


def _number_for_js(value: float) -> SqlValue:
    # Parameters reach D1 as JSON: NaN/Infinity serialise as null and -0 as 0. D1 parses the
    # JSON back into JS numbers and binds each one as a double (REAL), whatever its value:
    # 2.0, 42 and true are all stored with typeof 'real'.
    if not math.isfinite(value):
        return None
    return value if value != 0 else 0.0


def to_d1_param(value: Any) -> SqlValue:
    """Convert one bind() argument the way Pyodide + the SDK + d1-api.ts bind() + D1 do.

    Every number is bound as a REAL: ``42`` is stored as 42.0 (``typeof`` 'real'; into a TEXT
    column it reads back ``'42.0'``), ``True`` as 1.0. An INTEGER column's affinity still turns
    such a value back into an integer.
    """
    refuse_unsendable(value)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int subclass
        return 1.0 if value else 0.0  # JS true/false: bind() turns them into the numbers 1/0
    if isinstance(value, int):
        if becomes_bigint(value):  # Pyodide makes it a BigInt, which bind() refuses
            raise _type_error("bigint", value)
        return float(value)
    if isinstance(value, float):
        return _number_for_js(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value)  # becomes a Uint8Array, which bind() turns into a blob
    if isinstance(value, list):
        # bind() accepts a JS array of numbers in [0, 256) as a blob.
        if all(
            isinstance(b, (int, float)) and not isinstance(b, bool) and 0 <= b < 256 for b in value
        ):
            return bytes(int(b) for b in value)
        raise _type_error("object", value)
    raise _type_error("object", value)


def from_sqlite(value: Any) -> Any:
    """A column value as production's Python code receives it (via JSON and Pyodide)."""
    if isinstance(value, bytes):
        # D1 returns blobs as arrays of byte values; the SDK turns the array into a list.
        return list(value)
    # D1 returns an INTEGER as a JS number (a double), and Pyodide makes an integral safe
    # number an int: REAL 2.0 -> 2, 2**53 + 1 -> 9007199254740992.0.
    return through_js_number(value)
