"""Ids the app mints: posts, analytics events. One rule: 128 random bits as 32 lowercase hex.

Random, not counters: an id stays unique even if a Durable Object's storage is reset, and
nothing can be learned from it. ``os.urandom`` rather than ``uuid.uuid4().hex`` (the same 32 hex
characters, less the fixed version nibble): importing ``uuid`` was a measurable share of the
app's import time under Pyodide (``bench/pyodide_import.py``), and nothing reads these as UUIDs.
Drawn inside handlers only: workerd refuses entropy at import time (PLATFORM.md).
"""

from __future__ import annotations

import os

ID_BYTES = 16


def new_id() -> str:
    return os.urandom(ID_BYTES).hex()
