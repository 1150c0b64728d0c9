"""The ``env.BUCKET`` binding: ``put``, ``get``, ``head``, ``delete`` and ``list`` with
production's call shapes (workerd ``r2-bucket.c++`` seen through the SDK's ``_BindingWrapper``),
on an ``ObjectStore``."""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from typing import Any

from local_runtime.bindings.cursors import decode_cursor, encode_cursor
from local_runtime.bindings.r2.conditions import (
    condition_holds,
    conditional,
    range_request,
    resolve_range,
)
from local_runtime.bindings.r2.errors import internal_error, r2_error
from local_runtime.bindings.r2.objects import R2Object, R2ObjectBody, Row
from local_runtime.bindings.r2.store import ObjectStore
from local_runtime.bindings.r2.values import (
    HASHES,
    LIST_LIMIT_WITH_INCLUDE,
    MAX_CUSTOM_METADATA_SIZE,
    MAX_LIST_LIMIT,
    MAX_VALUE_BYTES,
    STORAGE_CLASS,
    check_key,
    custom_metadata_in,
    encode_body,
    expected_hashes,
    http_metadata_in,
    js_length,
)
from local_runtime.faults import FaultPoint
from local_runtime.js_values import js_string_param, options_object, refuse_unsendable
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices

# The options object of each call (workerd r2-bucket.h PutOptions, GetOptions, ListOptions);
# anything else, SSE-C's ssecKey included, fails loudly.
_PUT_OPTIONS = frozenset(
    {"httpMetadata", "customMetadata", "onlyIf", "storageClass"} | {name for name, *_ in HASHES}
)
_GET_OPTIONS = frozenset({"onlyIf", "range"})
_LIST_OPTIONS = frozenset({"limit", "prefix", "cursor", "delimiter", "startAfter", "include"})


class R2Bucket:
    """One R2 bucket under ``<state>/r2/<bucket_name>/``."""

    def __init__(self, services: RuntimeServices, binding: str, bucket_name: str) -> None:
        self.services = services
        self.binding = binding
        self.bucket_name = bucket_name
        self.db_path = services.path("r2", bucket_name, "meta.sqlite3")
        self._store = ObjectStore(self.db_path.parent)
        self.objects_dir = self._store.objects_dir

    def close(self) -> None:
        self._store.close()

    def stored_bytes(self) -> int:
        """Bytes stored in the bucket (a local measure, not a binding method)."""
        return self._store.total_size()

    def __repr__(self) -> str:
        return f"<R2Bucket {self.binding} ({self.bucket_name})>"

    # -- operations --

    async def put(
        self, key: str, value: Any, options: Any = None, /, **kwargs: Any
    ) -> R2Object | None:
        """``put(key, value, httpMetadata=, customMetadata=, onlyIf=, md5=, sha256=, ...)``.

        Returns the new object's ``R2Object``, or None when ``onlyIf`` did not hold.
        """
        opts = options_object(options, kwargs, "R2 put()", _PUT_OPTIONS)
        data = encode_body(value)
        http_metadata = http_metadata_in(opts.get("httpMetadata"))
        custom_metadata = custom_metadata_in(opts.get("customMetadata"))
        cond = conditional(opts.get("onlyIf"))
        expected = expected_hashes(opts)
        storage_class = js_string_param(opts.get("storageClass") or STORAGE_CLASS, "storageClass")
        async with self.services.io():
            if self.services.faults.trips(FaultPoint.R2_PUT_ERROR, key):
                raise internal_error("put")
            self.services.stats.incr("r2.class_a")
            self.services.model("r2_put")
            check_key("put", key)
            if len(data) > MAX_VALUE_BYTES:
                raise r2_error(
                    "put", "Your proposed upload exceeds the maximum allowed object size.", 100100
                )
            metadata_size = sum(js_length(k) + js_length(v) for k, v in custom_metadata.items())
            if metadata_size > MAX_CUSTOM_METADATA_SIZE:
                raise r2_error(
                    "put", "Your metadata headers exceed the maximum allowed metadata size.", 10012
                )
            checksums = {"md5": hashlib.md5(data).hexdigest()}
            for field, label, algorithm, _ in HASHES:
                if field not in expected:
                    continue
                actual = hashlib.new(algorithm, data).digest()
                if actual != expected[field]:
                    raise r2_error(
                        "put",
                        f"The {label} checksum you specified did not match what we received.\n"
                        f"You provided a {label} checksum with value: {expected[field].hex()}\n"
                        f"Actual {label} was: {actual.hex()}",
                        10037,
                    )
                checksums[field] = actual.hex()
            version = uuid.uuid4().hex
            row = Row(
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
            body_file = self._store.write_body(key, version, data)
            row = dataclasses.replace(row, body_file=body_file)
            try:
                holds = None if cond is None else lambda current: condition_holds(cond, current)
                written, previous_file = self._store.commit_put(row, holds)
            except BaseException:
                self._store.unlink(body_file)
                raise
            if not written:
                self._store.unlink(body_file)
                return None
            if previous_file and previous_file != body_file:
                self._store.unlink(previous_file)
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
        opts = options_object(options, kwargs, "R2 get()", _GET_OPTIONS)
        cond = conditional(opts.get("onlyIf"))
        requested = range_request(opts.get("range"))
        async with self.services.io():
            if self.services.faults.trips(FaultPoint.R2_GET_ERROR, key):
                raise internal_error("get")
            self.services.stats.incr("r2.class_b")
            self.services.model("r2_get")
            check_key("get", key)
            row = self._store.row(key)
            if row is None:
                return None
            if cond is not None and not condition_holds(cond, (row.etag, row.uploaded_ms)):
                return R2Object(
                    row,
                    http_metadata=row.http_metadata,
                    custom_metadata=row.custom_metadata,
                    served_range=(0, row.size),
                )
            offset, length = resolve_range(requested, row.size)
            body = self._store.read_body("get", row, offset, length) if length else b""
            if body and self.services.faults.trips(FaultPoint.R2_GET_CORRUPT, key):
                body = body[:-1] + bytes([body[-1] ^ 0x01])
        return R2ObjectBody(row, body, (offset, length))

    async def head(self, key: str) -> R2Object | None:
        async with self.services.io():
            if self.services.faults.trips(FaultPoint.R2_GET_ERROR, key):
                raise internal_error("head")
            self.services.stats.incr("r2.class_b")
            self.services.model("r2_get")
            check_key("head", key)
            row = self._store.row(key)
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
        refuse_unsendable(keys)
        key_list = [keys] if isinstance(keys, str) else keys
        if not isinstance(key_list, list):
            raise TypeError(f"delete() takes a key or a list of keys, got {type(keys).__name__}")
        async with self.services.io():
            self.services.stats.incr("r2.deletes")
            self.services.model("r2_put")
            for key in key_list:
                check_key("delete", key)
            self._store.delete(key_list)

    async def list(self, options: Any = None, /, **kwargs: Any) -> JsDict:
        """``list(prefix=, delimiter=, cursor=, limit=, include=, startAfter=)`` ->
        ``{"objects", "truncated", "cursor"?, "delimitedPrefixes"}``.

        Objects and delimited prefixes together count towards ``limit`` (at most 1,000;
        at most 100 when ``include`` asks for metadata).
        """
        opts = options_object(options, kwargs, "R2 list()", _LIST_OPTIONS)
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
                raise r2_error("list", "MaxKeys params must be positive integer <= 1000.", 10022)
            if include_fields:
                limit_n = min(limit_n, LIST_LIMIT_WITH_INCLUDE)
            if cursor:
                after_cursor = decode_cursor(
                    cursor, lambda: r2_error("list", "The specified cursor is not valid.", 10029)
                )
                if start_after is None or after_cursor > start_after:
                    start_after = after_cursor
            rows = self._store.rows_from(prefix, start_after)
            objects: list[R2Object] = []
            prefixes: list[str] = []
            # One entry per object or delimited prefix; the last key each consumed.
            entry_last_keys: list[str] = []
            last_prefix: str | None = None
            truncated = False
            for row in rows:
                key = row.key
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
            rows.close()  # ends the store's cursor when the page is full
        result = JsDict(objects=objects, truncated=truncated)
        if truncated:
            # The cursor names the last key consumed, so a page never repeats a prefix.
            result["cursor"] = encode_cursor(entry_last_keys[-1])
        result["delimitedPrefixes"] = prefixes
        return result
