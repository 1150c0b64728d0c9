"""The rules of a post's live parts (PostMetaDO): reaction types, comment limits and
cursors, view de-duplication, and when each buffer reaches D1. One definition each.

- Reactions: one row per (user, type), types from ``REACTION_TYPES`` only; the rows are the
  counts (nothing is incremented on its own). Changes reach D1 within 5 minutes (roadmap
  phase 3: "Reaction counts: Every 5 minutes").
- Comments: markdown rendered by ``grove.markdown`` (the posts' no-XSS rules), at most
  ``COMMENT_MAX_CHARS``; buffered in the object and sent to D1 in batches 30 s after the first
  (roadmap: "Comments: Every 30 seconds (batch insert)"). Pages are ordered by
  ``(created_at_ms, id)`` and continued by a keyset cursor (never an offset).
- Views: a reader is ``visitor_hash``: SHA-256 of a salt that the object draws each UTC day and
  forgets the next, the client address and the user agent (the way cookie-less analytics
  count: no identifier outlives its day). One view per reader per ``VIEW_DEDUP_MS``, and at
  most ``VIEW_READERS_PER_ADDRESS`` readers per address in that time. Because
  the salt changes daily, distinct readers can only be counted per day: ``daily_uniques_30d``
  is the sum of each day's distinct readers, not distinct readers over 30 days. Totals reach
  D1 ``posts`` hourly (roadmap: "View counts: Every hour (aggregated)").
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, StringConstraints

from grove.flush_policy import FlushPolicy
from grove.json_reader import MAX_SAFE_INTEGER
from grove.models import GroveModel
from grove.path_params import COMMENT_ID_PATTERN
from grove.tiers import DAY_MS

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS

ReactionType = Literal["like", "love", "insightful", "funny"]
REACTION_TYPES: tuple[str, ...] = get_args(ReactionType)

COMMENT_MAX_CHARS = 10_000
# Markdown plus its HTML, in UTF-8: well inside D1's row limit, and ten comments (one
# multi-row insert) stay small.
COMMENT_MAX_STORED_BYTES = 100_000
COMMENTS_PAGE_SIZE = 50
VIEW_DEDUP_MS = 30 * MINUTE_MS
# Readers (user agents) one address may add to a post's views per VIEW_DEDUP_MS. A household
# or an office shares one address, so a few browsers behind it each count; past this it is one
# client rotating its user agent to inflate the views (and the owner's page_view events,
# which the analytics route limits per address: Rule.ANALYTICS).
VIEW_READERS_PER_ADDRESS = 20
STATS_WINDOW_DAYS = 30
# Longer user agents are cut: they only need to tell readers behind one address apart.
USER_AGENT_MAX_CHARS = 512

# Live readers (WebSockets) of one post. A Durable Object holds at most 32,768 hibernatable
# WebSockets (developers.cloudflare.com/durable-objects/platform/limits/): a new one past that is
# refused with a 503, not left to fail inside acceptWebSocket. One client address (an IPv6 /64,
# as the rate limiter counts them) holds at most LIVE_SOCKETS_PER_ADDRESS: a household's or
# office's tabs fit, and one client can neither inflate "N reading now" nor use up the object.
LIVE_MAX_SOCKETS = 32_768
LIVE_SOCKETS_PER_ADDRESS = 16
# A reader only listens: a short text message is a keep-alive (answered with the presence
# count); a binary one or a longer one is no client of ours, and its socket is closed.
LIVE_MESSAGE_MAX_BYTES = 64
# How long a refused live client waits before trying again.
LIVE_RETRY_AFTER_S = 60

# Batch sizes stay within one D1 batch and the buffers' 100-parameter statements.
REACTION_FLUSH = FlushPolicy(batch_size=100, max_wait_ms=5 * MINUTE_MS)
COMMENT_FLUSH = FlushPolicy(batch_size=50, max_wait_ms=30_000)
# One mark waits per post: only its age sends it (batch_size is never reached).
VIEW_FLUSH = FlushPolicy(batch_size=100, max_wait_ms=HOUR_MS)

_CURSOR = re.compile(r"^([0-9]{1,16})\.([0-9a-f]{32})$")

CommentId = Annotated[str, StringConstraints(pattern=COMMENT_ID_PATTERN)]


def _with_something_to_read(markdown: str) -> str:
    """Refuse a comment of only whitespace, control and format characters (zero-width
    spaces, direction marks: Unicode category Cc/Cf): it would render as an empty comment."""
    if all(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in markdown):
        raise ValueError("a comment needs some text")
    return markdown


CommentMarkdown = Annotated[
    str, StringConstraints(min_length=1, max_length=COMMENT_MAX_CHARS), AfterValidator(_with_something_to_read)
]


class ReactionToggle(GroveModel):
    """``POST /api/posts/{slug}/reactions``'s body."""

    model_config = {"extra": "forbid"}

    type: ReactionType


class CommentCreate(GroveModel):
    """``POST /api/posts/{slug}/comments``'s body: markdown, and the comment it answers."""

    model_config = {"extra": "forbid"}

    markdown: CommentMarkdown
    parent_id: CommentId | None = None


def encode_cursor(created_at_ms: int, comment_id: str) -> str:
    """The position after a comment: ``{created_at_ms}.{id}``."""
    return f"{created_at_ms}.{comment_id}"


def decode_cursor(cursor: str) -> tuple[int, str] | None:
    """``(created_at_ms, id)`` of a cursor ``encode_cursor`` made; None for anything else."""
    match = _CURSOR.match(cursor)
    if match is None or int(match[1]) >= MAX_SAFE_INTEGER:
        # No comment's time, and D1 refuses it as a parameter: Pyodide hands an int of
        # magnitude 2**53 - 1 or more to JavaScript as a BigInt (local_runtime/js_values.py).
        return None
    return int(match[1]), match[2]


def day_of(ms: int) -> int:
    """The UTC day number (days since the epoch)."""
    return ms // DAY_MS


def first_day_of_window(now_ms: int) -> int:
    """The oldest day inside the ``STATS_WINDOW_DAYS`` window that ends today."""
    return day_of(now_ms) - (STATS_WINDOW_DAYS - 1)


def visitor_hash(daily_salt: str, address: str, user_agent: str) -> str:
    """A reader for one day: nothing that outlives the day's salt can be traced back."""
    material = "\n".join((daily_salt, address, user_agent[:USER_AGENT_MAX_CHARS]))
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def object_name(tenant: str, post_id: str) -> str:
    """PostMetaDO's name: by post id, so renaming the slug keeps reactions, comments, views."""
    return f"post-meta:{tenant}:{post_id}"


def parse_object_name(name: str) -> tuple[str, str]:
    """``(tenant, post_id)`` of a PostMetaDO name."""
    prefix, tenant, post_id = name.split(":", 2)
    if prefix != "post-meta" or not tenant or not post_id:
        raise ValueError(f"not a PostMetaDO name: {name!r}")
    return tenant, post_id
