"""The replies of a draft store over RPC, shared by the two objects that keep drafts: TenantDO
(drafts of posts that do not exist yet, one per slug) and PostContentDO (the one draft of an
existing post). Plain dicts narrowed by ``outcome``, since RPC results cross the isolate
boundary by structured clone (PLATFORM.md: "tuples and arbitrary objects are rejected").

``save_outcome`` is the one procedure both objects follow for a save: ``grove.drafts.decide``
says whether it lands, this builds the draft to store and the reply; the object only reads
and writes its own rows (with no await in between, so the decision and the write are one step).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

from grove.drafts import Decision, Draft, DraftBase, DraftData, DraftMetadataDict, DraftSave, decide


class DraftSummary(TypedDict):
    """A draft without its content: what lists and save replies carry."""

    slug: str
    title: str
    device_id: str
    version: int
    saved_at_ms: int


class DraftSaveArgs(TypedDict):
    """``save_draft``'s argument: the text and the version it was edited from (None: new)."""

    content: str
    metadata: DraftMetadataDict
    device_id: str
    base_version: int | None


class DraftMissing(TypedDict):
    outcome: Literal["missing"]


class DraftConflict(TypedDict):
    """The draft moved past the caller's version; ``draft`` is None when it was deleted."""

    outcome: Literal["conflict"]
    draft: DraftData | None


class DraftFound(TypedDict):
    outcome: Literal["found"]
    draft: DraftData


class DraftSaved(TypedDict):
    outcome: Literal["saved"]
    created: bool
    draft: DraftSummary


class DraftUnchanged(TypedDict):
    """The server already held this text (a repeated save)."""

    outcome: Literal["unchanged"]
    draft: DraftSummary


class DraftDeleted(TypedDict):
    outcome: Literal["deleted"]
    draft: DraftSummary


SaveOutcome = DraftSaved | DraftUnchanged | DraftConflict


def summary(draft: Draft) -> DraftSummary:
    return {
        "slug": draft.slug,
        "title": draft.metadata.get("title", ""),
        "device_id": draft.device_id,
        "version": draft.version,
        "saved_at_ms": draft.saved_at_ms,
    }


class SaveStep(NamedTuple):
    reply: SaveOutcome
    store: Draft | None  # the draft to write (None: nothing changes)


def save_outcome(
    current: Draft | None,
    args: DraftSaveArgs,
    *,
    slug: str,
    last_version: int,
    at_ms: int,
    post_id: str | None = None,
    base: DraftBase | None = None,
) -> SaveStep:
    """What a save does to a store holding ``current`` (None: no draft) whose versions reached
    ``last_version``; ``post_id``/``base`` are carried by the drafts of existing posts."""
    save = DraftSave(args["content"], args["metadata"], args["device_id"], args["base_version"])
    verdict = decide(current, save, last_version=last_version)
    if verdict.decision is Decision.CONFLICT:
        return SaveStep({"outcome": "conflict", "draft": current.as_dict() if current else None}, None)
    if verdict.decision is Decision.UNCHANGED:
        assert current is not None
        return SaveStep({"outcome": "unchanged", "draft": summary(current)}, None)
    assert verdict.version is not None
    saved = Draft(slug, save.content, save.metadata, save.device_id, verdict.version, at_ms, post_id, base)
    return SaveStep({"outcome": "saved", "created": current is None, "draft": summary(saved)}, saved)
