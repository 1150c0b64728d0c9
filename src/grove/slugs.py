"""Post slugs: the rule for a valid slug, and deriving one from a title."""

from __future__ import annotations

import re
import unicodedata

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX_CHARS = 100
# Derived slugs stay short enough to read in a URL; a cut never leaves a trailing dash.
DERIVED_SLUG_MAX_CHARS = 80

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def slugify(title: str) -> str:
    """``"Hello, Wörld!"`` -> ``"hello-world"``; empty when the title has no letters or digits."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = _NON_ALNUM.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > DERIVED_SLUG_MAX_CHARS:
        slug = slug[:DERIVED_SLUG_MAX_CHARS].rsplit("-", 1)[0] or slug[:DERIVED_SLUG_MAX_CHARS]
    return slug.strip("-")


def is_valid_slug(slug: str) -> bool:
    return len(slug) <= SLUG_MAX_CHARS and re.match(SLUG_PATTERN, slug) is not None
