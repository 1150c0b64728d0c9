"""The one way the app reads JSON it did not write: request bodies and token headers/claims.

Limits, checked before or while parsing so hostile text can never raise past this module:

- nesting deeper than ``MAX_DEPTH`` is refused before ``json.loads`` runs (a few thousand
  levels make the parser, and later pydantic, raise ``RecursionError``; under Pyodide deep
  recursion can exhaust the WebAssembly stack instead);
- numbers follow I-JSON (RFC 7493 §2.2): an integer outside ±(2**53 - 1) cannot be exchanged
  exactly with JavaScript (Pyodide hands such a value to D1 as a BigInt) and is refused, which
  also keeps CPython's 4,300-digit ``int()`` limit (CVE-2020-10735) out of reach; a float must
  be finite;
- ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON (RFC 8259 §6) and are refused, although
  Python's parser accepts them;
- a string with an unpaired surrogate escape (``"\\ud800"``) is refused (I-JSON §2.1): it
  cannot be encoded as UTF-8, so D1, KV and the response encoder would all fail on it.
"""

from __future__ import annotations

import json
import math
import re

MAX_DEPTH = 64
MAX_SAFE_INTEGER = 2**53 - 1  # Number.MAX_SAFE_INTEGER
# Digits a number may have before it is even converted: no in-range number needs more (an
# integer has at most 16, a float's exponent form stays short) and conversion stays cheap.
MAX_NUMBER_CHARS = 40

# A JSON string token (quotes and escapes), so its brackets are not counted as nesting.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonRefused(ValueError):
    """Text that is not JSON this app accepts; ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _check_depth(text: str) -> None:
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise JsonRefused("json_too_deep", f"JSON nested deeper than {MAX_DEPTH} levels.")
        else:
            depth -= 1


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS or abs(value := int(text)) > MAX_SAFE_INTEGER:
        raise JsonRefused(
            "number_out_of_range", f"Integers must be within ±{MAX_SAFE_INTEGER} (RFC 7493 I-JSON)."
        )
    return value


def _float(text: str) -> float:
    value = float(text) if len(text) <= MAX_NUMBER_CHARS else math.inf
    if not math.isfinite(value):
        raise JsonRefused("number_out_of_range", "Numbers must be finite IEEE 754 doubles (RFC 7493 I-JSON).")
    return value


def _constant(name: str) -> object:
    raise JsonRefused("malformed_json", f"{name} is not a JSON value (RFC 8259 §6).")


def loads(data: bytes | str) -> object:
    """Parse JSON text within the limits; ``JsonRefused`` for anything else."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise JsonRefused("malformed_json", "JSON text must be UTF-8 (RFC 8259 §8.1).") from None
    _check_depth(text)
    try:
        value: object = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except JsonRefused:
        raise
    except json.JSONDecodeError as exc:
        raise JsonRefused("malformed_json", f"Not valid JSON: {exc}") from None
    try:
        # Serialising (in C) is the cheapest complete walk over every string and key.
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise JsonRefused("malformed_json", "JSON strings must not hold unpaired surrogates (RFC 7493 §2.1).") from None
    return value
