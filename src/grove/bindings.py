"""What grove-edge relies on from the Workers platform, as types: ``env`` and its bindings
(D1, KV, R2, Durable Object namespaces), the execution context, a Durable Object's state and
storage, the Cache API, and the shapes of D1 results.

Only the methods the app calls are listed, with the call shapes of Cloudflare's docs and the
project's checked platform notes (shared/PLATFORM.md). Nothing here runs: these are Protocols,
satisfied structurally by production's SDK-wrapped JS objects (workers-runtime-sdk converts
results to dicts, lists and None) and by the local runtime's CPython bindings alike. ``grove.platform`` is the one module
that imports the runtime; this is the other half of that seam, the part the type checker sees.

Binding methods keep the platform's camelCase names (``idFromName``, ``expirationTtl``):
they are the JS API's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, Literal, Protocol, Self, TypeAlias, TypedDict, TypeVar, overload

from grove.feed_rpc import AuthorPostsStub, FeedStub
from grove.post_content_rpc import PostContentStub
from grove.post_meta_rpc import PostMetaStub
from grove.rate_limit_rpc import RateLimiterStub
from grove.tenant_rpc import TenantStub

# A row's shape is decided by its SQL, so statements and cursors carry it as a type
# parameter: a caller names the row TypedDict where it reads rows
# (``stmt: D1PreparedStatement[PostRow] = db.prepare(...)``).
Row = TypeVar("Row")
T = TypeVar("T")
Stub = TypeVar("Stub", covariant=True)

# What D1 and Durable Object SQL bind and return per column.
SqlValue: TypeAlias = str | int | float | bytes | None

# JSON as json.loads returns it (what KV's ``type="json"`` reads).
JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None


# --- D1 ---------------------------------------------------------------------------------------


class D1Meta(TypedDict):
    changes: int
    last_row_id: int
    rows_read: int
    rows_written: int


class D1Result(TypedDict, Generic[Row]):
    results: list[Row]
    success: bool
    meta: D1Meta


class D1PreparedStatement(Protocol[Row]):
    def bind(self, *values: SqlValue) -> Self: ...

    async def first(self) -> Row | None: ...

    async def all(self) -> D1Result[Row]: ...

    async def run(self) -> D1Result[Row]: ...


class D1Database(Protocol):
    # The row type is the caller's to name (see ``Row``): D1 cannot know it.
    def prepare(self, query: str) -> D1PreparedStatement[Any]: ...

    async def batch(self, statements: Sequence[D1PreparedStatement[Any]]) -> list[D1Result[Any]]: ...


# --- KV ---------------------------------------------------------------------------------------


class KVNamespace(Protocol):
    @overload
    async def get(self, key: str) -> str | None: ...

    @overload
    async def get(self, key: str, type: Literal["json"]) -> JsonValue: ...

    async def put(
        self, key: str, value: str, *, expiration: int | None = None, expirationTtl: int | None = None
    ) -> None: ...

    async def delete(self, key: str) -> None: ...


# --- R2 ---------------------------------------------------------------------------------------


class R2HttpMetadata(TypedDict, total=False):
    contentType: str


class R2ObjectBody(Protocol):
    async def text(self) -> str: ...


class R2Bucket(Protocol):
    async def get(self, key: str) -> R2ObjectBody | None: ...

    async def put(
        self, key: str, value: str | bytes, *, httpMetadata: R2HttpMetadata | None = None,
        customMetadata: dict[str, str] | None = None, sha256: str | None = None,
    ) -> object: ...

    async def delete(self, key: str | list[str]) -> None: ...


# --- Durable Objects --------------------------------------------------------------------------


class DurableObjectId(Protocol):
    # Only an id made by ``idFromName`` carries it; others (and, after a restart, the id an
    # alarm arrives with) have none, so read it with ``getattr(id, "name", None)``.
    name: str | None


class DurableObjectNamespace(Protocol[Stub]):
    def idFromName(self, name: str) -> DurableObjectId: ...

    def get(self, id: DurableObjectId) -> Stub: ...


class SqlCursor(Protocol[Row]):
    def one(self) -> Row: ...

    def toArray(self) -> list[Row]: ...

    @property
    def rowsWritten(self) -> int: ...


class SqlStorage(Protocol):
    # Synchronous, like the JS API. The row type is the caller's to name (see ``Row``).
    def exec(self, query: str, *bindings: SqlValue) -> SqlCursor[Any]: ...


class DurableObjectStorage(Protocol):
    @property
    def sql(self) -> SqlStorage: ...

    async def getAlarm(self) -> int | None: ...

    async def setAlarm(self, scheduled_time_ms: int) -> None: ...

    async def deleteAlarm(self) -> None: ...


class DurableObjectState(Protocol):
    """A Durable Object's ``ctx``."""

    @property
    def id(self) -> DurableObjectId: ...

    @property
    def storage(self) -> DurableObjectStorage: ...

    async def blockConcurrencyWhile(self, callback: Callable[[], Awaitable[T]]) -> T: ...

    # Hibernation API: the runtime holds the socket; the object may be evicted meanwhile.
    def acceptWebSocket(self, ws: WebSocket, tags: list[str] | None = None) -> None: ...

    def getWebSockets(self, tag: str | None = None) -> list[WebSocket]: ...


class WebSocket(Protocol):
    """The server end of a WebSocket pair (a JS object in production)."""

    def send(self, message: str) -> None: ...

    def close(self, code: int = 1000, reason: str = "") -> None: ...

    # Survives hibernation with the socket (at most 2,048 bytes, structured clone).
    def serializeAttachment(self, value: object) -> None: ...

    def deserializeAttachment(self) -> Any: ...


# --- Workers ----------------------------------------------------------------------------------


class ExecutionContext(Protocol):
    """A Worker invocation's ``ctx``: work that may outlive the response."""

    def waitUntil(self, task: Awaitable[object]) -> None: ...


# --- Queues ------------------------------------------------------------------------------------


class QueueSendRequest(TypedDict, total=False):
    body: JsonValue
    contentType: Literal["text", "bytes", "json", "v8"]
    delaySeconds: int


class QueueBacklog(TypedDict):
    backlogCount: int
    backlogBytes: int


class QueueSendMetadata(TypedDict):
    metrics: QueueBacklog


class QueueSendResponse(TypedDict):
    """What a send resolves to (workerd's QueueSendResponse)."""

    metadata: QueueSendMetadata


class Queue(Protocol):
    """A ``[[queues.producers]]`` binding. Keyword arguments are the JS options object."""

    async def send(self, body: JsonValue, *, contentType: str = ..., delaySeconds: int = ...) -> QueueSendResponse: ...

    async def sendBatch(self, messages: Sequence[QueueSendRequest], *, delaySeconds: int = ...) -> QueueSendResponse: ...


class QueueMessage(Protocol):
    """One message of a consumer's batch (the SDK hands the body over as Python values)."""

    @property
    def id(self) -> str: ...

    @property
    def body(self) -> Any: ...

    @property
    def attempts(self) -> int: ...

    def ack(self) -> None: ...

    def retry(self, *, delaySeconds: int = ...) -> None: ...


class MessageBatch(Protocol):
    """What a ``queue`` handler receives."""

    @property
    def queue(self) -> str: ...

    @property
    def messages(self) -> Sequence[QueueMessage]: ...

    def ackAll(self) -> None: ...

    def retryAll(self, *, delaySeconds: int = ...) -> None: ...


class ScheduledController(Protocol):
    """What a ``scheduled`` handler is called with."""

    cron: str
    scheduledTime: int  # ms since the epoch


class D1Env(Protocol):
    """What every grove Worker binds (the cron migrator binds no more than this that it uses)."""

    DB: D1Database


class Env(D1Env, Protocol):
    """The main Worker's bindings (wrangler.toml), as the app reads them. Vars and secrets
    are read by name in ``grove.settings``."""

    CACHE_KV: KVNamespace
    CONTENT: R2Bucket
    TENANTS: DurableObjectNamespace[TenantStub]
    POST_CONTENT: DurableObjectNamespace[PostContentStub]
    RATE_LIMITER: DurableObjectNamespace[RateLimiterStub]
    POST_META: DurableObjectNamespace[PostMetaStub]
    FEEDS: DurableObjectNamespace[FeedStub]
    AUTHOR_POSTS: DurableObjectNamespace[AuthorPostsStub]
    MEADOW_FANOUT: Queue


# --- Cache API (``caches.default``; no SDK wrapper) -------------------------------------------


class Cache(Protocol):
    # Responses here are JS Response objects (``workers.Response.js_object``): opaque to Python.
    async def match(self, request: str) -> object | None: ...

    async def put(self, request: str, response: object) -> None: ...

    async def delete(self, request: str) -> bool: ...
