"""What a TenantDO answers over RPC, as the Worker receives it: one TypedDict per reply, the
outcome strings callers compare, and the stub's methods (``TenantStub``).

The object (``durable_objects.tenant``) builds exactly these dicts and the routes narrow them
by ``outcome``; the type checker holds both ends to this module. RPC results cross the
isolate boundary by structured clone, so replies are plain dicts of str/int/bool/None/lists,
never enums or dataclasses (PLATFORM.md: "tuples and arbitrary objects are rejected").
The draft replies are shared with PostContentDO and live in ``grove.draft_rpc`` (re-exported).
"""

from __future__ import annotations

from typing import Literal, Protocol

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

from grove.draft_rpc import (
    DraftConflict,
    DraftDeleted,
    DraftFound,
    DraftMissing,
    DraftSaveArgs,
    DraftSaved,
    DraftSummary,
    DraftUnchanged,
)

# --- replies, one per outcome (the draft replies are grove.draft_rpc's) ---------------------


class NoTenant(TypedDict):
    """Every RPC's answer for a subdomain with no tenant row."""

    outcome: Literal["no_tenant"]


class DraftList(TypedDict):
    outcome: Literal["found"]
    drafts: list[DraftSummary]


class EventsAccepted(TypedDict):
    outcome: Literal["accepted"]
    accepted: int
    pending: int


ListReply = NoTenant | DraftList
GetReply = NoTenant | DraftMissing | DraftFound
SaveReply = NoTenant | DraftSaved | DraftUnchanged | DraftConflict
DeleteReply = NoTenant | DraftMissing | DraftConflict | DraftDeleted
RecordReply = NoTenant | EventsAccepted
# What a draft call answers when it did not do what was asked.
DraftRefusal = NoTenant | DraftMissing | DraftConflict

# ``TenantConfig.model_dump()``: the receiver validates it back into a ``TenantConfig``.
ConfigData = dict[str, object]


class ConfigAndStamp(TypedDict):
    """The config and the tenant's cache stamp (``grove.page_cache``), the stamp taken first."""

    config: ConfigData | None
    cache_stamp: str | None


__all__ = [
    "ConfigAndStamp", "ConfigData", "DeleteReply", "DraftConflict", "DraftDeleted", "DraftFound", "DraftList",
    "DraftMissing", "DraftRefusal", "DraftSaveArgs", "DraftSaved", "DraftSummary", "DraftUnchanged",
    "EventsAccepted", "GetReply", "ListReply", "NoTenant", "RecordReply", "SaveReply", "TenantStub",
]


class TenantStub(Protocol):
    """``env.TENANTS.get(id)``: the TenantDO's public methods, called over RPC."""

    async def get_config(self) -> ConfigData | None: ...

    async def refresh_config(self) -> ConfigData | None: ...

    async def get_config_and_stamp(self) -> ConfigAndStamp: ...

    async def cache_stamp(self) -> str | None: ...

    async def bump_cache_stamp(self) -> str: ...

    async def list_drafts(self) -> ListReply: ...

    async def get_draft(self, slug: str) -> GetReply: ...

    async def save_draft(self, slug: str, save: DraftSaveArgs) -> SaveReply: ...

    async def delete_draft(self, slug: str, expected_version: int | None = None) -> DeleteReply: ...

    async def record_events(self, events: list[dict[str, object]]) -> RecordReply: ...
