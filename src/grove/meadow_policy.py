"""Meadow's numbers, each defined once: feed size, page sizes, backfill and follow bounds, how
long a relevance snapshot lives.

- ``FEED_MAX_ITEMS``: a FeedDO keeps the 500 newest items of the authors its user follows
  (the roadmap's "FeedDO has 500 posts already scored and cached"; Mastodon keeps 800).
- ``BACKFILL_MAX_POSTS``: a follow copies at most the author's 50 newest published posts into
  the feed (the roadmap's "fetches that user's recent 50 posts"), and only ones newer than the
  feed's oldest item once the feed is full, so a follow never pushes out newer items.
- ``FOLLOW_MAX``: follows per person (Twitter's long-standing 5,000 before its ratio rule),
  which also bounds a feed rebuild's first read.
- ``RELEVANCE_SNAPSHOT_TTL_MS``: a relevance order is frozen when its first page is read and
  paged from that snapshot for 30 minutes; ``RELEVANCE_SNAPSHOTS_KEPT`` bounds them per feed.
"""

from __future__ import annotations

FEED_MAX_ITEMS = 500
FEED_PAGE_DEFAULT = 20
FEED_PAGE_MAX = 50
BACKFILL_MAX_POSTS = 50
FOLLOW_MAX = 5_000
FOLLOWS_PAGE_DEFAULT = 50
FOLLOWS_PAGE_MAX = 100
RELEVANCE_SNAPSHOT_TTL_MS = 30 * 60 * 1000
RELEVANCE_SNAPSHOTS_KEPT = 8
# The feed object of a user: ``feed:{user_id}``.
FEED_OBJECT_PREFIX = "feed:"


def feed_object_name(user_id: str) -> str:
    return FEED_OBJECT_PREFIX + user_id


def user_of_feed(object_name: str) -> str:
    if not object_name.startswith(FEED_OBJECT_PREFIX):
        raise ValueError(f"not a feed object name: {object_name!r}")
    return object_name[len(FEED_OBJECT_PREFIX) :]
