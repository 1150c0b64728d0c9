"""What R2 accepts from Python and hands back: keys, bodies, HTTP and custom metadata, checksums.

workerd ``r2-bucket.c++`` seen through the SDK's ``_BindingWrapper``: a JS Date becomes a naive
``datetime`` in UTC, an ArrayBuffer a ``memoryview``; the R2-side checks (key length, metadata
size, checksums) follow miniflare's R2 simulator. A field or option R2 does not have fails
loudly here (production's JSG structs drop unknown fields silently, hiding typos).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping
from typing import Any

from local_runtime.bindings.r2.errors import invalid_name
from local_runtime.js_values import (
    datetime_to_ms,
    js_string_param,
    ms_to_datetime,
    refuse_unknown,
    refuse_unsendable,
)
from local_runtime.sdk_types import JsDict

# R2 limits (docs "R2 limits"; miniflare's R2Limits agree).
MAX_KEY_BYTES = 1024
MAX_VALUE_BYTES = 5_368_709_120 - 5_242_880  # 5 GiB - 5 MiB for a single put
MAX_CUSTOM_METADATA_SIZE = 2048
MAX_LIST_LIMIT = 1000
# "If include is set, you may receive fewer than limit results": miniflare models it as 100.
LIST_LIMIT_WITH_INCLUDE = 100

STORAGE_CLASS = "Standard"
HTTP_METADATA_FIELDS = (
    "contentType",
    "contentLanguage",
    "contentDisposition",
    "contentEncoding",
    "cacheControl",
    "cacheExpiry",
)
# (option/checksum field, name in messages, hashlib name, digest size in bytes)
HASHES = (
    ("md5", "MD5", "md5", 16),
    ("sha1", "SHA-1", "sha1", 20),
    ("sha256", "SHA-256", "sha256", 32),
    ("sha384", "SHA-384", "sha384", 48),
    ("sha512", "SHA-512", "sha512", 64),
)


# The httpMetadata fields that travel as HTTP headers (writeHttpMetadata, put with Headers);
# cacheExpiry is the Expires header, a date.
HEADER_FIELDS = (
    ("contentType", "content-type"),
    ("contentLanguage", "content-language"),
    ("contentDisposition", "content-disposition"),
    ("contentEncoding", "content-encoding"),
    ("cacheControl", "cache-control"),
)


def date_ms(value: Any, what: str) -> int:
    """A datetime parameter as the JS Date the SDK makes of it (a naive value is UTC)."""
    if isinstance(value, dt.datetime):
        return datetime_to_ms(value)
    raise TypeError(f"{what} must be a datetime, got {type(value).__name__}")


def encode_body(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace")
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    refuse_unsendable(value)
    raise TypeError(
        "R2 put() accepts a string, bytes, a memoryview or None as the value "
        f"(got {type(value).__name__})"
    )


def is_headers(value: Any) -> bool:
    """A Fetch ``Headers`` (the local ``workers.Headers``); a dict is a JS object, not Headers."""
    return (
        not isinstance(value, Mapping)
        and callable(getattr(value, "get", None))
        and callable(getattr(value, "set", None))
    )


def http_metadata_in(value: Any) -> dict[str, Any]:
    """httpMetadata as given to put (an R2HTTPMetadata dict or Headers) -> stored form."""
    if value is None:
        return {}
    stored: dict[str, Any] = {}
    if is_headers(value):
        for field, header in HEADER_FIELDS:
            found = value.get(header)
            if found is not None:
                stored[field] = found
        expires = value.get("expires")
        if expires is not None:
            stored["cacheExpiry"] = date_ms(email.utils.parsedate_to_datetime(expires), "expires")
        return stored
    if not isinstance(value, Mapping):
        raise TypeError("httpMetadata must be an R2HTTPMetadata dict or a Headers object")
    refuse_unknown(value, "R2 httpMetadata", frozenset(HTTP_METADATA_FIELDS))
    for field in HTTP_METADATA_FIELDS:
        if value.get(field) is None:
            continue
        if field == "cacheExpiry":
            stored[field] = date_ms(value[field], "httpMetadata.cacheExpiry")
        else:
            stored[field] = js_string_param(value[field], f"httpMetadata.{field}")
    return stored


def http_metadata_out(stored: Mapping[str, Any]) -> JsDict:
    out = JsDict()
    for field in HTTP_METADATA_FIELDS:
        if field in stored:
            out[field] = ms_to_datetime(stored[field]) if field == "cacheExpiry" else stored[field]
    return out


def custom_metadata_in(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError("customMetadata must be a dict of strings")
    return {
        js_string_param(k, "customMetadata key"): js_string_param(v, f"customMetadata[{k!r}]")
        for k, v in value.items()
    }


def js_length(text: str) -> int:
    # R2 counts JS string length (UTF-16 units), doubled when any unit is outside Latin-1.
    units = len(text.encode("utf-16-le")) // 2
    return units * 2 if any(ord(c) >= 256 for c in text) else units



def check_key(action: str, key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"R2 key must be a string, got {type(key).__name__}")
    if len(key.encode("utf-8", errors="replace")) > MAX_KEY_BYTES:
        raise invalid_name(action)
    return key


def expected_hashes(opts: Mapping[str, Any]) -> dict[str, bytes]:
    """The md5/sha* put options, checked as workerd checks them (one algorithm at most)."""
    expected: dict[str, bytes] = {}
    for field, label, _, size in HASHES:
        given = opts.get(field)
        if given is None:
            continue
        if expected:
            raise TypeError("You cannot specify multiple hashing algorithms.")
        if isinstance(given, str):
            if len(given) != size * 2:
                raise TypeError(f"{label} is {size * 2} hex characters, not {len(given)}")
            try:
                expected[field] = bytes.fromhex(given)
            except ValueError:
                raise TypeError(f"Provided {label} wasn't a valid hex string") from None
        elif isinstance(given, bytes | memoryview):
            if len(given) != size:
                raise TypeError(f"{label} is {size} bytes, not {len(given)}")
            expected[field] = bytes(given)
        else:
            raise TypeError(f"{field} must be a hex string or bytes")
    return expected

