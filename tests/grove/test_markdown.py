"""grove.markdown: CommonMark rendering that never lets raw HTML or unsafe URLs through."""

from __future__ import annotations

import pytest

from grove.markdown import WORDS_PER_MINUTE, render_markdown


def test_commonmark_basics_and_tables():
    html = render_markdown("# Title\n\nSome *em* and **strong**.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n").html
    assert "<h1>Title</h1>" in html
    assert "<em>em</em>" in html and "<strong>strong</strong>" in html
    assert "<table>" in html and "<td>2</td>" in html


def test_raw_html_is_escaped_not_rendered():
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">').html
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "<javascript:alert(1)>",
        "[x](jav&#x61;script:alert(1))",
        "[x](<java\tscript:alert(1)>)",
        "[x](java%09script:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "![x](data:image/svg+xml,<svg onload=alert(1)>)",
        "![x](javascript:alert(1))",
    ],
)
def test_unsafe_urls_never_become_links_or_images(source):
    html = render_markdown(source).html
    assert "href=" not in html and "src=\"java" not in html.lower() and "src=\"data" not in html.lower()
    assert "<a " not in html


def test_safe_links_stay_links():
    html = render_markdown("[a](https://example.com/x?y=1&z=2) [b](/blog/post) [c](#top) [d](mailto:me@example.com)").html
    assert 'href="https://example.com/x?y=1&amp;z=2"' in html
    assert 'href="/blog/post"' in html and 'href="#top"' in html and 'href="mailto:me@example.com"' in html


def test_images_load_only_over_http_or_relative():
    html = render_markdown("![a](https://example.com/a.png) ![b](mailto:x@y.z)").html
    assert 'src="https://example.com/a.png"' in html
    assert 'src="mailto' not in html


def test_word_count_and_reading_time():
    words = " ".join(["word"] * (WORDS_PER_MINUTE + 1))
    rendered = render_markdown(f"# Two words\n\n{words}\n\n```\ncode is not counted\n```\n")
    assert rendered.word_count == WORDS_PER_MINUTE + 3
    assert rendered.reading_time_min == 2
    assert render_markdown("").word_count == 0 and render_markdown("").reading_time_min == 0
