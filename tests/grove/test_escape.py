"""grove.pages.escape is html.escape(quote=True), character for character."""

import html

import pytest

from grove.pages.escape import escape

HOSTILE = [
    "",
    "plain",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "a & b && c &amp; d",
    "'single' \"double\" `back`",
    "\u2028\u2029\x00\x7f é ✓ 𝕏",
    "<" * 1000 + "&" * 1000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escape_matches_the_stdlib(text):
    assert escape(text) == html.escape(text, quote=True)


def test_every_ascii_character_matches_the_stdlib():
    text = "".join(chr(c) for c in range(128))
    assert escape(text) == html.escape(text, quote=True)
