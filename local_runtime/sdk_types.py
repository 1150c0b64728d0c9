"""Value types that production's SDK conversion produces, reproduced for CPython.

In production, a JS object returned by a binding reaches Python as ``workers.rpc.JsDict``: a
dict that also allows attribute access. Local bindings return the same so that code written
against one works against the other.
"""

from __future__ import annotations

from typing import Any


class JsDict(dict):
    """A dict whose keys can also be read as attributes (``row.title``), like the SDK's."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


def to_js_dicts(value: Any) -> Any:
    """Recursively turn plain dicts into ``JsDict`` (what crossing the JS boundary yields)."""
    if isinstance(value, dict):
        return JsDict({k: to_js_dicts(v) for k, v in value.items()})
    if isinstance(value, list):
        return [to_js_dicts(v) for v in value]
    return value
