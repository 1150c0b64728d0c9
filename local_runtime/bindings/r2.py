"""R2 for the local runtime: object bodies as files, metadata in SQLite, production's call shapes.

Layout under the state dir: ``r2/<bucket>/meta.sqlite3`` holds one row per object and
``r2/<bucket>/objects/<sha256(key)>-<version>`` its body. A put writes the body to a temp
file, fsyncs and renames it, and only then commits the row (checking ``onlyIf`` in the same
transaction), so a crash can leave an orphan file but never a row pointing at a partial body;
the previous version's file is removed after the commit.

What Python code sees follows workerd's ``r2-bucket.c++`` seen through the SDK's
``_BindingWrapper``: ``R2Object`` attributes keep their JS names, JS objects become ``JsDict``,
a JS Date becomes a naive ``datetime`` in UTC (``python_from_rpc`` calls
``datetime.fromtimestamp`` and workerd runs in UTC), an ArrayBuffer becomes a ``memoryview``.
Errors read like production's ``"put: <message> (<code>)"``; the R2-side checks (key length,
limits, conditions, ranges) follow miniflare's R2 simulator.

Known differences: bodies are read eagerly (``body`` is ``bytes``, not a ReadableStream);
``blob()``, multipart uploads and SSE-C are not provided; objects in ``list()`` results are
the same ``R2Object`` as ``head()`` returns, whereas production hands them over unwrapped (a
JsProxy whose ``uploaded`` is a JS Date): rely only on key/size/etag/httpEtag/version there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import hashlib
import json
import os
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local_runtime.bindings.cursors import decode_cursor, encode_cursor
from local_runtime.bindings.kv import js_json_loads
from local_runtime.conversion import JsException
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices

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
_HASHES = (
    ("md5", "MD5", "md5", 16),
    ("sha1", "SHA-1", "sha1", 20),
    ("sha256", "SHA-256", "sha256", 32),
    ("sha384", "SHA-384", "sha384", 48),
    ("sha512", "SHA-512", "sha512", 64),
)

_BODY_USED = (
    "Body has already been used. It can only be used once. Use tee() first if you need to read "
    "it twice."
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    key TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,            -- md5 hex of the body, as R2 does for single-part uploads
    version TEXT NOT NULL,         -- uuid hex
    uploaded_ms INTEGER NOT NULL,
    http_metadata TEXT NOT NULL,   -- JSON; cacheExpiry in ms
    custom_metadata TEXT NOT NULL, -- JSON object of strings
    checksums TEXT NOT NULL,       -- JSON {"md5": hex, ...}
    storage_class TEXT NOT NULL,
    body_file TEXT NOT NULL        -- file name under objects/
) WITHOUT ROWID
"""
_COLUMNS = (
    "key, size, etag, version, uploaded_ms, http_metadata, custom_metadata, checksums, "
    "storage_class, body_file"
)


class R2Error(Exception):
    """A failed R2 operation, worded like production's ``"get: <message> (<code>)"``."""


def _r2_error(action: str, message: str, code: int) -> R2Error:
    return R2Error(f"{action}: {message} ({code})")


def _invalid_name(action: str) -> R2Error:
    return _r2_error(action, "The specified object name is not valid.", 10020)


def _internal(action: str) -> R2Error:
    return _r2_error(action, "We encountered an internal error. Please try again.", 10001)


# --- value conversion ------------------------------------------------------------------------


def _utc_datetime(ms: int) -> dt.datetime:
    """A JS Date as the SDK hands it to Python: naive, in UTC (workerd's time zone)."""
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).replace(tzinfo=None)


def _date_ms(value: Any, what: str) -> int:
    if isinstance(value, dt.datetime):
        # The SDK sends datetime.timestamp(); a naive value is read in workerd's zone, UTC.
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(aware.timestamp() * 1000)
    raise TypeError(f"{what} must be a datetime, got {type(value).__name__}")


def _js_string(value: Any, what: str) -> str:
    """String() of a value that reaches a JS string parameter (numbers and booleans coerce)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    # Production would store String(None) == "null" or "[object Object]": refuse instead.
    raise TypeError(f"{what} must be a string, got {type(value).__name__}")


def _encode_body(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace")
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    if isinstance(value, bytearray | tuple):
        raise TypeError(f"{type(value)} cannot be sent over RPC.")
    raise TypeError(
        "R2 put() accepts a string, bytes, a memoryview or None as the value "
        f"(got {type(value).__name__})"
    )


def _is_headers(value: Any) -> bool:
    """A Fetch ``Headers`` (the local ``workers.Headers``); a dict is a JS object, not Headers."""
    return (
        not isinstance(value, Mapping)
        and callable(getattr(value, "get", None))
        and callable(getattr(value, "set", None))
    )


def _options(options: Any, kwargs: dict[str, Any], what: str) -> Mapping[str, Any]:
    if options is None:
        return kwargs
    if isinstance(options, Mapping):
        return options
    raise TypeError(f"{what} options must be an object (a dict or keyword arguments)")


def _http_metadata_in(value: Any) -> dict[str, Any]:
    """httpMetadata as given to put (an R2HTTPMetadata dict or Headers) -> stored form."""
    if value is None:
        return {}
    stored: dict[str, Any] = {}
    if _is_headers(value):
        for field, header in (
            ("contentType", "content-type"),
            ("contentLanguage", "content-language"),
            ("contentDisposition", "content-disposition"),
            ("contentEncoding", "content-encoding"),
            ("cacheControl", "cache-control"),
        ):
            found = value.get(header)
            if found is not None:
                stored[field] = found
        expires = value.get("expires")
        if expires is not None:
            stored["cacheExpiry"] = _date_ms(email.utils.parsedate_to_datetime(expires), "expires")
        return stored
    if not isinstance(value, Mapping):
        raise TypeError("httpMetadata must be an R2HTTPMetadata dict or a Headers object")
    for field in HTTP_METADATA_FIELDS:  # unknown fields are dropped, as by JSG structs
        if value.get(field) is None:
            continue
        if field == "cacheExpiry":
            stored[field] = _date_ms(value[field], "httpMetadata.cacheExpiry")
        else:
            stored[field] = _js_string(value[field], f"httpMetadata.{field}")
    return stored


def _http_metadata_out(stored: Mapping[str, Any]) -> JsDict:
    out = JsDict()
    for field in HTTP_METADATA_FIELDS:
        if field in stored:
            out[field] = _utc_datetime(stored[field]) if field == "cacheExpiry" else stored[field]
    return out


def _custom_metadata_in(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError("customMetadata must be a dict of strings")
    return {
        _js_string(k, "customMetadata key"): _js_string(v, f"customMetadata[{k!r}]")
        for k, v in value.items()
    }


def _js_length(text: str) -> int:
    # R2 counts JS string length (UTF-16 units), doubled when any unit is outside Latin-1.
    units = len(text.encode("utf-16-le")) // 2
    return units * 2 if any(ord(c) >= 256 for c in text) else units


# --- conditions and ranges -------------------------------------------------------------------


@dataclass(frozen=True)
class _Etag:
    kind: str  # "strong", "weak" or "wildcard"
    value: str = ""


@dataclass(frozen=True)
class _Conditional:
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


def _conditional(value: Any) -> _Conditional | None:
    if value is None:
        return None
    if _is_headers(value):
        modified_since = value.get("if-modified-since")
        unmodified_since = value.get("if-unmodified-since")
        if_match = value.get("if-match")
        if_none_match = value.get("if-none-match")
        return _Conditional(
            etag_matches=None if if_match is None else _header_etags(if_match),
            etag_does_not_match=None if if_none_match is None else _header_etags(if_none_match),
            uploaded_before_ms=None
            if unmodified_since is None
            else _date_ms(
                email.utils.parsedate_to_datetime(unmodified_since), "If-Unmodified-Since"
            ),
            uploaded_after_ms=None
            if modified_since is None
            else _date_ms(email.utils.parsedate_to_datetime(modified_since), "If-Modified-Since"),
            seconds_granularity=True,  # HTTP dates have second precision
        )
    if not isinstance(value, Mapping):
        raise TypeError("onlyIf must be an R2Conditional dict or a Headers object")
    matches = value.get("etagMatches")
    does_not_match = value.get("etagDoesNotMatch")
    before = value.get("uploadedBefore")
    after = value.get("uploadedAfter")
    return _Conditional(
        etag_matches=None if matches is None else _single_etag(matches, "etagMatches"),
        etag_does_not_match=None
        if does_not_match is None
        else _single_etag(does_not_match, "etagDoesNotMatch"),
        uploaded_before_ms=None if before is None else _date_ms(before, "onlyIf.uploadedBefore"),
        uploaded_after_ms=None if after is None else _date_ms(after, "onlyIf.uploadedAfter"),
        seconds_granularity=bool(value.get("secondsGranularity", False)),
    )


def _etag_listed(etags: tuple[_Etag, ...], etag: str, weak_compare: bool) -> bool:
    for candidate in etags:
        if candidate.kind == "wildcard":
            return True
        if candidate.value == etag and (candidate.kind == "strong" or weak_compare):
            return True
    return False


def _condition_holds(cond: _Conditional, current: tuple[str, int] | None) -> bool:
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
class _RangeRequest:
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


def _range_request(value: Any) -> _RangeRequest | None:
    """Client-side checks, as workerd makes them before the request (RangeError -> ValueError)."""
    if value is None:
        return None
    if _is_headers(value):
        header = value.get("range")
        return None if header is None else _parse_range_header(header)
    if not isinstance(value, Mapping):
        raise TypeError("range must be an R2Range dict or a Headers object")
    offset, length, suffix = value.get("offset"), value.get("length"), value.get("suffix")
    if suffix is not None:
        if offset is not None:
            raise TypeError("Suffix is incompatible with offset.")
        if length is not None:
            raise TypeError("Suffix is incompatible with length.")
        return _RangeRequest(suffix=_whole(suffix, "Invalid suffix. Suffix"))
    return _RangeRequest(
        offset=None if offset is None else _whole(offset, "Invalid range. Starting offset"),
        length=None if length is None else _whole(length, "Invalid range. Length"),
    )


def _parse_range_header(header: str) -> _RangeRequest | None:
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
            return _RangeRequest(suffix=int(end))
        first = int(start)
        if end == "":
            return _RangeRequest(offset=first)
        last = int(end)
    except ValueError:
        return None
    if last < first:
        return None
    return _RangeRequest(offset=first, length=last - first + 1)


def _resolve_range(request: _RangeRequest | None, size: int) -> tuple[int, int]:
    """(offset, length) actually served; R2's 416 when unsatisfiable."""
    if request is None:
        return 0, size
    offset, length = request.offset, request.length
    if request.suffix is not None:
        if request.suffix <= 0:
            raise _r2_error("get", "The requested range is not satisfiable", 10039)
        length = min(request.suffix, size)
        offset = size - length
    if offset is None:
        offset = 0
    if length is None:
        length = size - offset
    if offset > size or length <= 0:
        raise _r2_error("get", "The requested range is not satisfiable", 10039)
    return offset, min(length, size - offset)


# --- result objects --------------------------------------------------------------------------


class R2Checksums:
    """``obj.checksums``: each digest as the SDK gives an ArrayBuffer (a memoryview), or None;
    ``toJSON()`` gives the hex strings."""

    def __init__(self, hex_digests: Mapping[str, str]) -> None:
        self._hex = {name: hex_digests[name] for name, *_ in _HASHES if name in hex_digests}
        for name, *_ in _HASHES:
            digest = self._hex.get(name)
            setattr(self, name, None if digest is None else memoryview(bytearray.fromhex(digest)))

    def toJSON(self) -> JsDict:  # noqa: N802
        return JsDict(self._hex)

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"R2Checksums({self._hex})"


class R2Object:
    """What ``head()``, ``put()``, ``list()`` and a failed conditional ``get()`` return."""

    def __init__(
        self,
        row: _Row,
        *,
        http_metadata: Mapping[str, Any] | None,
        custom_metadata: Mapping[str, str] | None,
        served_range: tuple[int, int] | None,
    ) -> None:
        self.key: str = row.key
        self.version: str = row.version
        self.size: int = row.size
        self.etag: str = row.etag
        self.httpEtag: str = f'"{row.etag}"'
        self.uploaded: dt.datetime = _utc_datetime(row.uploaded_ms)
        self.checksums = R2Checksums(row.checksums)
        self.storageClass: str = row.storage_class
        self.ssecKeyMd5: str | None = None
        # None when list() was not asked to include them (production leaves them undefined).
        self.httpMetadata: JsDict | None = (
            None if http_metadata is None else _http_metadata_out(http_metadata)
        )
        self.customMetadata: JsDict | None = (
            None if custom_metadata is None else JsDict(custom_metadata)
        )
        self.range: JsDict | None = (
            None if served_range is None else JsDict(offset=served_range[0], length=served_range[1])
        )

    def writeHttpMetadata(self, headers: Any) -> None:  # noqa: N802
        """Set Content-Type, Content-Language, Content-Disposition, Content-Encoding,
        Cache-Control and Expires on a Headers object."""
        if self.httpMetadata is None:
            raise TypeError(
                f"HTTP metadata unknown for key `{self.key}`. Did you forget to add "
                "'httpMetadata' to `include` when listing?"
            )
        if not _is_headers(headers):
            # A Python dict crosses into JS as a plain object, which workerd refuses.
            raise TypeError(
                "Failed to execute 'writeHttpMetadata' on 'R2Object': parameter 1 is not of "
                "type 'Headers'."
            )
        m = self.httpMetadata
        for field, header in (
            ("contentType", "content-type"),
            ("contentLanguage", "content-language"),
            ("contentDisposition", "content-disposition"),
            ("contentEncoding", "content-encoding"),
            ("cacheControl", "cache-control"),
        ):
            if field in m:
                headers.set(header, m[field])
        if "cacheExpiry" in m:
            expiry = m["cacheExpiry"].replace(tzinfo=dt.UTC)
            headers.set("expires", email.utils.format_datetime(expiry, usegmt=True))

    def __getitem__(self, name: str) -> Any:
        # The SDK wrapper reads obj["key"] as the attribute.
        return getattr(self, name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.key!r} size={self.size} etag={self.etag}>"


class R2ObjectBody(R2Object):
    """What a successful ``get()`` returns: an ``R2Object`` plus its (possibly ranged) body."""

    def __init__(self, row: _Row, body: bytes, served_range: tuple[int, int]) -> None:
        super().__init__(
            row,
            http_metadata=row.http_metadata,
            custom_metadata=row.custom_metadata,
            served_range=served_range,
        )
        self._body = body
        self._body_used = False
        self._body_used_seen: bool | None = None

    @property
    def body(self) -> bytes:
        """The served bytes (production: a ReadableStream, which Response also accepts)."""
        return self._body

    @property
    def bodyUsed(self) -> bool:  # noqa: N802
        # The SDK wrapper caches a plain attribute the first time it is read, so production
        # keeps answering that first value; so does this.
        if self._body_used_seen is None:
            self._body_used_seen = self._body_used
        return self._body_used_seen

    def _consume(self) -> bytes:
        if self._body_used:
            raise TypeError(_BODY_USED)
        self._body_used = True
        return self._body

    async def text(self) -> str:
        return self._consume().decode("utf-8", errors="replace")

    async def json(self) -> Any:
        return js_json_loads(await self.text())

    async def arrayBuffer(self) -> memoryview:  # noqa: N802
        # python_from_rpc turns the ArrayBuffer into a memoryview: use bytes(view) for bytes.
        return memoryview(bytearray(self._consume()))

    async def bytes(self) -> memoryview:
        # A Uint8Array in JS, a memoryview once converted.
        return memoryview(bytearray(self._consume()))


@dataclass(frozen=True)
class _Row:
    key: str
    size: int
    etag: str
    version: str
    uploaded_ms: int
    http_metadata: dict[str, Any]
    custom_metadata: dict[str, str]
    checksums: dict[str, str]
    storage_class: str
    body_file: str

    @classmethod
    def from_db(cls, row: tuple[Any, ...]) -> _Row:
        key, size, etag, version, uploaded_ms, http, custom, checksums, storage, body = row
        return cls(
            key=key,
            size=size,
            etag=etag,
            version=version,
            uploaded_ms=uploaded_ms,
            http_metadata=json.loads(http),
            custom_metadata=json.loads(custom),
            checksums=json.loads(checksums),
            storage_class=storage,
            body_file=body,
        )

    def db_values(self) -> tuple[Any, ...]:
        return (
            self.key,
            self.size,
            self.etag,
            self.version,
            self.uploaded_ms,
            json.dumps(self.http_metadata),
            json.dumps(self.custom_metadata),
            json.dumps(self.checksums),
            self.storage_class,
            self.body_file,
        )


def _check_key(action: str, key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"R2 key must be a string, got {type(key).__name__}")
    if len(key.encode("utf-8", errors="replace")) > MAX_KEY_BYTES:
        raise _invalid_name(action)
    return key


def _expected_hashes(opts: Mapping[str, Any]) -> dict[str, bytes]:
    """The md5/sha* put options, checked as workerd checks them (one algorithm at most)."""
    expected: dict[str, bytes] = {}
    for field, label, _, size in _HASHES:
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


def _decode_cursor(cursor: str) -> str:
    try:
        return decode_cursor(cursor)
    except ValueError:
        raise _r2_error("list", "The specified cursor is not valid.", 10029) from None


# --- the binding -----------------------------------------------------------------------------


class R2Bucket:
    """One R2 bucket under ``<state>/r2/<bucket_name>/``."""

    def __init__(self, services: RuntimeServices, binding: str, bucket_name: str) -> None:
        self.services = services
        self.binding = binding
        self.bucket_name = bucket_name
        self.db_path = services.path("r2", bucket_name, "meta.sqlite3")
        self.objects_dir: Path = self.db_path.parent / "objects"
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        # Autocommit, with explicit BEGIN IMMEDIATE where a read must agree with the write.
        self._db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the previous body file is unlinked, so even an OS
        # crash cannot leave a row naming a file that is gone.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __repr__(self) -> str:
        return f"<R2Bucket {self.binding} ({self.bucket_name})>"

    # -- storage helpers --

    def _row(self, key: str) -> _Row | None:
        found = self._db.execute(f"SELECT {_COLUMNS} FROM objects WHERE key = ?", (key,)).fetchone()
        return None if found is None else _Row.from_db(found)

    def _write_body(self, key: str, version: str, data: bytes) -> str:
        name = f"{hashlib.sha256(key.encode('utf-8', errors='replace')).hexdigest()}-{version}"
        tmp = self.objects_dir / f".{name}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.objects_dir / name)
        # Make the rename itself durable before a row can name the file.
        dir_fd = os.open(self.objects_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return name

    def _unlink(self, body_file: str) -> None:
        (self.objects_dir / body_file).unlink(missing_ok=True)

    def _read_body(self, action: str, row: _Row, offset: int, length: int) -> bytes:
        try:
            with open(self.objects_dir / row.body_file, "rb") as f:
                f.seek(offset)
                data = f.read(length)
        except FileNotFoundError:
            raise _internal(action) from None
        if len(data) != length:
            raise _internal(action)
        return data

    def _commit_put(self, row: _Row, cond: _Conditional | None) -> tuple[bool, str | None]:
        """Check ``cond`` against the current row and replace it, in one transaction.
        Returns (written, previous body file)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            previous = self._db.execute(
                "SELECT etag, uploaded_ms, body_file FROM objects WHERE key = ?", (row.key,)
            ).fetchone()
            current = None if previous is None else (previous[0], previous[1])
            if cond is not None and not _condition_holds(cond, current):
                self._db.execute("ROLLBACK")
                return False, None
            self._db.execute(
                f"INSERT OR REPLACE INTO objects ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row.db_values(),
            )
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return True, None if previous is None else previous[2]

    # -- operations --

    async def put(
        self, key: str, value: Any, options: Any = None, /, **kwargs: Any
    ) -> R2Object | None:
        """``put(key, value, httpMetadata=, customMetadata=, onlyIf=, md5=, sha256=, ...)``.

        Returns the new object's ``R2Object``, or None when ``onlyIf`` did not hold.
        """
        opts = _options(options, kwargs, "put()")
        data = _encode_body(value)
        http_metadata = _http_metadata_in(opts.get("httpMetadata"))
        custom_metadata = _custom_metadata_in(opts.get("customMetadata"))
        cond = _conditional(opts.get("onlyIf"))
        expected = _expected_hashes(opts)
        storage_class = _js_string(opts.get("storageClass") or STORAGE_CLASS, "storageClass")
        async with self.services.io():
            self.services.stats.incr("r2.class_a")
            self.services.model("r2_put")
            _check_key("put", key)
            if len(data) > MAX_VALUE_BYTES:
                raise _r2_error(
                    "put", "Your proposed upload exceeds the maximum allowed object size.", 100100
                )
            metadata_size = sum(_js_length(k) + _js_length(v) for k, v in custom_metadata.items())
            if metadata_size > MAX_CUSTOM_METADATA_SIZE:
                raise _r2_error(
                    "put", "Your metadata headers exceed the maximum allowed metadata size.", 10012
                )
            checksums = {"md5": hashlib.md5(data).hexdigest()}
            for field, label, algorithm, _ in _HASHES:
                if field not in expected:
                    continue
                actual = hashlib.new(algorithm, data).digest()
                if actual != expected[field]:
                    raise _r2_error(
                        "put",
                        f"The {label} checksum you specified did not match what we received.\n"
                        f"You provided a {label} checksum with value: {expected[field].hex()}\n"
                        f"Actual {label} was: {actual.hex()}",
                        10037,
                    )
                checksums[field] = actual.hex()
            version = uuid.uuid4().hex
            row = _Row(
                key=key,
                size=len(data),
                etag=checksums["md5"],
                version=version,
                uploaded_ms=self.services.now_ms(),
                http_metadata=http_metadata,
                custom_metadata=custom_metadata,
                checksums=checksums,
                storage_class=storage_class,
                body_file="",
            )
            body_file = self._write_body(key, version, data)
            row = dataclasses.replace(row, body_file=body_file)
            try:
                written, previous_file = self._commit_put(row, cond)
            except BaseException:
                self._unlink(body_file)
                raise
            if not written:
                self._unlink(body_file)
                return None
            if previous_file and previous_file != body_file:
                self._unlink(previous_file)
        # Production's put result carries the metadata that was sent, and no range.
        return R2Object(
            row, http_metadata=http_metadata, custom_metadata=custom_metadata, served_range=None
        )

    async def get(
        self, key: str, options: Any = None, /, **kwargs: Any
    ) -> R2ObjectBody | R2Object | None:
        """``get(key, onlyIf=, range=)``: None when missing; an ``R2Object`` without a body
        when ``onlyIf`` does not hold; else an ``R2ObjectBody`` (``range`` says what was
        served: ``{offset, length}``, ``{offset}`` or ``{suffix}``)."""
        opts = _options(options, kwargs, "get()")
        cond = _conditional(opts.get("onlyIf"))
        requested = _range_request(opts.get("range"))
        async with self.services.io():
            self.services.stats.incr("r2.class_b")
            self.services.model("r2_get")
            _check_key("get", key)
            row = self._row(key)
            if row is None:
                return None
            if cond is not None and not _condition_holds(cond, (row.etag, row.uploaded_ms)):
                return R2Object(
                    row,
                    http_metadata=row.http_metadata,
                    custom_metadata=row.custom_metadata,
                    served_range=(0, row.size),
                )
            offset, length = _resolve_range(requested, row.size)
            body = self._read_body("get", row, offset, length) if length else b""
        return R2ObjectBody(row, body, (offset, length))

    async def head(self, key: str) -> R2Object | None:
        async with self.services.io():
            self.services.stats.incr("r2.class_b")
            self.services.model("r2_get")
            _check_key("head", key)
            row = self._row(key)
        if row is None:
            return None
        return R2Object(
            row,
            http_metadata=row.http_metadata,
            custom_metadata=row.custom_metadata,
            served_range=(0, row.size),
        )

    async def delete(self, keys: str | list[str]) -> None:
        """Delete one key or a list of keys; missing keys are not an error."""
        if isinstance(keys, tuple):
            raise TypeError(f"{type(keys)} cannot be sent over RPC.")
        key_list = [keys] if isinstance(keys, str) else keys
        if not isinstance(key_list, list):
            raise TypeError(f"delete() takes a key or a list of keys, got {type(keys).__name__}")
        async with self.services.io():
            self.services.stats.incr("r2.deletes")
            self.services.model("r2_put")
            for key in key_list:
                _check_key("delete", key)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                files = []
                for key in key_list:
                    found = self._db.execute(
                        "DELETE FROM objects WHERE key = ? RETURNING body_file", (key,)
                    ).fetchone()
                    if found is not None:
                        files.append(found[0])
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            for body_file in files:
                self._unlink(body_file)

    async def list(self, options: Any = None, /, **kwargs: Any) -> JsDict:
        """``list(prefix=, delimiter=, cursor=, limit=, include=, startAfter=)`` ->
        ``{"objects", "truncated", "cursor"?, "delimitedPrefixes"}``.

        Objects and delimited prefixes together count towards ``limit`` (at most 1,000;
        at most 100 when ``include`` asks for metadata).
        """
        opts = _options(options, kwargs, "list()")
        include = opts.get("include")
        include_fields: set[str] = set()
        if include is not None:
            for field in include:
                if field not in ("httpMetadata", "customMetadata"):
                    raise ValueError(f"Unsupported include value {field}")
                include_fields.add(field)
        prefix = opts.get("prefix") or ""
        delimiter = opts.get("delimiter") or None
        start_after = opts.get("startAfter")
        cursor = opts.get("cursor")
        limit = opts.get("limit")
        async with self.services.io():
            self.services.stats.incr("r2.class_a")
            self.services.model("r2_put")
            # workerd does not send a zero limit, so 0 means the default.
            limit_n = MAX_LIST_LIMIT if limit is None or limit == 0 else int(limit)
            if limit_n < 1 or limit_n > MAX_LIST_LIMIT:
                raise _r2_error("list", "MaxKeys params must be positive integer <= 1000.", 10022)
            if include_fields:
                limit_n = min(limit_n, LIST_LIMIT_WITH_INCLUDE)
            if cursor:
                after_cursor = _decode_cursor(cursor)
                if start_after is None or after_cursor > start_after:
                    start_after = after_cursor
            # TEXT compares with BINARY collation, i.e. by UTF-8 bytes, which is R2's order.
            rows = self._db.execute(
                f"""
                SELECT {_COLUMNS} FROM objects
                WHERE key >= :prefix AND substr(key, 1, length(:prefix)) = :prefix
                  AND (:after IS NULL OR key > :after)
                ORDER BY key
                """,
                {"prefix": prefix, "after": start_after},
            )
            objects: list[R2Object] = []
            prefixes: list[str] = []
            # One entry per object or delimited prefix; the last key each consumed.
            entry_last_keys: list[str] = []
            last_prefix: str | None = None
            truncated = False
            for raw in rows:
                key = raw[0]
                group = None
                if delimiter is not None:
                    at = key.find(delimiter, len(prefix))
                    if at >= 0:
                        group = key[: at + len(delimiter)]
                if group is not None and group == last_prefix:
                    entry_last_keys[-1] = key  # still inside the same delimited prefix
                    continue
                if len(entry_last_keys) == limit_n:
                    truncated = True
                    break
                entry_last_keys.append(key)
                if group is not None:
                    prefixes.append(group)
                    last_prefix = group
                    continue
                last_prefix = None
                row = _Row.from_db(raw)
                objects.append(
                    R2Object(
                        row,
                        http_metadata=row.http_metadata
                        if "httpMetadata" in include_fields
                        else None,
                        custom_metadata=row.custom_metadata
                        if "customMetadata" in include_fields
                        else None,
                        served_range=None,
                    )
                )
            rows.close()
        result = JsDict(objects=objects, truncated=truncated)
        if truncated:
            # The cursor names the last key consumed, so a page never repeats a prefix.
            result["cursor"] = encode_cursor(entry_last_keys[-1])
        result["delimitedPrefixes"] = prefixes
        return result
