"""Meadow feed cursors: opaque, validated keyset positions (the ideas of ``grove.pagination``).

- ``recent``: the last item shown, ``(published_at_ms, post_id)``. Both are immutable for a
  post, so the next page starts strictly after it whatever arrived or left meanwhile: a new
  post sorts before the cursor (it is on a newer page, never inserted into the one being read),
  a deleted one simply is not there. Mastodon's ``max_id`` and Bluesky's ``time__cid`` work so.
- ``relevance``: a frozen snapshot of the order (its id) and the rank of the last item shown.
  Scores move as engagement comes in, so the order itself is kept, not recomputed: pages of
  one snapshot never repeat or skip an item; an item deleted since is left out.

Both are base64url of a short versioned text; anything else is a 400 ``bad_cursor``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from grove.pagination import bad_cursor, decode_cursor_text, encode_cursor_text

FeedSort = Literal["recent", "relevance"]
FEED_SORTS: tuple[FeedSort, ...] = ("recent", "relevance")

_RECENT = re.compile(r"1r\.([0-9]{1,15})\.([0-9A-Za-z_-]{1,64})")
_RELEVANCE = re.compile(r"1s\.([0-9a-f]{32})\.([0-9]{1,6})")


@dataclass(frozen=True)
class RecentCursor:
    published_at_ms: int
    post_id: str

    def encode(self) -> str:
        return encode_cursor_text(f"1r.{self.published_at_ms}.{self.post_id}")


@dataclass(frozen=True)
class RelevanceCursor:
    snapshot_id: str
    rank: int  # the rank of the last item shown (ranks start at 1)

    def encode(self) -> str:
        return encode_cursor_text(f"1s.{self.snapshot_id}.{self.rank}")


FeedCursor = RecentCursor | RelevanceCursor


def decode_feed_cursor(raw: str, sort: FeedSort) -> FeedCursor:
    """The cursor ``raw`` encodes for ``sort``; 400 ``bad_cursor`` for anything else (a
    recent cursor sent with ``sort=relevance`` too)."""
    text = decode_cursor_text(raw)
    if sort == "recent" and (found := _RECENT.fullmatch(text)):
        return RecentCursor(int(found[1]), found[2])
    if sort == "relevance" and (found := _RELEVANCE.fullmatch(text)):
        return RelevanceCursor(found[1], int(found[2]))
    raise bad_cursor()
