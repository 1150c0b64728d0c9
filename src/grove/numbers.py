"""The one parser for numbers that arrive as text: query parameters and numeric headers.

Only ASCII digits count. ``str.isdigit()`` also accepts ``²`` and other Unicode digits, which
``int()`` then refuses (or reads as another number: ``int("١٢")`` is 12), and a text of
thousands of digits hits CPython's 4,300-digit conversion limit; neither may reach a 500.
A value is refused before conversion when it has more digits than its upper bound needs.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")
# No bound the app uses needs more; an unbounded parse still converts at most this many.
MAX_DIGITS = 18


def is_ascii_number(text: str) -> bool:
    """Only ASCII digits (any length): a number, however large."""
    return _ASCII_DIGITS.fullmatch(text) is not None


def parse_bounded_int(text: str, minimum: int, maximum: int | None) -> int | None:
    """The integer ``text`` spells in ASCII digits when ``minimum <= n <= maximum``; None for
    anything else (signs, spaces, other digits, out of bounds)."""
    digits = MAX_DIGITS if maximum is None else len(str(maximum))
    if not is_ascii_number(text) or len(text.lstrip("0")) > digits:
        return None
    value = int(text)
    if value < minimum or (maximum is not None and value > maximum):
        return None
    return value
