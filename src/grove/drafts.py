"""Draft sync across devices: the version rule that decides whether a save may land.

Every draft has a version. A save names the version it was edited from (``base_version``;
None for a draft the client believes is new) and lands only when that is the version the
server holds, so a device that did not see the latest save gets a conflict instead of
silently overwriting it (last write never wins by accident). A save whose text equals what
the server holds changes nothing and is not a conflict, which makes a retried save (its
reply was lost) idempotent.

Versions of a slug never repeat, even across deletes: a deleted draft leaves its last version
behind (``last_version``), and a new draft with that slug continues from there, so a device
still holding version 3 of the old draft cannot land on version 3 of a new one.

Plain Python: the storage (TenantDO) asks ``decide`` and does what it says.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple, NotRequired

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

# A draft's size: content plus its metadata as JSON, in UTF-8 bytes.
MAX_DRAFT_BYTES = 1024 * 1024
# The request body may be larger than the draft it carries (JSON escapes quotes, backslashes
# and newlines), so the body cap leaves room before the draft itself is measured.
MAX_DRAFT_BODY_BYTES = 3 * MAX_DRAFT_BYTES


class DraftMetadataDict(TypedDict):
    """A draft's metadata as stored and sent (``grove.models.DraftMetadata`` dumped). ``slug``:
    only in the draft of an existing post (the slug it will have once published; a draft of a
    new post is named by its slug)."""

    title: str
    description: str
    tags: list[str]
    slug: NotRequired[str]


class DraftBase(TypedDict):
    """The fields of an existing post when its draft was made from it: publishing changes only
    the fields whose draft value differs from these. The markdown is kept as its SHA-256 (hex):
    equality is all the comparison needs, and the draft row stays one post's size."""

    title: str
    description: str
    tags: list[str]
    slug: str
    markdown_sha256: str


class DraftData(TypedDict):
    """A whole draft as a plain dict (``Draft.as_dict``): what RPC replies and the API carry."""

    slug: str
    content: str
    metadata: DraftMetadataDict
    device_id: str
    version: int
    saved_at_ms: int
    # The draft of an existing post (kept in that post's PostContentDO): the post's id and the
    # fields the draft started from. Both None for the draft of a post that does not exist yet.
    post_id: str | None
    base: DraftBase | None


@dataclass(frozen=True)
class Draft:
    slug: str
    content: str
    metadata: DraftMetadataDict
    device_id: str
    version: int
    saved_at_ms: int
    post_id: str | None = None
    base: DraftBase | None = None

    def as_dict(self) -> DraftData:
        return {
            "slug": self.slug,
            "content": self.content,
            "metadata": self.metadata,
            "device_id": self.device_id,
            "version": self.version,
            "saved_at_ms": self.saved_at_ms,
            "post_id": self.post_id,
            "base": self.base,
        }


@dataclass(frozen=True)
class DraftSave:
    content: str
    metadata: DraftMetadataDict
    device_id: str
    base_version: int | None


class Decision(Enum):
    SAVE = "saved"  # store it as ``version``
    UNCHANGED = "unchanged"  # the server already holds this text: nothing to write
    CONFLICT = "conflict"  # edited from a version the server no longer holds


class Verdict(NamedTuple):
    decision: Decision
    version: int | None  # SAVE: the new version; UNCHANGED: the current one; CONFLICT: None


def same_text(draft: Draft, save: DraftSave) -> bool:
    return draft.content == save.content and draft.metadata == save.metadata


def decide(current: Draft | None, save: DraftSave, last_version: int) -> Verdict:
    """``current``: the stored draft (None if there is none); ``last_version``: the highest
    version this slug ever had, deleted drafts included (0 if never drafted)."""
    if current is not None and same_text(current, save):
        return Verdict(Decision.UNCHANGED, current.version)
    held = current.version if current is not None else None
    if save.base_version != held:
        # Covers: edited from an older version; "new" while another device created it;
        # edited from a draft that was deleted or published meanwhile.
        return Verdict(Decision.CONFLICT, None)
    return Verdict(Decision.SAVE, max(last_version, held or 0) + 1)


def may_delete(current: Draft, expected_version: int | None) -> bool:
    """A delete that names a version removes only that version (a stale device cannot drop
    newer text); one that names none removes whatever is there."""
    return expected_version is None or expected_version == current.version


def markdown_sha256(markdown: str) -> str:
    return hashlib.sha256(markdown.encode("utf-8")).hexdigest()


def changed_fields(base: DraftBase, draft: DraftData) -> dict[str, Any]:
    """What publishing the draft of an existing post writes: each field whose draft value
    differs from the value the draft started from (``base``), and nothing else. A field the
    author left alone keeps whatever the post holds now, even if it changed meanwhile through
    the post API (publishing once overwrote the description and tags with the draft's copies,
    empty when the editor had started blank)."""
    metadata = draft["metadata"]
    changes: dict[str, Any] = {}
    for name in ("title", "description", "slug"):
        value = metadata.get(name)
        if value is not None and value != base[name]:
            changes[name] = value
    if metadata["tags"] != base["tags"]:
        changes["tags"] = metadata["tags"]
    if markdown_sha256(draft["content"]) != base["markdown_sha256"]:
        changes["markdown"] = draft["content"]
    return changes


def draft_size_bytes(content: str, metadata: DraftMetadataDict) -> int:
    return len(content.encode("utf-8")) + len(json.dumps(metadata, ensure_ascii=False).encode("utf-8"))
