"""Moving a post's content between D1 and R2 without ever losing it: the R2 object with its
checksum, the read-back check, and the conditional D1 updates. ``PostContentDO`` runs the moves
(``migrate_to_r2``, ``migrate_to_d1``); the tier migrator calls it.

The order makes every step safe to stop at and to repeat:

1. the content is written to R2 with its SHA-256 (R2 refuses a body that does not match it);
2. it is read back and compared (checksum and the decoded markdown and HTML);
3. only then is D1 changed, by one UPDATE that holds only while the post is as the move read it
   (same ``storage_location``, ``r2_key``, ``updated_at_ms`` and ``content_version``): an edit
   made meanwhile wins and the move stops (``changed``), its R2 copy unused;
4. caches are invalidated (new TTLs for the new tier).

A stop before 3 leaves D1 as it was (the R2 object is overwritten by the next try); a stop
after 3 leaves the post readable from R2, and the next try finds it moved and finishes 4. The
copy a move replaced is deleted only after D1 points elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TypedDict

from grove.bindings import D1Database, D1PreparedStatement, R2Bucket
from grove.posts_store import PostRow, R2Content, r2_content_key
from grove.tiers import StorageLocation

SHA256_METADATA = "sha256"
# Every key a post's content can have in R2 (the one D1 names is the live copy).
R2_LOCATIONS: tuple[StorageLocation, ...] = ("r2", "r2_archived")


@dataclass(frozen=True)
class ContentBody:
    """The R2 object of a post's content: its JSON text and that text's SHA-256 (hex)."""

    text: str
    sha256: str

    @classmethod
    def of(cls, markdown: str, html: str, stored_at_ms: int) -> ContentBody:
        content: R2Content = {"markdown": markdown, "html": html, "stored_at_ms": stored_at_ms}
        text = json.dumps(content)
        return cls(text, sha256_hex(text))


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ContentMismatch(Exception):
    """What R2 gave back is not what was written (or what its checksum says it is)."""


async def put_verified(bucket: R2Bucket, key: str, body: ContentBody) -> None:
    """Steps 1 and 2: write with the checksum, read back, compare. Raises on any difference."""
    await bucket.put(
        key, body.text, httpMetadata={"contentType": "application/json"},
        customMetadata={SHA256_METADATA: body.sha256}, sha256=body.sha256,
    )
    if await read_verified(bucket, key, body.sha256) is None:
        raise ContentMismatch(f"R2 object {key} is missing right after it was written")


async def read_verified(bucket: R2Bucket, key: str, expected_sha256: str | None) -> R2Content | None:
    """The content at ``key`` (None when absent), checked against ``expected_sha256`` (the
    checksum PostContentDO keeps for the live copy; None for copies written before checksums)."""
    obj = await bucket.get(key)
    if obj is None:
        return None
    text = await obj.text()
    if expected_sha256 is not None and sha256_hex(text) != expected_sha256:
        raise ContentMismatch(f"R2 object {key} does not match its checksum")
    try:
        content: R2Content = json.loads(text)
    except ValueError:
        raise ContentMismatch(f"R2 object {key} is not the JSON of a post's content") from None
    return content


def same_content(content: R2Content, markdown: str, html: str) -> bool:
    return content["markdown"] == markdown and content["html"] == html


def key_for(tenant: str, post_id: str, location: StorageLocation) -> str:
    return r2_content_key(tenant, post_id, location)


def stale_keys(tenant: str, post_id: str, live_key: str | None) -> list[str]:
    """The post's R2 keys other than the live one: copies a stopped move may have left."""
    return [k for k in (key_for(tenant, post_id, loc) for loc in R2_LOCATIONS) if k != live_key]


# Step 3, both ways: the row must still be the one the move read.
_STILL_AS_READ = (
    "WHERE tenant = ?1 AND id = ?2 AND storage_location = ?3 AND r2_key IS ?4"
    " AND updated_at_ms = ?5 AND content_version IS ?6 RETURNING id"
)


class _IdRow(TypedDict):
    id: str


async def point_to_r2(db: D1Database, row: PostRow, tenant: str, location: StorageLocation, key: str) -> bool:
    """Clear D1's content and name the R2 copy; False when the post changed since ``row``."""
    update: D1PreparedStatement[_IdRow] = db.prepare(
        f"UPDATE posts SET markdown = NULL, html = NULL, storage_location = ?7, r2_key = ?8 {_STILL_AS_READ}"
    )
    bound = update.bind(*_as_read(row, tenant), location, key)
    return await bound.first() is not None


async def restore_to_d1(db: D1Database, row: PostRow, tenant: str, content: R2Content) -> bool:
    """Put the content back in D1 (hot); False when the post changed since ``row``."""
    update: D1PreparedStatement[_IdRow] = db.prepare(
        f"UPDATE posts SET markdown = ?7, html = ?8, storage_location = 'd1', r2_key = NULL {_STILL_AS_READ}"
    )
    bound = update.bind(*_as_read(row, tenant), content["markdown"], content["html"])
    return await bound.first() is not None


def _as_read(row: PostRow, tenant: str) -> tuple[str, str, str, str | None, int, int | None]:
    return (tenant, row["id"], row["storage_location"], row["r2_key"], row["updated_at_ms"], row["content_version"])
