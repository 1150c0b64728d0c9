"""Meadow's API: the follow graph and the signed-in user's feed.

- ``POST|DELETE /api/meadow/follows/{author_id}``: follow (201, or 200 when already
  following) and unfollow (200, also when there was nothing to remove). A follow backfills the
  user's FeedDO with the author's recent posts; an unfollow removes the author's items from it
  at once.
- ``GET /api/meadow/follows/{author_id}``: whether the caller follows the author (the "Follow
  on Meadow" button asks this).
- ``GET /api/meadow/follows?cursor=&limit=``: the caller's follows, newest first (keyset).
- ``GET /api/meadow/feed?limit=&cursor=&sort=recent|relevance``: a page of the feed, answered
  by the caller's FeedDO (``durable_objects.feed``) with no D1 query once the feed is built.
- ``POST /api/meadow/reactions/{post_id}``: toggle the caller's reaction on a post shown in
  the feed (``grove.routes.post_meta_api.toggle_on``: the same object, rate limit and reply as
  the blog's own route, the post found by id, since the Meadow host names no blog).
- ``GET /api/meadow/trending``: posts across every blog ranked by recent engagement
  (``grove.trending``, recomputed by the cron): the same for everyone, so public and cacheable;
  one KV read.

Where they answer: on every platform host (``meadow.{ROOT_DOMAIN}``, every blog's host,
later custom domains), because sessions are host-only cookies: the button on
``autumn.{root}``'s post pages calls its own host with that host's session, the Meadow page
calls ``meadow.{root}``. What they read and write is the *user's* (follows are between people,
not blogs), so the host changes nothing in the answer. Signed-in callers only (a session or a
bearer token; cookie writes pass the CSRF check of ``open_visit``); every reply is
``private, no-store`` with ``Vary: Cookie, Authorization``.
"""

from __future__ import annotations

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

from grove import follows, rate_limit, trending
from grove.bindings import D1PreparedStatement, Env, ExecutionContext
from grove.cache_policy import PRIVATE_NO_STORE, TRENDING_CACHE_CONTROL, VARY_CREDENTIALS
from grove.clock import now_ms
from grove.engagement import ReactionToggle
from grove.errors import HttpError, conflict, not_found, validation_error
from grove.feed_cursors import FEED_SORTS, FeedSort, decode_feed_cursor
from grove.feed_rpc import FeedPage, FeedStub
from grove.follows import FollowPage
from grove.http import json_response, query_int, query_value
from grove.limits import Rule
from grove.meadow_policy import (
    FEED_PAGE_DEFAULT,
    FEED_PAGE_MAX,
    FOLLOW_MAX,
    FOLLOWS_PAGE_DEFAULT,
    FOLLOWS_PAGE_MAX,
    feed_object_name,
)
from grove.pagination import CURSOR_MAX_CHARS, Cursor, bad_cursor
from grove.platform import Request, Response
from grove.post_meta_rpc import ReactionToggled
from grove.router import QueryInt, QueryText, Router
from grove.routes.post_meta_api import PostRef, toggle_on
from grove.routes.visit import Visit, open_visit
from grove.sessions import Caller
from grove.trending import TrendingList

_PRIVATE = {"cache-control": PRIVATE_NO_STORE, "vary": VARY_CREDENTIALS}
FEED_RETRY_AFTER_S = 5


class FollowState(TypedDict):
    author_id: str
    following: bool
    followed_at_ms: int | None


class Followed(FollowState):
    backfilled: int  # the author's posts now in the caller's feed


class Unfollowed(FollowState):
    removed: int  # the author's items taken out of the caller's feed


def register(router: Router) -> None:
    cursor = QueryText(CURSOR_MAX_CHARS, "An opaque position from the previous page's next_cursor (400 bad_cursor if malformed).")
    follow_path = "/api/meadow/follows/{author_id}"
    router.add("POST", follow_path, follow, access="token", summary="Follow an author on Meadow (backfills the feed).", request_required=False, response=Followed, statuses=(201, 200))
    router.add("DELETE", follow_path, unfollow, access="token", summary="Unfollow an author (their items leave the feed at once).", response=Unfollowed)
    router.add("GET", follow_path, follow_state, access="token", summary="Whether the caller follows an author.", response=FollowState)
    router.add("GET", "/api/meadow/follows", list_follows, access="token", summary="The caller's follows, newest first (keyset pages).", response=FollowPage, query={
        "cursor": cursor, "limit": QueryInt(1, FOLLOWS_PAGE_MAX, f"Follows per page (default {FOLLOWS_PAGE_DEFAULT})."),
    })
    router.add(
        "POST", "/api/meadow/reactions/{post_id}", react, access="token", summary="Toggle the caller's reaction on a post of the feed.",
        request=ReactionToggle, response=ReactionToggled,
    )
    router.add("GET", "/api/meadow/trending", trending_list, access="public", summary="Posts across all blogs ranked by recent engagement.", response=TrendingList)
    router.add("GET", "/api/meadow/feed", feed, access="token", summary="A page of the caller's Meadow feed.", response=FeedPage, query={
        "cursor": cursor,
        "limit": QueryInt(1, FEED_PAGE_MAX, f"Items per page (default {FEED_PAGE_DEFAULT})."),
        "sort": QueryText(9, "recent (newest first, the default) or relevance (grove.feed_scoring; a stable snapshot per cursor)."),
    })


def feed_stub(env: Env, user_id: str) -> FeedStub:
    namespace = env.FEEDS
    return namespace.get(namespace.idFromName(feed_object_name(user_id)))


def _feed_unavailable() -> HttpError:
    return HttpError(
        503, "feed_unavailable", "The feed could not be updated just now; try again.",
        headers={"retry-after": str(FEED_RETRY_AFTER_S)},
    )


async def _caller(request: Request, env: Env, ctx: ExecutionContext) -> Caller:
    return (await open_visit(request, env, ctx)).require_caller()


async def follow(request: Request, env: Env, ctx: ExecutionContext, author_id: str) -> Response:
    caller = await _caller(request, env, ctx)
    user_id = caller.user["id"]
    if author_id == user_id:
        raise validation_error("author_id", "author_id: you cannot follow yourself")
    await rate_limit.enforce(env, Rule.FOLLOW, rate_limit.user_subject(user_id))
    outcome = await follows.follow(env.DB, user_id, author_id, now_ms())
    if outcome.kind == "no_author":
        raise not_found("There is no author with this id.")
    if outcome.kind == "full":
        raise conflict("follow_limit", f"You follow {FOLLOW_MAX} authors already; unfollow one first.")
    assert outcome.followed_at_ms is not None
    # D1 holds the follow; the feed is derived from it. If the object cannot take the
    # backfill now, the follow stands and repeating the call (idempotent) backfills then.
    try:
        applied = await feed_stub(env, user_id).follow(author_id, outcome.followed_at_ms)
    except Exception:
        raise _feed_unavailable() from None
    body: Followed = {
        "author_id": author_id, "following": True, "followed_at_ms": outcome.followed_at_ms,
        "backfilled": applied["backfilled"],
    }
    return json_response(body, status=201 if outcome.kind == "new" else 200, headers=_PRIVATE)


async def unfollow(request: Request, env: Env, ctx: ExecutionContext, author_id: str) -> Response:
    caller = await _caller(request, env, ctx)
    user_id = caller.user["id"]
    await rate_limit.enforce(env, Rule.FOLLOW, rate_limit.user_subject(user_id))
    await follows.unfollow(env.DB, user_id, author_id)
    try:
        removed = await feed_stub(env, user_id).unfollow(author_id)
    except Exception:
        # D1 no longer has the follow, so the feed's next rebuild drops the items anyway;
        # the caller retries to have them gone now.
        raise _feed_unavailable() from None
    body: Unfollowed = {"author_id": author_id, "following": False, "followed_at_ms": None, "removed": removed["removed"]}
    return json_response(body, headers=_PRIVATE)


async def follow_state(request: Request, env: Env, ctx: ExecutionContext, author_id: str) -> Response:
    caller = await _caller(request, env, ctx)
    at_ms = await follows.followed_at(env.DB, caller.user["id"], author_id)
    body: FollowState = {"author_id": author_id, "following": at_ms is not None, "followed_at_ms": at_ms}
    return json_response(body, headers=_PRIVATE)


async def list_follows(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    caller = await _caller(request, env, ctx)
    limit = query_int(request, "limit", 1, FOLLOWS_PAGE_MAX) or FOLLOWS_PAGE_DEFAULT
    raw = query_value(request, "cursor")
    cursor = None if raw is None else Cursor.decode(raw)
    if cursor is not None and cursor.direction != "older":
        raise bad_cursor()
    page = await follows.follow_page(env.DB, caller.user["id"], cursor, limit)
    return json_response(page, headers=_PRIVATE)


def _sort(raw: str | None) -> FeedSort:
    if raw is None or raw == "recent":
        return "recent"
    if raw == "relevance":
        return "relevance"
    raise validation_error("sort", f"sort: one of {', '.join(FEED_SORTS)}")


async def feed(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    caller = await _caller(request, env, ctx)
    limit = query_int(request, "limit", 1, FEED_PAGE_MAX) or FEED_PAGE_DEFAULT
    sort = _sort(query_value(request, "sort"))
    cursor = query_value(request, "cursor")
    if cursor is not None:
        decode_feed_cursor(cursor, sort)  # 400 bad_cursor before the object is asked
    reply = await feed_stub(env, caller.user["id"]).page(sort, cursor, limit)
    if reply["outcome"] == "expired":
        raise HttpError(410, "cursor_expired", "This relevance order has expired; load the feed again from the top.")
    return json_response(reply["page"], headers=_PRIVATE)


async def trending_list(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    # No credentials are read: the reply is the same for every caller.
    return json_response(await trending.read(env), headers={"cache-control": TRENDING_CACHE_CONTROL})


class _PublishedRow(TypedDict):
    tenant: str
    author_id: str


async def react(request: Request, env: Env, ctx: ExecutionContext, post_id: str) -> Response:
    return await toggle_on(request, env, ctx, lambda visit: _published_by_id(visit, post_id))


async def _published_by_id(visit: Visit, post_id: str) -> PostRef:
    select: D1PreparedStatement[_PublishedRow] = visit.env.DB.prepare(
        "SELECT tenant, author_id FROM posts WHERE id = ?1 AND status = 'published'"
    )
    row = await select.bind(post_id).first()
    if row is None:
        raise not_found("There is no published post with this id.")
    return PostRef(row["tenant"], post_id, row["author_id"])
