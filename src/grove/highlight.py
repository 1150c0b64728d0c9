"""Syntax highlighting of fenced code, done once when a post is written (readers pay nothing).

Pygments is imported here, on the first highlighted block, never at module import: only the
write path renders markdown, and every cold isolate pays for what the main module imports
(``bench/pyodide_import.py``). ``get_lexer_by_name`` loads only the one lexer module a block
names (Pygments keeps a name -> module table and imports lexers on demand).

The language name is the author's text: it selects a lexer only when it is a plain name
(``LANGUAGE_PATTERN``), and it reaches the page only escaped. Pygments escapes the code itself.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from grove.pages.escape import escape

if TYPE_CHECKING:
    from pygments.formatters.html import HtmlFormatter
    from pygments.lexer import Lexer

# What a fence's language may look like to be looked up (``c++``, ``objective-c``, ``f#``).
LANGUAGE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+#.-]{0,31}")


@functools.cache
def _formatter() -> HtmlFormatter[str]:
    from pygments.formatters.html import HtmlFormatter

    # nowrap: only the spans; the <pre><code> around them is ours (one shape for every block).
    return HtmlFormatter(nowrap=True)


@functools.lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    from pygments.lexers import get_lexer_by_name  # pyright: ignore[reportUnknownVariableType]
    from pygments.util import ClassNotFound

    try:
        # stripnl=False: the block keeps its leading and trailing blank lines as written.
        return get_lexer_by_name(language, stripnl=False)
    except ClassNotFound:
        return None


def language_of(info: str) -> str | None:
    """The fence's language (its info string's first word) if it is a plain name."""
    word = info.strip().split(maxsplit=1)[0] if info.strip() else ""
    return word.lower() if LANGUAGE_PATTERN.fullmatch(word) else None


def highlight_block(code: str, info: str) -> str:
    """A fenced block as ``<pre><code>``: highlighted when its language names a lexer, else the
    code escaped. Always a whole ``<pre>`` (markdown-it then uses it as it is)."""
    language = language_of(info)
    lexer = _lexer(language) if language else None
    css_class = f' class="language-{escape(language)}"' if language else ""
    if lexer is None:
        body = escape(code)
    else:
        from pygments import highlight

        body = highlight(code, lexer, _formatter())
    return f'<pre class="code"><code{css_class}>{body}</code></pre>'  # markdown-it adds the newline
