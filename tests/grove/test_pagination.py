"""Cursors and query-string numbers (grove.pagination): round trips and refusals."""

from __future__ import annotations

import pytest

from grove.errors import HttpError
from grove.pagination import Cursor, KeysetOrder, page_rows, parse_page_number


def test_cursor_round_trip_is_opaque():
    cursor = Cursor("older", 1_767_225_600_000, "0a1b2c")
    raw = cursor.encode()
    assert "1767225600000" not in raw and raw.isascii()
    assert Cursor.decode(raw) == cursor


@pytest.mark.parametrize("raw", ["", "!!", "MQ", "x" * 200, "MW8uMS4", "Mm8uMS5h", "MW8uLTEuYQ", "MW8u١LmE"])
def test_malformed_cursors_are_400(raw):
    with pytest.raises(HttpError) as caught:
        Cursor.decode(raw)
    assert caught.value.status == 400 and caught.value.code == "bad_cursor"


@pytest.mark.parametrize(("raw", "number"), [(None, 1), ("1", 1), ("3", 3), ("4", None), ("0", None), ("٣", None), ("³", None), ("1" * 400, None), (" 2", None)])
def test_page_numbers(raw, number):
    assert parse_page_number(raw, maximum=3) == number


def test_keyset_clauses_and_windows():
    order = KeysetOrder("published_at_ms", "id")
    assert order.where(None, 4, 5) == ""
    assert order.where(Cursor("older", 5, "a"), 4, 5) == " AND (published_at_ms, id) < (?4, ?5)"
    assert order.order_by(Cursor("newer", 5, "a")) == " ORDER BY published_at_ms ASC, id ASC"
    newer = page_rows([3, 4, 5], Cursor("newer", 2, "a"), 2)
    assert newer.rows == [4, 3] and newer.has_newer and newer.has_older
    first = page_rows([9, 8], None, 2)
    assert first.rows == [9, 8] and not first.has_older and not first.has_newer


def test_edge_cursors_name_the_rows_at_each_end():
    order = KeysetOrder("updated_at_ms", "id")
    key_of = lambda row: (row * 10, f"r{row}")  # noqa: E731
    middle = page_rows([7, 6, 5], Cursor("older", 80, "r8"), 2)
    older, newer = order.edge_cursors(middle, key_of)
    assert Cursor.decode(older) == Cursor("older", 60, "r6")
    assert Cursor.decode(newer) == Cursor("newer", 70, "r7")
    assert order.edge_cursors(page_rows([9], None, 2), key_of) == (None, None)  # one page only
    assert order.edge_cursors(page_rows([], None, 2), key_of) == (None, None)
