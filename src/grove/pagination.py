"""Keyset pagination: opaque cursors, the SQL that follows them, and the query-string numbers
lists accept.

Every list is ordered newest first by ``(sort key, id)`` (an integer time, then the row's id as
a tie-break) and read with an index on exactly that order, so any page, however deep, costs one
index seek plus the page's rows: ``O(log n + page size)``, never ``OFFSET``'s ``O(offset)``.

A cursor names the row a page continues from and the direction: ``older`` pages follow the
last row shown, ``newer`` pages precede the first one. It is opaque to clients (base64url of a
short versioned text) and validated on the way in: anything else is a 400 ``bad_cursor``.
Tampering gains nothing: a cursor only moves a reader through rows it may read anyway.

``KeysetOrder`` is the reusable piece: the blog index and the JSON list use it today; tag
pages and feeds add their own ``WHERE`` and reuse the same clauses and cursors.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

from grove.errors import HttpError
from grove.numbers import parse_bounded_int

Direction = Literal["older", "newer"]
Row = TypeVar("Row")

_VERSION = "1"
_DIRECTION_CODES: dict[Direction, str] = {"older": "o", "newer": "n"}
_DIRECTIONS: dict[str, Direction] = {code: direction for direction, code in _DIRECTION_CODES.items()}
# version, direction, sort key (ASCII digits, at most 15: milliseconds until year 33658), id.
_CURSOR_TEXT = re.compile(r"1([on])\.([0-9]{1,15})\.([0-9a-z]{1,64})")
CURSOR_MAX_CHARS = 128


def bad_cursor() -> HttpError:
    return HttpError(400, "bad_cursor", "The cursor is not one this blog gave out; start again from the first page.")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after (``older``) or before (``newer``) the row ``(sort_key, row_id)``."""

    direction: Direction
    sort_key: int
    row_id: str

    def encode(self) -> str:
        text = f"{_VERSION}{_DIRECTION_CODES[self.direction]}.{self.sort_key}.{self.row_id}"
        return base64.urlsafe_b64encode(text.encode("ascii")).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        """The cursor ``raw`` encodes; ``bad_cursor()`` (a 400) for anything else."""
        if not raw or len(raw) > CURSOR_MAX_CHARS or not raw.isascii():
            raise bad_cursor()
        try:
            text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
        except (binascii.Error, ValueError):
            raise bad_cursor() from None
        match = _CURSOR_TEXT.fullmatch(text)
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
