"""Pydantic models for every payload the app reads or writes: post requests and responses,
drafts, analytics events, tenant config and its updates, token claims. Times are integers in
milliseconds and say so (``_ms``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

from grove.path_params import TAG_MAX_CHARS
from grove.slugs import SLUG_MAX_CHARS, SLUG_PATTERN
from grove.tenant_rpc import DraftSummary
from grove.tiers import StorageLocation, rule_for_location

PostStatus = Literal["draft", "published", "archived"]
Role = Literal["owner", "author", "reader"]
TenantTier = Literal["seedling", "sapling", "oak", "evergreen"]

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=SLUG_MAX_CHARS)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=TAG_MAX_CHARS)]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
# Body size is capped at 1 MiB before parsing; this keeps one field from taking all of it.
MarkdownText = Annotated[str, StringConstraints(max_length=900_000)]
Tags = Annotated[list[Tag], Field(max_length=20)]
# A draft may be untitled; publishing it needs a title (PostCreate says so).
DraftTitle = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
# Device and session ids are chosen by clients: short, URL-safe, nothing to escape.
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
HEX_COLOUR_PATTERN = r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
HexColour = Annotated[str, StringConstraints(pattern=HEX_COLOUR_PATTERN)]
Version = Annotated[int, Field(strict=True, ge=1)]

_INPUT = ConfigDict(extra="forbid")


class GroveModel(BaseModel):
    """Every payload model's base. ``defer_build``: pydantic builds a model's validator and
    serializer on first use instead of at class creation. Building them all at import was most
    of the app's own import time under Pyodide (``bench/pyodide_import.py``), paid by every cold
    isolate, while a request uses only a few models. Subclasses' configs merge with this one."""

    model_config = ConfigDict(defer_build=True)


# --- requests -------------------------------------------------------------------------------


class PostCreate(GroveModel):
    model_config = _INPUT

    title: Title
    slug: Slug | None = None  # derived from the title when absent
    markdown: MarkdownText = ""
    description: Description = ""
    tags: Tags = Field(default_factory=list)
    status: PostStatus = "draft"


class PartialUpdate(GroveModel):
    """A partial update: only the fields sent change (``null`` is not a value for any)."""

    model_config = _INPUT

    @model_validator(mode="after")
    def _something_and_no_nulls(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        for name in self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class PostUpdate(PartialUpdate):
    title: Title | None = None
    slug: Slug | None = None
    markdown: MarkdownText | None = None
    description: Description | None = None
    tags: Tags | None = None
    status: PostStatus | None = None


class DraftMetadata(GroveModel):
    model_config = _INPUT

    title: DraftTitle = ""
    description: Description = ""
    tags: Tags = Field(default_factory=list)
    # The draft of an existing post: the slug it gets when published (a rename). Ignored for
    # the draft of a new post, which is named by its URL.
    slug: Slug | None = None


class DraftPut(GroveModel):
    """``PUT /api/drafts/{slug}``: the text, and the version it was edited from (absent for
    a draft the client believes is new). The size cap is checked on the whole draft."""

    model_config = _INPUT

    content: str
    metadata: DraftMetadata = Field(default_factory=DraftMetadata)
    device_id: ClientId
    base_version: Version | None = None


class DraftPublish(GroveModel):
    """``POST /api/drafts/{slug}/publish``: optionally the version the author is looking at."""

    model_config = _INPUT

    version: Version | None = None


EventType = Literal["page_view", "read_complete", "link_click"]


class AnalyticsEvent(GroveModel):
    model_config = _INPUT

    type: EventType
    path: Annotated[str, StringConstraints(pattern=r"^/\S*$", max_length=512)]
    ts_ms: Annotated[int, Field(strict=True, ge=0)]
    referrer: Annotated[str, StringConstraints(max_length=1024)] | None = None
    session_id: ClientId | None = None


class ThemeUpdate(GroveModel):
    """Theme keys to change; ``null`` puts a key back to its default."""

    model_config = _INPUT

    accent: HexColour | None = None
    tagline: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class ConfigUpdate(PartialUpdate):
    """``PUT /api/config``: what an owner may change."""

    display_name: NameText | None = None
    theme: ThemeUpdate | None = None

    def theme_patch(self) -> dict[str, Any]:
        """A JSON merge patch (RFC 7396) for the stored theme: sent keys only."""
        return self.theme.model_dump(exclude_unset=True) if self.theme is not None else {}


# --- stored and returned --------------------------------------------------------------------


class PostSummary(GroveModel):
    """A post as lists show it."""

    id: str
    slug: str
    title: str
    description: str
    tags: list[str]
    word_count: int
    reading_time_min: int
    published_at_ms: int | None


class PublicPost(PostSummary):
    """A post as readers get it (pages, the JSON twin, the KV copy): no markdown source."""

    status: PostStatus
    html: str
    updated_at_ms: int
    author_id: str
    # The author's display name as of the read (grove.authors); "" in copies cached before
    # posts carried it, or for an author with no account (pages then show the id).
    author_name: str = ""


class AuthorPost(PublicPost):
    """A post as its authors get it (API writes, credentialed reads)."""

    markdown: str
    storage_location: StorageLocation
    created_at_ms: int
    # The content version (in the post's PostContentDO) this text is; None: written before
    # versions existed.
    content_version: int | None = None


class PostLink(GroveModel):
    """Another post, as a link to it shows it (previous/next)."""

    id: str
    slug: str
    title: str


class Neighbours(GroveModel):
    """The published posts just after (``newer``) and before (``older``) a post."""

    newer: PostLink | None = None
    older: PostLink | None = None


class CachedPost(GroveModel):
    """The KV copy of a post: the reader view, its neighbours and where its content lives (for
    its TTLs), or ``post = None``: a tombstone for a slug that readers cannot see, which
    ``moved_to`` names the slug of the post renamed away from it (a 301), if any."""

    post: PublicPost | None = None
    storage_location: StorageLocation | None = None
    neighbours: Neighbours = Field(default_factory=Neighbours)
    moved_to: str | None = None

    @classmethod
    def of(cls, post: AuthorPost | None, neighbours: Neighbours | None = None, moved_to: str | None = None) -> CachedPost:
        """What readers may see of ``post``: the post, or a tombstone for a draft or no post.
        Readers store this on a miss and writers on a write (write-through): one definition."""
        if post is None or post.status == "draft":
            return cls(moved_to=moved_to)
        return cls(
            post=PublicPost.model_validate(post.model_dump()),
            storage_location=post.storage_location,
            neighbours=neighbours or Neighbours(),
        )

    def kv_ttl_s(self) -> int:
        return rule_for_location(self.storage_location or "d1").kv_ttl_s


class PostPage(GroveModel):
    """One page of a list, newest first. ``page`` is the page's number when it was asked for by
    number (the first few), None when reached by cursor; the cursors lead to the next older and
    newer pages (None at either end)."""

    posts: list[PostSummary]
    page: int | None
    has_more: bool
    older_cursor: str | None = None
    newer_cursor: str | None = None


# --- tenants and tokens ---------------------------------------------------------------------


class Theme(GroveModel):
    model_config = ConfigDict(extra="allow")

    accent: str | None = None
    tagline: str | None = None


class TenantConfig(GroveModel):
    subdomain: str
    display_name: str
    theme: Theme = Field(default_factory=Theme)
    tier: TenantTier = "seedling"
    limits: dict[str, Any] = Field(default_factory=dict)
    updated_at_ms: int


class TokenClaims(GroveModel):
    """JWT claims (RFC 7519 names; ``exp``/``iat`` are NumericDate, i.e. seconds)."""

    model_config = ConfigDict(extra="ignore")

    sub: Annotated[str, StringConstraints(min_length=1)]
    tenant: Annotated[str, StringConstraints(min_length=1)]
    role: Role
    exp: int
    iat: int | None = None
    nbf: int | None = None
    # The id of its row in ``credentials`` (grove.sessions): short ASCII only.
    jti: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$")]


# --- API replies (the OpenAPI document describes each route's body with these) -------------


class ErrorDetail(GroveModel):
    """``error`` of every refusal: a stable machine-readable ``code`` and a message for people;
    some codes add fields (``field`` for 422, ``server`` for a draft conflict)."""

    model_config = ConfigDict(extra="allow")

    code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    message: str


class ErrorBody(GroveModel):
    """The one error shape: ``{"error": {"code": ..., "message": ...}}``."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


class PostList(PostPage):
    """``GET /api/posts``: a page of published posts and the next page's number (None: last)."""

    next_page: int | None


class DeletedPostRef(GroveModel):
    id: str
    slug: str


class PostDeleted(GroveModel):
    deleted: DeletedPostRef


class EventsAcceptedReply(GroveModel):
    accepted: int


class LogoutReply(GroveModel):
    revoked: bool
    jti: str
    until_s: int


class DraftList(TypedDict):
    drafts: list[DraftSummary]


class DraftSaveBody(DraftSummary):
    outcome: Literal["saved", "unchanged"]


class DraftDeletedBody(TypedDict):
    deleted: DraftSummary


class PublishReply(GroveModel):
    post: AuthorPost
    draft_removed: bool
    # The draft of an existing post: the fields publishing wrote (absent for a new post).
    changed: list[str] | None = None


# --- accounts and sign-in -------------------------------------------------------------------

MemberRole = Literal["owner", "author"]
# Characters that reorder or hide the text shown after a name (Unicode's bidirectional
# embeddings, overrides and isolates, UAX #9 §2; the implicit marks), plus control characters:
# a name showing "‮moc.elgoog" would read as another name in bylines and comments.
_NAME_REFUSED = frozenset(
    [*map(chr, range(0x00, 0x20)), "\x7f", *map(chr, range(0x80, 0xA0)),
     "\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))]
)


def _shown_as_typed(name: str) -> str:
    if any(ch in _NAME_REFUSED for ch in name):
        raise ValueError("a name may not hold control or text-direction characters")
    return name


NameText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), AfterValidator(_shown_as_typed)
]
DisplayName = NameText
# Checked again by grove.addresses (the exact rule); the bound keeps hostile input small.
EmailText = Annotated[str, StringConstraints(max_length=320)]
NextText = Annotated[str, StringConstraints(max_length=4000)]


class EmailLinkRequest(GroveModel):
    """``POST /api/auth/email-link``: where to send a sign-in link, and the path to land on."""

    model_config = _INPUT

    email: EmailText
    next: NextText | None = None


class EmailLinkReply(GroveModel):
    accepted: bool
    message: str


class SignedIn(GroveModel):
    signed_in: bool
    next: str


class UserInfo(GroveModel):
    id: str
    email: str
    display_name: str


class ProfileUpdate(GroveModel):
    """``PATCH /api/me``: what an account may change of itself."""

    model_config = _INPUT

    display_name: DisplayName


class ProfileReply(GroveModel):
    user: UserInfo
    # Whether the name changed (False: it already was this one; nothing was retired).
    changed: bool


class MembershipInfo(GroveModel):
    tenant: str
    role: MemberRole
    display_name: str


class MeReply(GroveModel):
    """``GET /api/me``: the account, its memberships, and its role on this host's blog."""

    user: UserInfo
    memberships: list[MembershipInfo]
    role_here: Role | None
    via: Literal["bearer", "cookie"]


class SessionsRevoked(GroveModel):
    revoked_sessions: int


class BlogCreate(GroveModel):
    """``POST /api/blogs``: claim a free subdomain."""

    model_config = _INPUT

    subdomain: Annotated[str, StringConstraints(max_length=63)]
    display_name: DisplayName


class BlogCreated(GroveModel):
    subdomain: str
    display_name: str
    url: str
    role: MemberRole


class InviteCreate(GroveModel):
    model_config = _INPUT

    email: EmailText
    role: MemberRole = "author"


class InviteSent(GroveModel):
    invited: str
    role: MemberRole
    expires_at_ms: int


class MemberInfo(GroveModel):
    user_id: str
    email: str
    display_name: str
    role: MemberRole
    created_at_ms: int


class MemberList(GroveModel):
    members: list[MemberInfo]


class MemberRemoved(GroveModel):
    removed: str
    role: MemberRole


class TokenCreate(GroveModel):
    """``POST /api/tokens``: a personal API token for this blog, at most the caller's role."""

    model_config = _INPUT

    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    role: MemberRole | None = None
    ttl_s: Annotated[int, Field(strict=True, ge=60, le=30 * 24 * 3600)] = 30 * 24 * 3600


class TokenInfo(GroveModel):
    id: str
    label: str
    tenant: str
    role: MemberRole
    created_at_ms: int
    expires_at_ms: int
    revoked_at_ms: int | None


class TokenCreated(TokenInfo):
    token: str


class TokenList(GroveModel):
    tokens: list[TokenInfo]


class TokenRevoked(GroveModel):
    revoked: str
