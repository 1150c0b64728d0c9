"""Markdown to HTML for posts: CommonMark via markdown-it-py, plus tables, strikethrough,
footnotes, task lists, heading anchors (ids) and syntax-highlighted code (``grove.highlight``).

Safety is part of rendering, not a later filter: raw HTML in the source is shown as text,
and a link or image reaches the page only when its URL is relative or uses an allowed scheme,
so ``javascript:``, ``data:`` and the like never become clickable.

Every id the renderer writes is ours, never the author's text: footnotes are numbered
(``fn1``, ``fnref1``), heading ids are ``grove.slugs.slugify`` of the heading (ASCII letters,
digits and dashes), task-list checkboxes are disabled inputs with no name.

markdown-it-py (and its plugins) is imported on first use (``_renderer``), not at module level: only writes
render markdown, and its import was a large share of the app's import time under Pyodide
(``bench/pyodide_import.py``), which every cold isolate pays.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from grove.highlight import highlight_block
from grove.slugs import slugify

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

# A typical adult silent-reading speed for prose on screens.
WORDS_PER_MINUTE = 230

_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_IMAGE_SCHEMES = frozenset({"http", "https"})
# Browsers ignore ASCII whitespace and control characters inside a scheme ("java\tscript:").
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
_PATH_START = re.compile(r"[/?#]")
_WORD = re.compile(r"[\w'’-]+")
# Footnotes own ids of this shape (``fn1``, ``fnref1:2``); a heading never gets one.
_FOOTNOTE_ID = re.compile(r"fn(?:ref)?\d")
# Headings that get an id: the levels a post's sections use (h1 is the post's title).
ANCHOR_LEVELS = (2, 4)


def heading_id(text: str) -> str:
    """A heading's id: its slug, or ``section`` when it has no letters or digits."""
    slug = slugify(text) or "section"
    return f"h-{slug}" if _FOOTNOTE_ID.match(slug) else slug


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    word_count: int
    reading_time_min: int


def _scheme(url: str) -> str | None:
    """The scheme a browser would see, or None for a relative URL. Anything before a colon
    that precedes the path counts, percent-decoded, so odd spellings are refused too."""
    cleaned = _IGNORED_IN_SCHEME.sub("", unquote(url)).lower()
    head = _PATH_START.split(cleaned, maxsplit=1)[0]
    return head.split(":", 1)[0] if ":" in head else None


@functools.cache
def _renderer() -> MarkdownIt:
    """The one configured renderer, built on first use (see the module docstring)."""
    from markdown_it import MarkdownIt
    from markdown_it.renderer import RendererHTML
    from markdown_it.utils import EnvType, OptionsDict
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin

    class SafeMarkdownIt(MarkdownIt):
        def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it-py's hook name)
            scheme = _scheme(url)
            return scheme is None or scheme in _LINK_SCHEMES

    class SafeRenderer(RendererHTML):
        """HTML rendering with one change: an image loads only over http(s) or a relative URL
        (``validateLink`` also lets ``mailto:`` through, which is for links)."""

        def image(self, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
            scheme = _scheme(str(tokens[idx].attrGet("src") or ""))
            if scheme is not None and scheme not in _IMAGE_SCHEMES:
                tokens[idx].attrSet("src", "")
            return super().image(tokens, idx, options, env)

    def highlight(code: str, info: str, _attrs: str) -> str:
        return highlight_block(code, info)

    md = SafeMarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False, "highlight": highlight},
        renderer_cls=SafeRenderer,
    )
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin, inline=True, move_to_end=True)
    md.use(tasklists_plugin)
    md.use(anchors_plugin, min_level=ANCHOR_LEVELS[0], max_level=ANCHOR_LEVELS[1], slug_func=heading_id)
    return md


def _count_words(tokens: Sequence[Token]) -> int:
    words = 0
    for token in tokens:
        if token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    words += len(_WORD.findall(child.content))
    return words


def render_markdown(source: str) -> RenderedMarkdown:
    md = _renderer()
    tokens = md.parse(source)
    html: str = md.renderer.render(tokens, md.options, {})
    words = _count_words(tokens)
    minutes = math.ceil(words / WORDS_PER_MINUTE) if words else 0
    return RenderedMarkdown(html=html, word_count=words, reading_time_min=minutes)
