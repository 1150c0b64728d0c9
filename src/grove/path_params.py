"""The rule every path parameter must meet, by its name in a route pattern (``{slug}``).

The router checks these before it calls a handler, so a value that can never name anything
(a slug too long for a KV key, unicode, dots) is a 404 before any storage is touched. Each
rule is also the parameter's JSON Schema in the OpenAPI document (``grove.openapi``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from grove.slugs import SLUG_MAX_CHARS, SLUG_PATTERN, is_valid_slug
from grove.versions import VERSION_PATTERN

# Static file names as ``grove.pages.assets`` builds them: ``reader.3138618926ae10da.css``.
ASSET_NAME_PATTERN = r"^[a-z0-9_-]{1,64}\.[0-9a-f]{16}\.[a-z0-9]{1,8}$"
_ASSET_NAME = re.compile(ASSET_NAME_PATTERN)
ACCOUNT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
# Comment ids as ``grove.ids.new_id`` mints them (``grove.engagement`` names the same rule).
COMMENT_ID_PATTERN = r"^[0-9a-f]{32}$"
_COMMENT_ID = re.compile(COMMENT_ID_PATTERN)
_VERSION = re.compile(VERSION_PATTERN)


# A tag as ``grove.models.Tag`` stores it (stripped, 1-40 characters), percent-encoded in the
# path as one segment (``grove.cache_keys.tag_path``).
TAG_MAX_CHARS = 40
# Sitemap pages of a sitemap index: /sitemap-1.xml ...
SITEMAP_NUMBER_PATTERN = r"^[1-9][0-9]{0,5}$"
_SITEMAP_NUMBER = re.compile(SITEMAP_NUMBER_PATTERN)


def tag_from_path(raw: str) -> str | None:
    """The tag a path segment names, or None when it can name none (bad UTF-8, empty, too
    long, surrounding spaces: no stored tag looks like that)."""
    try:
        tag = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None
    if not 1 <= len(tag) <= TAG_MAX_CHARS or tag != tag.strip():
        return None
    return tag


@dataclass(frozen=True)
class PathParam:
    check: Callable[[str], bool]
    schema: Mapping[str, object]
    what: str  # for people: what a valid value looks like


def _id_param(what: str) -> PathParam:
    """An id path parameter: letters, digits, dashes and underscores (``ACCOUNT_ID_PATTERN``)."""
    return PathParam(
        lambda value: _ACCOUNT_ID.match(value) is not None,
        {"type": "string", "pattern": ACCOUNT_ID_PATTERN},
        f"{what} (letters, digits, dashes and underscores)",
    )


PATH_PARAMS: dict[str, PathParam] = {
    "slug": PathParam(
        is_valid_slug,
        {"type": "string", "pattern": SLUG_PATTERN, "maxLength": SLUG_MAX_CHARS},
        "lower-case letters, digits and single dashes",
    ),
    # Account ids and credential ids: what grove.ids mints, or a CLI/test user id. Meadow names
    # an author by user id (the author_id of their posts) and a post by its id (grove.ids: hex;
    # older or test ids may differ).
    "user_id": _id_param("an account id"),
    "author_id": _id_param("an author's account id"),
    "post_id": _id_param("a post id"),
    "id": _id_param("a token id"),
    "comment_id": PathParam(
        lambda value: _COMMENT_ID.match(value) is not None,
        {"type": "string", "pattern": COMMENT_ID_PATTERN},
        "a comment id (32 lower-case hex digits)",
    ),
    "tag": PathParam(
        lambda value: tag_from_path(value) is not None,
        {"type": "string", "minLength": 1, "maxLength": TAG_MAX_CHARS},
        "a tag of 1 to 40 characters",
    ),
    "number": PathParam(
        lambda value: _SITEMAP_NUMBER.match(value) is not None,
        {"type": "string", "pattern": SITEMAP_NUMBER_PATTERN},
        "a page number",
    ),
    "version": PathParam(
        lambda value: _VERSION.match(value) is not None,
        {"type": "string", "pattern": VERSION_PATTERN},
        "a version number (1, 2, ...)",
    ),
    "name": PathParam(
        lambda value: _ASSET_NAME.match(value) is not None,
        {"type": "string", "pattern": ASSET_NAME_PATTERN},
        "a content-hashed static file name",
    ),
}


def invalid_param(params: Mapping[str, str]) -> tuple[str, PathParam] | None:
    """The first parameter whose value breaks its rule, or None."""
    for name, value in params.items():
        rule = PATH_PARAMS[name]
        if not rule.check(value):
            return name, rule
    return None
