"""R2's conditional requests (``onlyIf``) and ranges, as an R2Conditional/R2Range dict or as
Headers: parsing with workerd's client-side checks, and evaluation with R2's rules (RFC 7232
section 6 precedence)."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_runtime.bindings.r2.errors import r2_error
from local_runtime.bindings.r2.values import date_ms, is_headers
from local_runtime.conversion import JsException
from local_runtime.js_values import refuse_unknown

# The fields of an R2Conditional and an R2Range object (workerd r2-bucket.h).
_CONDITIONAL_FIELDS = frozenset(
    {"etagMatches", "etagDoesNotMatch", "uploadedBefore", "uploadedAfter", "secondsGranularity"}
)
_RANGE_FIELDS = frozenset({"offset", "length", "suffix"})


@dataclass(frozen=True)
class _Etag:
    kind: str  # "strong", "weak" or "wildcard"
    value: str = ""


@dataclass(frozen=True)
class Conditional:
    etag_matches: tuple[_Etag, ...] | None
    etag_does_not_match: tuple[_Etag, ...] | None
    uploaded_before_ms: int | None
    uploaded_after_ms: int | None
    seconds_granularity: bool


def _single_etag(value: Any, field: str) -> tuple[_Etag, ...]:
    if not isinstance(value, str):
        raise TypeError(f"onlyIf.{field} must be a string, got {type(value).__name__}")
    if len(value) >= 2 and value.startswith('"') and value.endswith('"'):
        # workerd refuses quoted etags in the object form (Headers take them quoted), with a
        # JS TypeError: Python code sees a JsException, which `except TypeError` does not catch.
        raise JsException(
            f"Conditional ETag should not be wrapped in quotes ({value}).", name="TypeError"
        )
    return (_Etag("wildcard"),) if value == "*" else (_Etag("strong", value),)


def _header_etags(header: str) -> tuple[_Etag, ...]:
    """If-Match / If-None-Match: a comma-separated list of "x", W/"x" or *."""
    etags: list[_Etag] = []
    rest = header.strip()
    while rest:
        if rest.startswith(","):
            rest = rest[1:].strip()
            continue
        if rest.startswith("*"):
            return (_Etag("wildcard"),)
        kind = "strong"
        if rest.startswith("W/"):
            kind, rest = "weak", rest[2:]
        if not rest.startswith('"'):
            raise ValueError("Invalid conditional header")
        end = rest.find('"', 1)
        if end < 0:
            raise ValueError("Unclosed double quote for Etag")
        etags.append(_Etag(kind, rest[1:end]))
        rest = rest[end + 1 :].strip()
        if rest and not rest.startswith(","):
            raise ValueError("Comma was expected to separate etags.")
    return tuple(etags)


def conditional(value: Any) -> Conditional | None:
    if value is None:
        return None
    if is_headers(value):
        modified_since = value.get("if-modified-since")
        unmodified_since = value.get("if-unmodified-since")
        if_match = value.get("if-match")
        if_none_match = value.get("if-none-match")
        return Conditional(
            etag_matches=None if if_match is None else _header_etags(if_match),
            etag_does_not_match=None if if_none_match is None else _header_etags(if_none_match),
            uploaded_before_ms=None
            if unmodified_since is None
            else date_ms(
                email.utils.parsedate_to_datetime(unmodified_since), "If-Unmodified-Since"
            ),
            uploaded_after_ms=None
            if modified_since is None
            else date_ms(email.utils.parsedate_to_datetime(modified_since), "If-Modified-Since"),
            seconds_granularity=True,  # HTTP dates have second precision
        )
    if not isinstance(value, Mapping):
        raise TypeError("onlyIf must be an R2Conditional dict or a Headers object")
    refuse_unknown(value, "R2 onlyIf", _CONDITIONAL_FIELDS)
    matches = value.get("etagMatches")
    does_not_match = value.get("etagDoesNotMatch")
    before = value.get("uploadedBefore")
    after = value.get("uploadedAfter")
    return Conditional(
        etag_matches=None if matches is None else _single_etag(matches, "etagMatches"),
        etag_does_not_match=None
        if does_not_match is None
        else _single_etag(does_not_match, "etagDoesNotMatch"),
        uploaded_before_ms=None if before is None else date_ms(before, "onlyIf.uploadedBefore"),
        uploaded_after_ms=None if after is None else date_ms(after, "onlyIf.uploadedAfter"),
        seconds_granularity=bool(value.get("secondsGranularity", False)),
    )


def _etag_listed(etags: tuple[_Etag, ...], etag: str, weak_compare: bool) -> bool:
    for candidate in etags:
        if candidate.kind == "wildcard":
            return True
        if candidate.value == etag and (candidate.kind == "strong" or weak_compare):
            return True
    return False


def condition_holds(cond: Conditional, current: tuple[str, int] | None) -> bool:
    """RFC 7232 section 6 precedence, as R2 applies it. ``current`` is (etag, uploaded_ms)."""
    if current is None:
        # Nothing to match: only If-Match and If-Modified-Since can fail.
        return cond.etag_matches is None and cond.uploaded_after_ms is None
    etag, uploaded_ms = current

    def trunc(ms: int) -> int:
        return ms // 1000 * 1000 if cond.seconds_granularity else ms

    if_match = cond.etag_matches is None or _etag_listed(cond.etag_matches, etag, False)
    if_none_match = cond.etag_does_not_match is None or not _etag_listed(
        cond.etag_does_not_match, etag, True
    )
    last_modified = trunc(uploaded_ms)
    # A date condition is ignored when the matching etag condition is present and holds.
    modified_since = (
        cond.uploaded_after_ms is None
        or trunc(cond.uploaded_after_ms) < last_modified
        or (cond.etag_does_not_match is not None and if_none_match)
    )
    unmodified_since = (
        cond.uploaded_before_ms is None
        or last_modified < trunc(cond.uploaded_before_ms)
        or (cond.etag_matches is not None and if_match)
    )
    return if_match and if_none_match and modified_since and unmodified_since


@dataclass(frozen=True)
class RangeRequest:
    offset: int | None = None
    length: int | None = None
    suffix: int | None = None


def _whole(value: Any, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{message} must be a number, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{message} ({value}) must be greater than or equal to 0.")
    if float(value) != int(value):
        raise ValueError(f"{message} ({value}) must be an integer, not floating point.")
    return int(value)


def range_request(value: Any) -> RangeRequest | None:
    """Client-side checks, as workerd makes them before the request (RangeError -> ValueError)."""
    if value is None:
        return None
    if is_headers(value):
        header = value.get("range")
        return None if header is None else _parse_range_header(header)
    if not isinstance(value, Mapping):
        raise TypeError("range must be an R2Range dict or a Headers object")
    refuse_unknown(value, "R2 range", _RANGE_FIELDS)
    offset, length, suffix = value.get("offset"), value.get("length"), value.get("suffix")
    if suffix is not None:
        if offset is not None:
            raise TypeError("Suffix is incompatible with offset.")
        if length is not None:
            raise TypeError("Suffix is incompatible with length.")
        return RangeRequest(suffix=_whole(suffix, "Invalid suffix. Suffix"))
    return RangeRequest(
        offset=None if offset is None else _whole(offset, "Invalid range. Starting offset"),
        length=None if length is None else _whole(length, "Invalid range. Length"),
    )


def _parse_range_header(header: str) -> RangeRequest | None:
    """``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n``; anything else (or several ranges) means
    the whole object, as R2 answers it."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    start, dash, end = spec.strip().partition("-")
    if not dash:
        return None
    try:
        if start == "":
            return RangeRequest(suffix=int(end))
        first = int(start)
        if end == "":
            return RangeRequest(offset=first)
        last = int(end)
    except ValueError:
        return None
    if last < first:
        return None
    return RangeRequest(offset=first, length=last - first + 1)


def resolve_range(request: RangeRequest | None, size: int) -> tuple[int, int]:
    """(offset, length) actually served; R2's 416 when unsatisfiable."""
    if request is None:
        return 0, size
    offset, length = request.offset, request.length
    if request.suffix is not None:
        if request.suffix <= 0:
            raise r2_error("get", "The requested range is not satisfiable", 10039)
        length = min(request.suffix, size)
        offset = size - length
    if offset is None:
        offset = 0
    if length is None:
        length = size - offset
    if offset > size or length <= 0:
        raise r2_error("get", "The requested range is not satisfiable", 10039)
    return offset, min(length, size - offset)


