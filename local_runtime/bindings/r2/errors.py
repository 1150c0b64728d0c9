"""R2's errors as Python code sees them: ``"<action>: <message> (<code>)"`` (workerd
``r2-bucket.c++``; codes as miniflare's R2 simulator gives them)."""

from __future__ import annotations


class R2Error(Exception):
    """A failed R2 operation, worded like production's ``"get: <message> (<code>)"``."""


def r2_error(action: str, message: str, code: int) -> R2Error:
    return R2Error(f"{action}: {message} ({code})")


def invalid_name(action: str) -> R2Error:
    return r2_error(action, "The specified object name is not valid.", 10020)


def internal_error(action: str) -> R2Error:
    return r2_error(action, "We encountered an internal error. Please try again.", 10001)

