"""What every fuzzed response must satisfy, shared by the schemathesis run and the hostile
generators: the one error shape, and no 5xx."""

from __future__ import annotations

import json

from grove.models import ErrorBody

# Who calls: no token, the owner of the tenant the Host names, a reader of it, and the owner
# of another tenant (tokens in the ``tokens`` fixture).
CALLERS = ("anonymous", "owner", "reader", "other_owner")


def error_shape_problem(content_type: str, body: bytes) -> str | None:
    """None when ``body`` is the JSON error shape; else what is wrong with it."""
    if not content_type.startswith("application/json"):
        return f"content-type {content_type!r}, not the JSON error shape"
    try:
        ErrorBody.model_validate(json.loads(body))
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError
        return f"not the error shape: {exc}: {body[:200]!r}"
    return None


def reply_problem(status: int, content_type: str, body: bytes) -> str | None:
    """A 5xx, or a 4xx that is not the error shape (clients here never prefer HTML)."""
    if status >= 500:
        return f"{status}: {body[:300]!r}"
    if status >= 400:
        return error_shape_problem(content_type, body)
    return None
