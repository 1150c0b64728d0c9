"""Opaque list cursors shared by KV and R2: the last key returned, base64url-encoded."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable


def encode_cursor(last_key: str) -> str:
    return base64.urlsafe_b64encode(last_key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str, invalid: Callable[[], Exception]) -> str:
    """The key a cursor stands for; ``invalid()`` (the binding's own error) is raised when it
    is not one of ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid() from None
