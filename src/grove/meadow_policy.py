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

Fan-out (``grove.fanout``), the hybrid of the big feeds (seeds 001/002):

- ``PULL_THRESHOLD_WRITES_PER_DAY``: an author whose followers x posting rate (posts a day,
  over the last ``POSTING_RATE_WINDOW_MS``, at least 1) exceeds this is served by *pull*: their
  posts go to one per-author store (``AuthorPostsDO``) that followers' feeds read at load
  time, instead of one FeedDO write per follower. At 50,000 FeedDO writes a day per author,
  anyone with over 50,000 followers is pulled, and so is a 10,000-follower author posting more
  than 5 times a day: those few accounts would otherwise take most of the fan-out's writes
  for posts most followers never scroll to (Twitter's 2012 timeline service merged such
  accounts at read time for the same reason; ``docs/capacity.md`` has the sums). Tunable per
  environment with the var ``MEADOW_PULL_THRESHOLD`` (an integer), read by ``pull_threshold``.
- ``FEED_ACTIVE_WINDOW_MS``: only followers whose feed was read in the last 7 days get a push
  (Mastodon's rule; Twitter's was 30 days). The feed reports its use to D1 at most every
  ``ACTIVITY_REPORT_MS`` (a day), and notes its own last read at most every ``READ_MARK_MS``
  (an hour: a load then writes no row, the largest per-load cost at scale, docs/capacity.md),
  so the D1 mark may lag by both: a feed last marked more than ``FEED_STALE_AFTER_MS`` (7 days
  less a day and an hour) ago may have missed pushes and rebuilds on return.
- ``FANOUT_CHUNK_FOLLOWERS``: followers per push message, one FeedDO RPC each. A consumer
  batch holds at most 10 messages (the queue's ``max_batch_size``), so an invocation makes at
  most 500 RPCs, under the 1,000 subrequests a Worker invocation may make (PLATFORM.md).
- ``FOLLOWER_PAGE``: followers read per D1 query when a publish is expanded into push messages.
- ``PULL_SOURCES_MAX``: pull authors read per feed load (one RPC each), the most recently
  followed first; ``PULL_POSTS_PER_SOURCE`` posts from each; ``AUTHOR_STORE_MAX_POSTS``: what
  one author store keeps. ``PULL_REFRESH_MS``: a feed reads the stores at most once a minute
  (the seeds' "feeds updated within 60 s"), which bounds a popular author's store to one
  request a minute per reader scrolling (docs/capacity.md, hot spots).
"""

from __future__ import annotations

from grove.tiers import DAY_MS

FEED_MAX_ITEMS = 500
FEED_PAGE_DEFAULT = 20
FEED_PAGE_MAX = 50
BACKFILL_MAX_POSTS = 50
FOLLOW_MAX = 5_000
FOLLOWS_PAGE_DEFAULT = 50
FOLLOWS_PAGE_MAX = 100
RELEVANCE_SNAPSHOT_TTL_MS = 30 * 60 * 1000
RELEVANCE_SNAPSHOTS_KEPT = 8
PULL_THRESHOLD_WRITES_PER_DAY = 50_000
PULL_THRESHOLD_VAR = "MEADOW_PULL_THRESHOLD"
POSTING_RATE_WINDOW_MS = 7 * DAY_MS
FEED_ACTIVE_WINDOW_MS = 7 * DAY_MS
ACTIVITY_REPORT_MS = DAY_MS
READ_MARK_MS = 60 * 60 * 1000
FEED_STALE_AFTER_MS = FEED_ACTIVE_WINDOW_MS - ACTIVITY_REPORT_MS - READ_MARK_MS
FANOUT_CHUNK_FOLLOWERS = 50
FOLLOWER_PAGE = 1_000
PULL_SOURCES_MAX = 20
PULL_POSTS_PER_SOURCE = 50
AUTHOR_STORE_MAX_POSTS = 200
PULL_REFRESH_MS = 60 * 1000
# The feed object of a user: ``feed:{user_id}``.
# Trending (grove.trending): posts published in the last week, ranked by the engagement they
# got in it; the 50 best are kept. At most TRENDING_CANDIDATES_MAX of the newest posts are
# scored per computation, so one run is bounded however busy the week was.
TRENDING_WINDOW_MS = 7 * DAY_MS
TRENDING_SIZE = 50
TRENDING_CANDIDATES_MAX = 2_000

# The Meadow page's host label (meadow.{ROOT_DOMAIN}); reserved, so no blog can take it.
MEADOW_SUBDOMAIN = "meadow"

FEED_OBJECT_PREFIX = "feed:"


def feed_object_name(user_id: str) -> str:
    return FEED_OBJECT_PREFIX + user_id


def user_of_feed(object_name: str) -> str:
    if not object_name.startswith(FEED_OBJECT_PREFIX):
        raise ValueError(f"not a feed object name: {object_name!r}")
    return object_name[len(FEED_OBJECT_PREFIX) :]


# The store of an author served by pull: ``author:{user_id}``.
AUTHOR_OBJECT_PREFIX = "author:"


def author_object_name(author_id: str) -> str:
    return AUTHOR_OBJECT_PREFIX + author_id


def pull_threshold(configured: object) -> int:
    """The threshold in force: the environment's ``MEADOW_PULL_THRESHOLD`` when it is a
    non-negative integer, else ``PULL_THRESHOLD_WRITES_PER_DAY``."""
    if isinstance(configured, str) and configured.isdigit():
        return int(configured)
    return PULL_THRESHOLD_WRITES_PER_DAY


def is_pull_author(followers: int, posts_in_window: int, threshold: int) -> bool:
    """Followers x posts a day (at least one: the author is publishing now) over the threshold."""
    window_days = POSTING_RATE_WINDOW_MS / DAY_MS
    posts_per_day = max(1.0, posts_in_window / window_days)
    return followers * posts_per_day > threshold
