"""Meadow's fan-out: a post's change reaches its author's followers through Cloudflare Queues.

The write path (``grove.post_writes``) sends one ``PostChanged`` message per reader-visible
write (publish, edit, unpublish, delete) to ``env.MEADOW_FANOUT``; the main Worker's ``queue``
handler (``entry.Default.queue``) runs ``handle_batch``. Every message is *state-based*: a
handler reads the post's current state from D1 and makes the copies match it (insert or
refresh by post id, or remove), so a repeat, a retry or two messages out of order end the
same way (idempotent), and an edit or unpublish reaches the pushed copies like a publish.

- ``PostChanged`` (author known): counts the author's followers and recent posts (one D1
  query) and picks the path (``grove.meadow_policy.is_pull_author``):
  - **pull** (over the threshold): the post goes to (or leaves) the author's
    ``AuthorPostsDO``, one RPC, and no follower's feed is written. The first time an author
    crosses the threshold they are recorded in D1 ``meadow_pull_authors`` and every active
    follower's feed is told once (``MarkPull``): it drops the pushed copies and reads the
    store from then on.
  - **push**: the followers active in the last 7 days (``feed_activity``) are read by keyset,
    ``FOLLOWER_PAGE`` per query, and sent as ``Push`` messages of ``FANOUT_CHUNK_FOLLOWERS``;
    at most ``EXPAND_PAGES`` pages per message, the rest in a continuation message (``after``),
    so no invocation nears the 1,000 subrequests a Worker invocation may make.
- ``Push``: reads the post once, then one RPC per follower's FeedDO (``add_items`` or
  ``remove_posts``), concurrently.
- ``MarkPull``: one ``mark_pull`` RPC per follower's FeedDO.

A message whose handler raises is retried (``max_retries`` in wrangler.toml); one that never
succeeds (a poison message: malformed, or failing every time) lands in the dead-letter queue
``meadow-fanout-dlq`` and is logged here; the local runtime counts it in ``/__stats``
(``queue.dead_lettered``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, Literal, TypedDict

from pydantic import Field, TypeAdapter, ValidationError

from grove.bindings import D1PreparedStatement, Env, MessageBatch, QueueSendRequest
from grove.clock import now_ms
from grove.feed_d1 import published_item
from grove.feed_rpc import FeedStub
from grove.meadow_policy import (
    FANOUT_CHUNK_FOLLOWERS,
    FEED_ACTIVE_WINDOW_MS,
    FOLLOWER_PAGE,
    POSTING_RATE_WINDOW_MS,
    PULL_THRESHOLD_VAR,
    author_object_name,
    feed_object_name,
    is_pull_author,
    pull_threshold,
)
from grove.models import GroveModel

log = logging.getLogger("grove.fanout")

# Follower pages one PostChanged message expands (the rest go to a continuation message):
# 5 D1 queries + 1 sendBatch of 100 Push messages.
EXPAND_PAGES = 5
SEND_BATCH_MAX = 100  # Queues: messages per sendBatch
# wrangler.toml's [[queues.consumers]] dead_letter_queue of meadow-fanout (consumed here too).
DEAD_LETTER_QUEUE = "meadow-fanout-dlq"


class PostChanged(GroveModel):
    kind: Literal["post"] = "post"
    post_id: str = Field(min_length=1, max_length=64)
    author_id: str = Field(min_length=1, max_length=64)
    # A continuation: the push expansion goes on after this follower id (the path is push).
    after: str | None = Field(default=None, max_length=64)


class Push(GroveModel):
    kind: Literal["push"] = "push"
    post_id: str = Field(min_length=1, max_length=64)
    followers: list[str] = Field(min_length=1, max_length=FANOUT_CHUNK_FOLLOWERS)


class MarkPull(GroveModel):
    kind: Literal["mark_pull"] = "mark_pull"
    author_id: str = Field(min_length=1, max_length=64)
    followers: list[str] = Field(min_length=1, max_length=FANOUT_CHUNK_FOLLOWERS)


FanoutMessage = Annotated[PostChanged | Push | MarkPull, Field(discriminator="kind")]
_MESSAGE = TypeAdapter[PostChanged | Push | MarkPull](FanoutMessage)


class _AuthorStats(TypedDict):
    followers: int
    recent_posts: int
    pull_since_ms: int | None


class _Follower(TypedDict):
    follower_id: str


_STATS = (
    "SELECT (SELECT COUNT(*) FROM follows WHERE author_id = ?1) AS followers,"
    " (SELECT COUNT(*) FROM posts WHERE author_id = ?1 AND status = 'published' AND published_at_ms > ?2) AS recent_posts,"
    " (SELECT since_ms FROM meadow_pull_authors WHERE author_id = ?1) AS pull_since_ms"
)
# follows_by_author (author_id, follower_id) in keyset order, feed_activity by its key.
_ACTIVE_FOLLOWERS = (
    "SELECT f.follower_id FROM follows f JOIN feed_activity a ON a.user_id = f.follower_id"
    " WHERE f.author_id = ?1 AND f.follower_id > ?2 AND a.active_at_ms >= ?3"
    " ORDER BY f.follower_id LIMIT ?4"
)


async def post_changed(env: Env, post_id: str, author_id: str) -> None:
    """Enqueue the fan-out of a reader-visible write. The post itself is already durable in
    D1; if the queue does not take the message, followers' copies catch up when their feeds
    rebuild, so the write is not refused for it (logged)."""
    try:
        await env.MEADOW_FANOUT.send(PostChanged(post_id=post_id, author_id=author_id).model_dump(), contentType="json")
    except Exception:
        log.exception("fan-out of post %s not enqueued; followers' feeds catch up at their rebuild", post_id)


async def handle_batch(batch: MessageBatch, env: Env) -> None:
    """The ``queue`` handler's body: each message acknowledged when handled, retried when not.
    The dead-letter queue's batches are poison messages: reported and acknowledged."""
    for message in batch.messages:
        if batch.queue == DEAD_LETTER_QUEUE:
            log.error("fan-out message dead-lettered after %d attempts: %r", message.attempts, message.body)
            message.ack()
            continue
        try:
            parsed = _MESSAGE.validate_python(message.body)
        except ValidationError as exc:
            log.error("malformed fan-out message %r (attempt %d): %s", message.body, message.attempts, exc)
            message.retry()  # never succeeds: it reaches the dead-letter queue after max_retries
            continue
        try:
            await _handle(parsed, env)
        except Exception:
            log.exception("fan-out message %s failed (attempt %d); retried", parsed.kind, message.attempts)
            message.retry()
        else:
            message.ack()


async def _handle(message: PostChanged | Push | MarkPull, env: Env) -> None:
    if isinstance(message, Push):
        await _push(message, env)
    elif isinstance(message, MarkPull):
        await asyncio.gather(*(_feed(env, f).mark_pull(message.author_id) for f in message.followers))
    elif message.after is None:
        await _first_expansion(message, env)
    else:
        await _expand(message, env, message.after)


async def _first_expansion(message: PostChanged, env: Env) -> None:
    now = now_ms()
    stats_query: D1PreparedStatement[_AuthorStats] = env.DB.prepare(_STATS)
    stats = await stats_query.bind(message.author_id, now - POSTING_RATE_WINDOW_MS).first()
    assert stats is not None  # a SELECT of scalar subqueries always has its row
    threshold = pull_threshold(getattr(env, PULL_THRESHOLD_VAR, None))
    pull = stats["pull_since_ms"] is not None or is_pull_author(stats["followers"], stats["recent_posts"], threshold)
    if not pull:
        await _expand(message, env, "")
        return
    store = env.AUTHOR_POSTS.get(env.AUTHOR_POSTS.idFromName(author_object_name(message.author_id)))
    item = await published_item(env.DB, message.post_id)
    if item is None:
        await store.remove_posts([message.post_id])
    else:
        await store.put_post(item)
    if stats["pull_since_ms"] is None:
        await _become_pull(message.author_id, env, now)


async def _become_pull(author_id: str, env: Env, now: int) -> None:
    """Record the author as pull and tell every active follower's feed (once)."""
    await env.DB.prepare(
        "INSERT INTO meadow_pull_authors (author_id, since_ms) VALUES (?1, ?2) ON CONFLICT (author_id) DO NOTHING"
    ).bind(author_id, now).run()
    after = ""
    while True:
        followers = await _active_followers(env, author_id, after, FOLLOWER_PAGE)
        await _send_chunks(env, [MarkPull(author_id=author_id, followers=c).model_dump() for c in _chunks(followers)])
        if len(followers) < FOLLOWER_PAGE:
            return
        after = followers[-1]


async def _expand(message: PostChanged, env: Env, after: str) -> None:
    """Push messages for up to ``EXPAND_PAGES`` pages of active followers after ``after``,
    and a continuation message when there are more."""
    requests: list[dict[str, Any]] = []
    for _ in range(EXPAND_PAGES):
        followers = await _active_followers(env, message.author_id, after, FOLLOWER_PAGE)
        requests.extend(Push(post_id=message.post_id, followers=c).model_dump() for c in _chunks(followers))
        if len(followers) < FOLLOWER_PAGE:
            await _send_chunks(env, requests)
            return
        after = followers[-1]
    more = PostChanged(post_id=message.post_id, author_id=message.author_id, after=after)
    await _send_chunks(env, [*requests, more.model_dump()])


async def _push(message: Push, env: Env) -> None:
    item = await published_item(env.DB, message.post_id)
    if item is None:
        await asyncio.gather(*(_feed(env, f).remove_posts([message.post_id]) for f in message.followers))
    else:
        await asyncio.gather(*(_feed(env, f).add_items([item]) for f in message.followers))


async def _active_followers(env: Env, author_id: str, after: str, limit: int) -> list[str]:
    select: D1PreparedStatement[_Follower] = env.DB.prepare(_ACTIVE_FOLLOWERS)
    result = await select.bind(author_id, after, now_ms() - FEED_ACTIVE_WINDOW_MS, limit).all()
    return [row["follower_id"] for row in result["results"]]


def _chunks(followers: list[str]) -> list[list[str]]:
    return [followers[i : i + FANOUT_CHUNK_FOLLOWERS] for i in range(0, len(followers), FANOUT_CHUNK_FOLLOWERS)]


async def _send_chunks(env: Env, bodies: list[dict[str, Any]]) -> None:
    messages: list[QueueSendRequest] = [{"body": body, "contentType": "json"} for body in bodies]
    for start in range(0, len(messages), SEND_BATCH_MAX):
        await env.MEADOW_FANOUT.sendBatch(messages[start : start + SEND_BATCH_MAX])


def _feed(env: Env, user_id: str) -> FeedStub:
    return env.FEEDS.get(env.FEEDS.idFromName(feed_object_name(user_id)))
