"""Whether the Cache API stores a response, and for how long (Cloudflare docs "Cache" and "How
the cache works", workerd ``api/cache.c++``; the rules are listed in ``local_runtime.bindings.cache``)."""

from __future__ import annotations

import email.utils

from workers.host import headers as headers_of

from workers import Request, Response

# Cloudflare "Cache by status code": the Edge TTL used when neither Cache-Control freshness nor
# Expires is present. Statuses not listed are not cached by default. (206 is in Cloudflare's
# list too, but cache.put rejects 206 before this table is consulted.)
DEFAULT_EDGE_TTL_S: dict[int, int] = {
    200: 120 * 60,
    206: 120 * 60,
    301: 120 * 60,
    302: 20 * 60,
    303: 20 * 60,
    404: 3 * 60,
    410: 3 * 60,
}

# Cloudflare's per-object cache limit on Free/Pro/Business plans ("Cache by status code",
# "Caching limits"); a larger put is answered 413 by the cache and silently not stored.
MAX_OBJECT_BYTES = 512 * 1024 * 1024



# --- Cache-Control ------------------------------------------------------------------------


def parse_cache_control(value: str | None) -> dict[str, str | None]:
    """Directives of a Cache-Control value: lower-cased names, unquoted values, first wins."""
    directives: dict[str, str | None] = {}
    if not value:
        return directives
    for item in _split_outside_quotes(value):
        item = item.strip()
        if not item:
            continue
        name, sep, raw = item.partition("=")
        name = name.strip().lower()
        arg: str | None = None
        if sep:
            arg = raw.strip()
            if len(arg) >= 2 and arg[0] == '"' and arg[-1] == '"':
                arg = arg[1:-1].replace('\\"', '"')
        directives.setdefault(name, arg)
    return directives


def _split_outside_quotes(value: str) -> list[str]:
    # `private="set-cookie, x-user"` holds a comma inside quotes: it is one directive.
    items: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def _field_names(arg: str | None) -> set[str]:
    return {name.strip().lower() for name in (arg or "").split(",") if name.strip()}


def _delta_seconds(arg: str | None) -> int:
    # RFC 9111 4.2.1: an invalid max-age makes the response stale.
    try:
        return int(arg) if arg is not None else 0
    except ValueError:
        return 0


def http_date_ms(value: str | None) -> int | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return int(parsed.timestamp() * 1000)


def _freshness_ttl_s(
    status: int, headers: list[tuple[str, str]], cc: dict[str, str | None], now_ms: int
) -> int | None:
    """Seconds the response stays fresh, or None for "not stored"."""
    if "s-maxage" in cc:
        lifetime_s = _delta_seconds(cc["s-maxage"])
    elif "max-age" in cc:
        lifetime_s = _delta_seconds(cc["max-age"])
    elif (expires := first_header(headers, "expires")) is not None:
        expires_ms = http_date_ms(expires)
        if expires_ms is None:
            return None  # an invalid Expires (e.g. "0") means "already expired"
        date_ms = http_date_ms(first_header(headers, "date"))
        lifetime_s = (expires_ms - (date_ms if date_ms is not None else now_ms)) // 1000
    else:
        default_s = DEFAULT_EDGE_TTL_S.get(status)
        if default_s is None:
            return None
        lifetime_s = default_s
    # An Age the response already carries has used up that much of its lifetime.
    age = first_header(headers, "age")
    age_s = _delta_seconds(age) if age is not None else 0
    ttl_s = lifetime_s - max(age_s, 0)
    return ttl_s if ttl_s > 0 else None


def first_header(headers: list[tuple[str, str]], name: str) -> str | None:
    values = [v for k, v in headers if k == name]
    return ", ".join(values) if values else None


def storage_decision(
    request: Request, response: Response, body: bytes | None, now_ms: int
) -> tuple[list[tuple[str, str]], int] | None:
    """(headers to store, ttl in seconds), or None when production's cache would not store."""
    headers = headers_of(response).raw_items()
    cc = parse_cache_control(first_header(headers, "cache-control"))
    if "no-store" in cc:
        return None
    if "private" in cc:
        names = _field_names(cc["private"])
        if not names:
            return None
        # `private=<headers>`: the response is stored without those headers.
        headers = [(k, v) for k, v in headers if k not in names]
    if "no-cache" in cc:
        names = _field_names(cc["no-cache"])
        # Plain no-cache means "revalidate every time", which cache.match never does.
        if not names or any(k in names for k, _ in headers):
            return None
    if any(k == "set-cookie" for k, _ in headers):
        return None
    if headers_of(request).has("authorization") and not (
        "public" in cc or "s-maxage" in cc or "must-revalidate" in cc
    ):
        return None
    if body is not None and len(body) > MAX_OBJECT_BYTES:
        return None
    ttl_s = _freshness_ttl_s(response.status, headers, cc, now_ms)
    if ttl_s is None:
        return None
    if body is not None:
        # The cache receives the response serialised with its length; a hit carries it back.
        headers = [(k, v) for k, v in headers if k != "content-length"]
        headers.append(("content-length", str(len(body))))
    return headers, ttl_s


