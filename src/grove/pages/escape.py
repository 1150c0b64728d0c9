"""Escaping text for HTML: the one function every page uses for text and attribute values.

Identical to ``html.escape(text, quote=True)`` (``&``, ``<``, ``>``, ``"`` and ``'``;
``tests/grove/test_escape.py`` compares them). Not imported from the stdlib because ``import
html`` loads ``html.entities``, a 2,231-entry table that only ``html.unescape`` needs: about
70 ms of every cold isolate's import under Pyodide (``bench/pyodide_import.py --profile``).
"""

from __future__ import annotations

_HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape(text: str) -> str:
    """``text`` safe inside an element or a quoted attribute value."""
    return text.translate(_HTML_ESCAPES)
