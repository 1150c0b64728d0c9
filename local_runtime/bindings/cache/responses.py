"""What ``cache.match`` answers for a stored entry: the hit itself, a 304 for a conditional
request, a 206 (one range or ``multipart/byteranges``) or a 416 for a ``Range`` request."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from workers.host import headers as headers_of

from local_runtime.bindings.cache.policy import first_header, http_date_ms
from workers import Request, Response


@dataclass(frozen=True)
class StoredEntry:
    status: int
    status_text: str
    headers: list[tuple[str, str]]
    body: bytes | None



# --- match responses ----------------------------------------------------------------------


def match_response(request: Request | None, entry: StoredEntry, cache_key: str) -> Response:
    """The answer to ``match`` for ``entry``; ``request`` None is a plain GET of the URL (no
    conditional or range headers)."""
    headers = [(k, v) for k, v in entry.headers if k != "cf-cache-status"]
    headers.append(("cf-cache-status", "HIT"))
    if request is None:
        return Response(entry.body, status=entry.status, status_text=entry.status_text, headers=headers)
    if _not_modified(request, entry.headers):
        return Response(None, status=304, headers=headers)
    range_header = headers_of(request).get("range")
    body = entry.body
    if range_header is not None and body is not None and entry.status == 200:
        ranges = _parse_ranges(range_header, len(body))
        if ranges == []:
            unsatisfiable = [(k, v) for k, v in headers if k != "content-length"]
            unsatisfiable.append(("content-range", f"bytes */{len(body)}"))
            return Response(None, status=416, headers=unsatisfiable)
        if ranges is not None:
            return _partial_response(body, ranges, headers, cache_key)
    return Response(body, status=entry.status, status_text=entry.status_text, headers=headers)


def _not_modified(request: Request, stored: list[tuple[str, str]]) -> bool:
    if_none_match = headers_of(request).get("if-none-match")
    etag = first_header(stored, "etag")
    if if_none_match is not None:
        # RFC 9110 13.1.2: weak comparison; If-Modified-Since is ignored when this is present.
        if etag is None:
            return False
        if if_none_match.strip() == "*":
            return True
        stored_tag = _opaque_tag(etag)
        return any(_opaque_tag(candidate) == stored_tag for candidate in if_none_match.split(","))
    if_modified_since_ms = http_date_ms(headers_of(request).get("if-modified-since"))
    last_modified_ms = http_date_ms(first_header(stored, "last-modified"))
    if if_modified_since_ms is None or last_modified_ms is None:
        return False
    return last_modified_ms <= if_modified_since_ms


def _opaque_tag(value: str) -> str:
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip()


def _parse_ranges(header: str, size: int) -> list[tuple[int, int]] | None:
    """Inclusive byte ranges; None when the header is not a usable `bytes=` range (serve 200),
    [] when none of the ranges can be satisfied (416)."""
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    ranges: list[tuple[int, int]] = []
    for part in spec.split(","):
        first, dash, last = part.strip().partition("-")
        if not dash:
            return None
        first, last = first.strip(), last.strip()
        if first == "":
            if not last.isdigit():
                return None
            suffix = int(last)
            if suffix == 0:
                continue
            ranges.append((max(size - suffix, 0), size - 1))
            continue
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        start = int(first)
        if last and int(last) < start:
            return None  # syntactically invalid: the whole header is ignored
        if start >= size:
            continue  # unsatisfiable on its own
        end = int(last) if last else size - 1
        ranges.append((start, min(end, size - 1)))
    return ranges if size > 0 else []


def _partial_response(
    body: bytes, ranges: list[tuple[int, int]], headers: list[tuple[str, str]], cache_key: str
) -> Response:
    size = len(body)
    base = [(k, v) for k, v in headers if k not in ("content-length", "content-range")]
    if len(ranges) == 1:
        start, end = ranges[0]
        base.append(("content-range", f"bytes {start}-{end}/{size}"))
        base.append(("content-length", str(end - start + 1)))
        return Response(body[start : end + 1], status=206, headers=base)
    content_type = first_header(headers, "content-type")
    # Deterministic boundary: the same request for the same entry gives the same bytes.
    boundary = hashlib.sha1(f"{cache_key}|{ranges}".encode()).hexdigest()[:24]
    chunks: list[bytes] = []
    for start, end in ranges:
        part_headers = ""
        if content_type is not None:
            part_headers += f"Content-Type: {content_type}\r\n"
        part_headers += f"Content-Range: bytes {start}-{end}/{size}\r\n"
        chunks.append(
            f"--{boundary}\r\n{part_headers}\r\n".encode() + body[start : end + 1] + b"\r\n"
        )
    chunks.append(f"--{boundary}--".encode())
    multipart = b"".join(chunks)
    base = [(k, v) for k, v in base if k != "content-type"]
    base.append(("content-type", f"multipart/byteranges; boundary={boundary}"))
    base.append(("content-length", str(len(multipart))))
    return Response(multipart, status=206, headers=base)
