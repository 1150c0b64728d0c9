"""What R2 calls return: ``R2Object`` (metadata), ``R2ObjectBody`` (plus the served bytes),
``R2Checksums``, and ``Row``, the stored form both are built from."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from local_runtime.bindings.r2.values import HASHES, HEADER_FIELDS, http_metadata_out, is_headers
from local_runtime.js_values import BODY_USED_MESSAGE, js_json_loads, ms_to_datetime
from local_runtime.sdk_types import JsDict

# --- result objects --------------------------------------------------------------------------


class R2Checksums:
    """``obj.checksums``: each digest as the SDK gives an ArrayBuffer (a memoryview), or None;
    ``toJSON()`` gives the hex strings."""

    def __init__(self, hex_digests: Mapping[str, str]) -> None:
        self._hex = {name: hex_digests[name] for name, *_ in HASHES if name in hex_digests}
        for name, *_ in HASHES:
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
        row: Row,
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
        self.uploaded: dt.datetime = ms_to_datetime(row.uploaded_ms)
        self.checksums = R2Checksums(row.checksums)
        self.storageClass: str = row.storage_class
        self.ssecKeyMd5: str | None = None
        # None when list() was not asked to include them (production leaves them undefined).
        self.httpMetadata: JsDict | None = (
            None if http_metadata is None else http_metadata_out(http_metadata)
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
        if not is_headers(headers):
            # A Python dict crosses into JS as a plain object, which workerd refuses.
            raise TypeError(
                "Failed to execute 'writeHttpMetadata' on 'R2Object': parameter 1 is not of "
                "type 'Headers'."
            )
        m = self.httpMetadata
        for field, header in HEADER_FIELDS:
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

    def __init__(self, row: Row, body: bytes, served_range: tuple[int, int]) -> None:
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
            raise TypeError(BODY_USED_MESSAGE)
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
class Row:
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
    def from_db(cls, row: tuple[Any, ...]) -> Row:
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

