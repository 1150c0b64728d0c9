"""Building responses: JSON bodies, error bodies and the headers every response carries."""

from __future__ import annotations

import json
from typing import Any

from grove.errors import HttpError
from grove.platform import Response

NO_STORE = "private, no-store"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged = {"content-type": "application/json; charset=utf-8", "cache-control": NO_STORE}
    merged.update(headers or {})
    return Response(json.dumps(data, separators=(",", ":")), status=status, headers=merged)


def error_response(error: HttpError) -> Response:
    # Errors are never cached: a 404 today may be a post tomorrow.
    return json_response(error.body(), status=error.status)
