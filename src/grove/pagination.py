"""Keyset pagination: opaque cursors, the SQL that follows them, and the query-string numbers
lists accept.

Every list is ordered newest first by ``(sort key, id)`` (an integer time, then the row's id as
a tie-break) and read with an index on exactly that order, so any page, however deep, costs one
index seek plus the page's rows: ``O(log n + page size)``, never ``OFFSET``'s ``O(offset)``.

A cursor names the row a page continues from and the direction: ``older`` pages follow the
last row shown, ``newer`` pages precede the first one. It is opaque to clients (base64url of a
short versioned text) and validated on the way in: anything else is a 400 ``bad_cursor``.
Tampering gains nothing: a cursor only moves a reader through rows it may read anyway.

``KeysetOrder`` is the reusable piece: the blog index and the JSON list use it today
(``grove.posts_store.read_published_page``); tag pages, feeds and the dashboard add their own
``WHERE`` and reuse the same clauses and cursors. A new list takes four steps:

1. an index on its equality columns followed by ``sort_column DESC, id_column DESC`` (a
   migration of its own);
2. ``order = KeysetOrder("updated_at_ms", "id")`` beside its query, and the SELECT written as
   ``... WHERE <filter>{order.where(cursor, k, k + 1)}{order.order_by(cursor)} LIMIT ?n`` with
   ``order.params(cursor)`` bound at ``?k``/``?k+1`` when there is a cursor, asking for one row
   more than a page;
3. ``window = page_rows(rows, cursor, page_size)`` and ``order.edge_cursors(window, key_of)``
   for the links to the older and newer pages;
4. its path run in ``tests/app/test_query_plans.py``, which fails on a full scan or a
   temporary B-tree in any statement the path sends.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from grove.errors import HttpError
from grove.numbers import parse_bounded_int

Direction = Literal["older", "newer"]
Row = TypeVar("Row")

_VERSION = "1"
_DIRECTION_CODES: dict[Direction, str] = {"older": "o", "newer": "n"}
_DIRECTIONS: dict[str, Direction] = {code: direction for direction, code in _DIRECTION_CODES.items()}
# version, direction, sort key (ASCII digits, at most 15: milliseconds until year 33658), id
# (a post id, or an account id as grove.path_params allows them: Meadow's follow list).
_CURSOR_TEXT = re.compile(r"1([on])\.([0-9]{1,15})\.([0-9A-Za-z_-]{1,64})")
CURSOR_MAX_CHARS = 128


def bad_cursor() -> HttpError:
    return HttpError(400, "bad_cursor", "The cursor is not one this blog gave out; start again from the first page.")


def encode_cursor_text(text: str) -> str:
    """A cursor's opaque form: base64url of its ASCII text, unpadded."""
    return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor_text(raw: str) -> str:
    """The text of an opaque cursor (its pattern is the caller's to check); ``bad_cursor()``
    when ``raw`` is not base64url of ASCII within ``CURSOR_MAX_CHARS``."""
    if not raw or len(raw) > CURSOR_MAX_CHARS or not raw.isascii():
        raise bad_cursor()
    try:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise bad_cursor() from None


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (``older``) or before (``newer``) the row ``(sort_key, row_id)``."""

    direction: Direction
    sort_key: int
    row_id: str

    def encode(self) -> str:
        return encode_cursor_text(f"{_VERSION}{_DIRECTION_CODES[self.direction]}.{self.sort_key}.{self.row_id}")

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        """The cursor ``raw`` encodes; ``bad_cursor()`` (a 400) for anything else."""
        match = _CURSOR_TEXT.fullmatch(decode_cursor_text(raw))
        if match is None:
            raise bad_cursor()
        code, sort_key, row_id = match.groups()
        return cls(_DIRECTIONS[code], int(sort_key), row_id)


def parse_page_number(raw: str | None, *, maximum: int) -> int | None:
    """``?page=``: 1 when absent; None for anything but ASCII digits naming 1..``maximum``
    (the rules of ``grove.numbers``, the one parser of numbers in text)."""
    return 1 if raw is None else parse_bounded_int(raw, 1, maximum)


@dataclass(frozen=True)
class KeysetOrder:
    """Newest-first order on ``(sort_column, id_column)``; the index must be on the filter's
    equality columns followed by ``sort_column DESC, id_column DESC``."""

    sort_column: str
    id_column: str

    def where(self, cursor: Cursor | None, key_param: int, id_param: int) -> str:
        """The condition (``AND ...``) that starts a page at ``cursor``; parameters by number."""
        if cursor is None:
            return ""
        op = "<" if cursor.direction == "older" else ">"
        return f" AND ({self.sort_column}, {self.id_column}) {op} (?{key_param}, ?{id_param})"

    def order_by(self, cursor: Cursor | None) -> str:
        # A newer page is read towards the newest (ascending) and reversed by ``page_rows``.
        way = "ASC" if cursor is not None and cursor.direction == "newer" else "DESC"
        return f" ORDER BY {self.sort_column} {way}, {self.id_column} {way}"

    @staticmethod
    def params(cursor: Cursor | None) -> tuple[int, str]:
        return (0, "") if cursor is None else (cursor.sort_key, cursor.row_id)

    @staticmethod
    def edge_cursors(window: Window[Row], key_of: Callable[[Row], tuple[int, str]]) -> tuple[str | None, str | None]:
        """The (older, newer) cursors of ``window``'s neighbours, None at either end;
        ``key_of(row)`` is the row's ``(sort key, id)``."""
        if not window.rows:
            return None, None
        older = Cursor("older", *key_of(window.rows[-1])).encode() if window.has_older else None
        newer = Cursor("newer", *key_of(window.rows[0])).encode() if window.has_newer else None
        return older, newer


@dataclass(frozen=True)
class Window(Generic[Row]):
    """One page's rows, newest first, and whether rows exist beyond each end."""

    rows: list[Row]
    has_older: bool
    has_newer: bool


def page_rows(rows: list[Row], cursor: Cursor | None, page_size: int, *, offset: int = 0) -> Window[Row]:
    """``rows``: up to ``page_size + 1`` read in ``order_by(cursor)``'s order (the extra one
    says whether more follow). ``offset``: rows skipped before a numbered page."""
    more = len(rows) > page_size
    rows = rows[:page_size]
    if cursor is not None and cursor.direction == "newer":
        return Window(list(reversed(rows)), has_older=True, has_newer=more)
    return Window(rows, has_older=more, has_newer=cursor is not None or offset > 0)
