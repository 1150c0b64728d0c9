"""grove.markdown: CommonMark rendering that never lets raw HTML or unsafe URLs through."""

from __future__ import annotations

import re

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


# --- footnotes, task lists, heading ids, highlighting (mdit-py-plugins, Pygments) -----------


@pytest.mark.parametrize(
    "label", ['"><script>alert(1)</script>', "x onmouseover=alert(1)", "</a><img src=x>", "ünï code"]
)
def test_footnote_labels_never_reach_the_page(label):
    """A label is a footnote (numbered: the label never appears) or, with spaces in it, text."""
    html = render_markdown(f"Text[^{label}].\n\n[^{label}]: The note.\n").html
    if " " not in label:
        assert '<a href="#fn1" id="fnref1">[1]</a>' in html and '<li id="fn1" class="footnote-item">' in html
    assert "<script" not in html and "<img" not in html and "<a>" not in html
    assert re.search(r"<[^>]*\son\w+=", html) is None  # no event handler attribute in any tag


@pytest.mark.parametrize(
    ("heading", "expected"),
    [
        ('<script>alert("x")</script>', 'id="script-alert-x-script"'),
        ('" onmouseover="alert(1)', 'id="onmouseover-alert-1"'),
        ("!!!", 'id="section"'),
        ("fn1", 'id="h-fn1"'),  # never the id of a footnote
        ("Grüße aus Köln", 'id="grue-aus-koln"'),  # NFKD to ASCII, as post slugs are
    ],
)
def test_heading_ids_are_ascii_slugs(heading, expected):
    html = render_markdown(f"## {heading}\n").html
    assert expected in html and "<script" not in html and 'onmouseover="' not in html


def test_repeated_headings_get_distinct_ids():
    html = render_markdown("## Notes\n\n## Notes\n").html
    assert 'id="notes"' in html and 'id="notes-1"' in html


@pytest.mark.parametrize(
    "info", ['js" onload="alert(1)', "<script>", "python onclick=alert(1)", "a" * 40, "java\tscript:"]
)
def test_code_language_names_are_never_markup(info):
    html = render_markdown(f"```{info}\nx = '<b>'\n```\n").html
    assert "onload" not in html and "<script" not in html and "onclick=" not in html and "<b>" not in html
    assert html.startswith('<pre class="code"><code')


def test_code_is_highlighted_and_escaped_when_written():
    html = render_markdown("```python\nif a < b: print('<i>')\n```\n").html
    assert '<code class="language-python"><span class="k">if</span>' in html
    assert "&lt;i&gt;" in html and "<i>" not in html
    plain = render_markdown("```no-such-language\na < b\n```\n").html
    assert plain.strip() == '<pre class="code"><code class="language-no-such-language">a &lt; b\n</code></pre>'


def test_task_lists_and_strikethrough():
    html = render_markdown("- [ ] sow\n- [x] dig\n\n~~gone~~\n").html
    assert html.count('disabled="disabled" type="checkbox"') == 2 and 'checked="checked"' in html
    assert "<s>gone</s>" in html
