"""Building responses (JSON bodies, HTML pages, error bodies) and reading a request's Host and
query parameters."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from grove.cache_policy import PRIVATE_NO_STORE
from grove.errors import HttpError, validation_error
from grove.numbers import parse_bounded_int
from grove.platform import Request, Response

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"


def json_body(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(data: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged = {"content-type": JSON_TYPE, "cache-control": PRIVATE_NO_STORE}
    merged.update(headers or {})
    return Response(json_body(data), status=status, headers=merged)


def html_response(html: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    merged = {"content-type": HTML_TYPE, "cache-control": PRIVATE_NO_STORE}
    merged.update(headers or {})
    return Response(html.encode("utf-8"), status=status, headers=merged)


def with_cookies(body: bytes | None, status: int, headers: dict[str, str], cookies: list[str]) -> Response:
    """A response that sets several cookies: one ``Set-Cookie`` field each (RFC 6265 §3 forbids
    folding them into one), so the headers go as a list of pairs."""
    pairs = list(headers.items()) + [("set-cookie", cookie) for cookie in cookies]
    return Response(body, status=status, headers=pairs)


def error_response(error: HttpError) -> Response:
    # Errors are never cached: a 404 today may be a post tomorrow.
    headers = {"www-authenticate": "Bearer"} if error.status == 401 else {}
    return json_response(error.body(), status=error.status, headers={**headers, **error.headers})


def request_host(request: Request) -> str:
    """The host (with port) the request was sent to: the tenant is its first label."""
    return urlsplit(request.url).netloc.lower()


def query_value(request: Request, name: str) -> str | None:
    """The first value of query parameter ``name``, or None."""
    values = parse_qs(urlsplit(request.url).query).get(name)
    return values[0] if values else None


def query_int(request: Request, name: str, minimum: int, maximum: int) -> int | None:
    """Query parameter ``name`` as a whole number within bounds (``grove.numbers``); None when
    absent, 422 naming the parameter for anything else."""
    raw = query_value(request, name)
    if raw is None:
        return None
    value = parse_bounded_int(raw, minimum, maximum)
    if value is None:
        raise validation_error(name, f"{name}: a whole number from {minimum} to {maximum}")
    return value
