"""Posts in D1 and R2: every read and write of post rows and post content.

D1 holds every post's metadata. Its content (markdown and rendered HTML) is in D1 while the
post is hot (``storage_location = 'd1'``) and in an R2 object (``r2_key``) once the migrator
moved it to the warm (``r2``) or cold (``r2_archived``) tier. ``read_post`` follows
``storage_location``, so moves need no change here.

Writes are single statements with ``RETURNING``: an edit costs one D1 query.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, TypedDict

from grove.authors import name_column
from grove.bindings import D1Database, D1PreparedStatement, D1Result, Env, R2Bucket, SqlValue
from grove.markdown import RenderedMarkdown
from grove.models import (
    AuthorPost,
    Neighbours,
    PostCreate,
    PostLink,
    PostPage,
    PostStatus,
    PostSummary,
)
from grove.pagination import Cursor, KeysetOrder, page_rows
from grove.tiers import StorageLocation

log = logging.getLogger("grove.posts")

_POST_COLUMNS = (
    "id, slug, title, description, tags, status, author_id, markdown, html, word_count,"
    " reading_time_min, storage_location, r2_key, created_at_ms, updated_at_ms, published_at_ms, content_version"
)
# The author's display name rides with every full post read or write (grove.authors).
_POST_COLUMNS_NAMED = f"{_POST_COLUMNS}, {name_column('posts')}"
_SUMMARY_COLUMNS = (
    "id, slug, title, description, tags, word_count, reading_time_min, published_at_ms"
)


def _qualified(columns: str, alias: str) -> str:
    """``"id, slug"`` -> ``"p.id, p.slug"``: the same columns read through a join."""
    return ", ".join(f"{alias}.{column.strip()}" for column in columns.split(","))


# One partial update for every field; ``?N IS NULL`` means "not sent". Editing the markdown
# brings the content back to D1 (hot), as the roadmap decided; r2_key is kept so the caller
# can delete the R2 copy. published_at_ms is set the first time the post is published.
_UPDATE = f"""
UPDATE posts SET
  title = COALESCE(?3, title),
  slug = COALESCE(?4, slug),
  description = COALESCE(?5, description),
  tags = COALESCE(?6, tags),
  status = COALESCE(?7, status),
  markdown = CASE WHEN ?8 IS NULL THEN markdown ELSE ?8 END,
  html = CASE WHEN ?8 IS NULL THEN html ELSE ?9 END,
  word_count = COALESCE(?10, word_count),
  reading_time_min = COALESCE(?11, reading_time_min),
  storage_location = CASE WHEN ?8 IS NULL THEN storage_location ELSE 'd1' END,
  content_version = COALESCE(?14, content_version),
  updated_at_ms = ?12,
  published_at_ms = CASE
    WHEN COALESCE(?7, status) = 'published' AND published_at_ms IS NULL THEN ?12
    ELSE published_at_ms END
WHERE tenant = ?1 AND slug = ?2 AND (?13 IS NULL OR id = ?13)
RETURNING {_POST_COLUMNS_NAMED}
"""


class SummaryRow(TypedDict):
    """A post as ``_SUMMARY_COLUMNS`` selects it (``tags``: JSON text)."""

    id: str
    slug: str
    title: str
    description: str
    tags: str | None
    word_count: int
    reading_time_min: int
    published_at_ms: int | None


class PostRow(SummaryRow):
    """A post as ``_POST_COLUMNS_NAMED`` selects it; ``markdown``/``html`` are NULL once the
    content moved to R2 (``r2_key``); ``author_name`` is NULL for an author with no account."""

    status: PostStatus
    author_id: str
    author_name: str | None
    markdown: str | None
    html: str | None
    storage_location: StorageLocation
    r2_key: str | None
    created_at_ms: int
    updated_at_ms: int
    content_version: int | None  # the PostContentDO version shown (NULL: before versions)


class DeletedRow(TypedDict):
    id: str
    author_id: str
    slug: str
    status: PostStatus
    published_at_ms: int | None
    r2_key: str | None


class SlugRow(TypedDict):
    slug: str


class PostRef(TypedDict):
    """Which post a slug names, and its status: what draft routes need before the draft."""

    id: str
    slug: str
    status: PostStatus


class WorkspaceRow(TypedDict):
    """A post as the author's dashboard lists it (any status)."""

    id: str
    slug: str
    title: str
    status: PostStatus
    storage_location: StorageLocation
    updated_at_ms: int
    published_at_ms: int | None


class R2Content(TypedDict):
    """The JSON of a post's content object in R2."""

    markdown: str
    html: str
    stored_at_ms: int


class SlugTaken(Exception):
    pass


class UnknownTenant(Exception):
    pass


class ContentMissing(Exception):
    """A post's content should be in R2 and is not: an operator must look."""

    def __init__(self, tenant: str, slug: str, r2_key: str | None) -> None:
        super().__init__(f"content of post {tenant}/{slug} is missing from R2 (key {r2_key!r})")
        self.r2_key = r2_key


@dataclass(frozen=True)
class DeletedPost:
    id: str
    slug: str
    status: PostStatus
    published_at_ms: int | None
    author_id: str


def r2_content_key(tenant: str, post_id: str, storage_location: StorageLocation) -> str:
    folder = "archive" if storage_location == "r2_archived" else "posts"
    return f"{folder}/{tenant}/{post_id}.json"


async def write_r2_content(bucket: R2Bucket, key: str, *, markdown: str, html: str, now_ms: int) -> None:
    content: R2Content = {"markdown": markdown, "html": html, "stored_at_ms": now_ms}
    body = json.dumps(content)
    await bucket.put(key, body, httpMetadata={"contentType": "application/json"})


async def _read_r2_content(bucket: R2Bucket, key: str | None) -> R2Content | None:
    if not key:
        return None
    obj = await bucket.get(key)
    if obj is None:
        return None
    content: R2Content = json.loads(await obj.text())
    return content


async def _write_returning(statement: D1PreparedStatement[PostRow]) -> PostRow | None:
    """Run a write with ``RETURNING``; its first row (or None). A taken slug or an unknown
    tenant becomes ``SlugTaken`` / ``UnknownTenant``."""
    try:
        return await statement.first()
    except Exception as exc:
        # D1 reports constraint failures in the message, on CPython and on Pyodide alike.
        text = str(exc)
        if "UNIQUE constraint failed" in text:
            raise SlugTaken() from exc
        if "FOREIGN KEY constraint failed" in text:
            raise UnknownTenant() from exc
        raise


def _post_from_row(row: PostRow, content: R2Content | None = None) -> AuthorPost:
    data: dict[str, object] = {**row, "tags": json.loads(row["tags"] or "[]"), "author_name": row.get("author_name") or ""}
    markdown, html = (content["markdown"], content["html"]) if content is not None else (row["markdown"], row["html"])
    data["markdown"], data["html"] = markdown or "", html or ""
    return AuthorPost.model_validate(data)


async def _resolve_content(env: Env, tenant: str, row: PostRow) -> AuthorPost:
    if row["storage_location"] == "d1":
        return _post_from_row(row)
    content = await _read_r2_content(env.CONTENT, row["r2_key"])
    if content is None:
        raise ContentMissing(tenant, row["slug"], row["r2_key"])
    return _post_from_row(row, content)


async def read_post(env: Env, tenant: str, slug: str) -> AuthorPost | None:
    """The post with its content from wherever ``storage_location`` says (any status)."""
    select: D1PreparedStatement[PostRow] = env.DB.prepare(
        f"SELECT {_POST_COLUMNS_NAMED} FROM posts WHERE tenant = ?1 AND slug = ?2"
    )
    row = await select.bind(tenant, slug).first()
    return None if row is None else await _resolve_content(env, tenant, row)


async def read_post_row(db: D1Database, tenant: str, post_id: str) -> PostRow | None:
    """The post's row by id (content columns NULL when it is in R2)."""
    select: D1PreparedStatement[PostRow] = db.prepare(f"SELECT {_POST_COLUMNS_NAMED} FROM posts WHERE tenant = ?1 AND id = ?2")
    return await select.bind(tenant, post_id).first()


async def post_with_content(env: Env, tenant: str, row: PostRow) -> AuthorPost:
    """``row`` as a post, its content read from wherever ``storage_location`` says."""
    return await _resolve_content(env, tenant, row)


async def read_post_ref(db: D1Database, tenant: str, slug: str) -> PostRef | None:
    """The id and status of the post at ``slug`` (any status), without its content."""
    select: D1PreparedStatement[PostRef] = db.prepare(
        "SELECT id, slug, status FROM posts WHERE tenant = ?1 AND slug = ?2"
    )
    return await select.bind(tenant, slug).first()


# The dashboard's order (index posts_by_tenant_updated, migration 0005): every status, most
# recently updated first, read by keyset like the reader lists (grove.pagination's recipe).
WORKSPACE_ORDER = KeysetOrder("updated_at_ms", "id")


@dataclass(frozen=True)
class WorkspacePage:
    """One page of the dashboard and the cursors of the pages either side (None at the ends)."""

    posts: list[WorkspaceRow]
    older_cursor: str | None
    newer_cursor: str | None


async def read_workspace_page(db: D1Database, tenant: str, page_size: int, cursor: Cursor | None = None) -> WorkspacePage:
    """The tenant's posts of every status, most recently updated first, from ``cursor``."""
    select: D1PreparedStatement[WorkspaceRow] = db.prepare(
        "SELECT id, slug, title, status, storage_location, updated_at_ms, published_at_ms FROM posts"
        f" WHERE tenant = ?1{WORKSPACE_ORDER.where(cursor, 3, 4)}{WORKSPACE_ORDER.order_by(cursor)} LIMIT ?2"
    )
    params: list[SqlValue] = [tenant, page_size + 1]
    if cursor is not None:
        params += list(WORKSPACE_ORDER.params(cursor))
    window = page_rows((await select.bind(*params).all())["results"], cursor, page_size)
    older, newer = WORKSPACE_ORDER.edge_cursors(window, lambda row: (row["updated_at_ms"], row["id"]))
    return WorkspacePage(posts=window.rows, older_cursor=older, newer_cursor=newer)


class AuthoredRow(TypedDict):
    """A reader-visible post of one account, in whichever blog."""

    tenant: str
    id: str
    slug: str
    storage_location: StorageLocation


async def read_authored_posts(db: D1Database, author_id: str, limit: int) -> list[AuthoredRow]:
    """The account's published and archived posts in every blog, most recently updated first,
    at most ``limit`` (index posts_by_author, migration 0005)."""
    select: D1PreparedStatement[AuthoredRow] = db.prepare(
        "SELECT tenant, id, slug, storage_location FROM posts WHERE author_id = ?1 AND status != 'draft'"
        " ORDER BY updated_at_ms DESC LIMIT ?2"
    )
    return (await select.bind(author_id, limit).all())["results"]


# The reader lists' order (index posts_by_tenant_status_published, migration 0003).
PUBLISHED_ORDER = KeysetOrder("published_at_ms", "id")
# A tag's posts in the same order, from post_tags (index post_tags_by_tenant_tag_published,
# migration 0006): a tag page is a range of that index, joined to posts by primary key.
TAGGED_ORDER = KeysetOrder("t.published_at_ms", "t.post_id")


def _list_select(tag: str | None, cursor: Cursor | None, columns: str, *, named: bool = False) -> str:
    """A newest-first list of published posts (all, or one tag's): ``?1`` tenant, ``?2`` limit,
    ``?3`` offset, ``?4``/``?5`` the cursor's key and id, ``?6`` the tag. ``named``: with the
    author's display name (``grove.authors.name_column``)."""
    if tag is None:
        return (
            f"SELECT {columns}{', ' + name_column('posts') if named else ''} FROM posts WHERE tenant = ?1 AND status = 'published'"
            f"{PUBLISHED_ORDER.where(cursor, 4, 5)}{PUBLISHED_ORDER.order_by(cursor)} LIMIT ?2 OFFSET ?3"
        )
    return (
        f"SELECT {_qualified(columns, 'p')}{', ' + name_column('p') if named else ''} FROM post_tags AS t JOIN posts AS p ON p.id = t.post_id"
        f" WHERE t.tenant = ?1 AND t.tag = ?6{TAGGED_ORDER.where(cursor, 4, 5)}{TAGGED_ORDER.order_by(cursor)}"
        " LIMIT ?2 OFFSET ?3"
    )


def _list_params(tenant: str, limit: int, offset: int, cursor: Cursor | None, tag: str | None) -> list[SqlValue]:
    key, row_id = PUBLISHED_ORDER.params(cursor)
    params: list[SqlValue] = [tenant, limit, offset]
    if cursor is not None or tag is not None:
        params += [key, row_id]
    if tag is not None:
        params.append(tag)
    return params


async def read_published_page(
    db: D1Database,
    tenant: str,
    page_size: int,
    *,
    cursor: Cursor | None = None,
    page: int | None = 1,
    tag: str | None = None,
) -> PostPage:
    """One page of published posts (with ``tag``, only those tagged so), newest first: from
    ``cursor`` (keyset), or numbered page ``page`` (only the first few: ``OFFSET`` costs what
    it skips). One extra row tells whether more follow."""
    offset = 0 if cursor is not None or page is None else (page - 1) * page_size
    select: D1PreparedStatement[SummaryRow] = db.prepare(_list_select(tag, cursor, _SUMMARY_COLUMNS))
    bound = select.bind(*_list_params(tenant, page_size + 1, offset, cursor, tag))
    window = page_rows((await bound.all())["results"], cursor, page_size, offset=offset)
    posts = [PostSummary.model_validate({**row, "tags": json.loads(row["tags"] or "[]")}) for row in window.rows]
    older, newer = PUBLISHED_ORDER.edge_cursors(window, lambda row: (row["published_at_ms"] or 0, row["id"]))
    return PostPage(
        posts=posts, page=page if cursor is None else None, has_more=window.has_older, older_cursor=older, newer_cursor=newer
    )


async def insert_post(
    db: D1Database,
    *,
    tenant: str,
    post_id: str,
    author_id: str,
    slug: str,
    payload: PostCreate,
    rendered: RenderedMarkdown,
    now_ms: int,
    content_version: int | None = None,
) -> AuthorPost:
    published_at_ms = now_ms if payload.status == "published" else None
    insert: D1PreparedStatement[PostRow] = db.prepare(
        "INSERT INTO posts (id, tenant, slug, title, description, tags, status, author_id,"
        " markdown, html, word_count, reading_time_min, storage_location, created_at_ms,"
        " updated_at_ms, published_at_ms, content_version)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 'd1', ?13, ?13, ?14, ?15)"
        f" RETURNING {_POST_COLUMNS_NAMED}"
    )
    row = await _write_returning(
        insert.bind(
            post_id,
            tenant,
            slug,
            payload.title,
            payload.description,
            json.dumps(payload.tags),
            payload.status,
            author_id,
            payload.markdown,
            rendered.html,
            rendered.word_count,
            rendered.reading_time_min,
            now_ms,
            published_at_ms,
            content_version,
        )
    )
    if row is None:
        # An INSERT either stores the row (and RETURNING yields it) or raises.
        raise RuntimeError(f"INSERT ... RETURNING gave no row for post {tenant}/{slug}")
    return _post_from_row(row)


async def update_post(
    env: Env,
    tenant: str,
    slug: str,
    changes: dict[str, Any],
    rendered: RenderedMarkdown | None,
    now_ms: int,
    *,
    post_id: str | None = None,
    content_version: int | None = None,
) -> AuthorPost | None:
    """Apply a partial update; None when there is no such post (or, with ``post_id``, when the
    post at ``slug`` is another one). ``content_version``: the PostContentDO version the new
    markdown is (a content write; ``grove.post_writes``)."""
    tags = changes.get("tags")
    row = await _write_returning(
        env.DB.prepare(_UPDATE).bind(
            tenant,
            slug,
            changes.get("title"),
            changes.get("slug"),
            changes.get("description"),
            None if tags is None else json.dumps(tags),
            changes.get("status"),
            changes.get("markdown"),
            rendered.html if rendered else None,
            rendered.word_count if rendered else None,
            rendered.reading_time_min if rendered else None,
            now_ms,
            post_id,
            content_version,
        )
    )
    if row is None:
        return None
    if row["storage_location"] == "d1" and row["r2_key"]:
        # The content just came back to D1: drop the R2 copy, then forget its key (rare path:
        # only an edit of a warm or cold post's markdown gets here).
        await env.CONTENT.delete(row["r2_key"])
        await (
            env.DB.prepare(
                "UPDATE posts SET r2_key = NULL WHERE id = ?1 AND storage_location = 'd1'"
            )
            .bind(row["id"])
            .run()
        )
        moved: PostRow = {**row, "r2_key": None}
        return await _resolve_content(env, tenant, moved)
    return await _resolve_content(env, tenant, row)


async def delete_post(env: Env, tenant: str, slug: str) -> DeletedPost | None:
    """Delete the post at ``slug`` with its comments and reactions in D1, in one batch (one
    transaction: none of them outlives the others)."""
    post = "(SELECT id FROM posts WHERE tenant = ?1 AND slug = ?2)"
    delete: D1PreparedStatement[DeletedRow] = env.DB.prepare(
        "DELETE FROM posts WHERE tenant = ?1 AND slug = ?2"
        " RETURNING id, author_id, slug, status, published_at_ms, r2_key"
    )
    results: list[D1Result[DeletedRow]] = await env.DB.batch([
        env.DB.prepare(f"DELETE FROM comments WHERE tenant = ?1 AND post_id = {post}").bind(tenant, slug),
        env.DB.prepare(f"DELETE FROM post_reactions WHERE tenant = ?1 AND post_id = {post}").bind(tenant, slug),
        delete.bind(tenant, slug),
    ])
    rows = results[-1]["results"]
    if not rows:
        return None
    row = rows[0]
    if row["r2_key"]:
        await env.CONTENT.delete(row["r2_key"])
    return DeletedPost(
        id=row["id"], slug=row["slug"], status=row["status"], published_at_ms=row["published_at_ms"],
        author_id=row["author_id"],
    )


# --- what readers see around a post ---------------------------------------------------------


class NeighbourRow(TypedDict):
    """The posts published just after and just before a position (JSON objects as text)."""

    newer: str | None
    older: str | None


def _neighbour(op: str, way: str, key: str, row_id: str) -> str:
    # One indexed seek each (posts_by_tenant_status_published): the nearest published post on
    # one side of (key, row_id), as a JSON object so one scalar subquery carries id, slug and title.
    return (
        "(SELECT json_object('id', n.id, 'slug', n.slug, 'title', n.title) FROM posts AS n"
        f" WHERE n.tenant = ?1 AND n.status = 'published' AND (n.published_at_ms, n.id) {op} ({key}, {row_id})"
        f" ORDER BY n.published_at_ms {way}, n.id {way} LIMIT 1)"
    )


def _neighbour_columns(key: str, row_id: str) -> str:
    return f"{_neighbour('>', 'ASC', key, row_id)} AS newer, {_neighbour('<', 'DESC', key, row_id)} AS older"


def _links(row: NeighbourRow) -> Neighbours:
    def link(text: str | None) -> PostLink | None:
        return None if text is None else PostLink.model_validate_json(text)

    return Neighbours(newer=link(row["newer"]), older=link(row["older"]))


class _PostWithNeighbours(PostRow, NeighbourRow):
    pass


async def read_post_for_readers(env: Env, tenant: str, slug: str) -> tuple[AuthorPost, Neighbours] | None:
    """The post at ``slug`` and its published neighbours, in one query (``read_post`` plus two
    scalar subqueries); the neighbours of a post that is not published are empty."""
    select: D1PreparedStatement[_PostWithNeighbours] = env.DB.prepare(
        f"SELECT {_POST_COLUMNS_NAMED}, {_neighbour_columns('posts.published_at_ms', 'posts.id')}"
        " FROM posts WHERE tenant = ?1 AND slug = ?2"
    )
    row = await select.bind(tenant, slug).first()
    if row is None:
        return None
    post = await _resolve_content(env, tenant, row)
    return post, (_links(row) if post.status == "published" else Neighbours())


async def neighbours_at(db: D1Database, tenant: str, published_at_ms: int, post_id: str) -> Neighbours:
    """The published posts either side of the position ``(published_at_ms, post_id)``: after a
    write, the posts whose previous/next links pointed at (or should now point at) it."""
    select: D1PreparedStatement[NeighbourRow] = db.prepare(f"SELECT {_neighbour_columns('?2', '?3')}")
    row = await select.bind(tenant, published_at_ms, post_id).first()
    return Neighbours() if row is None else _links(row)


class _SlugRow(TypedDict):
    slug: str


class _OldSlugRow(TypedDict):
    old_slug: str


async def old_slugs(db: D1Database, post_id: str) -> list[str]:
    """Every slug the post was renamed away from and still redirects (index post_redirects_by_post)."""
    select: D1PreparedStatement[_OldSlugRow] = db.prepare("SELECT old_slug FROM post_redirects WHERE post_id = ?1")
    return [row["old_slug"] for row in (await select.bind(post_id).all())["results"]]


async def redirect_target(db: D1Database, tenant: str, old_slug: str) -> str | None:
    """The slug now of the reader-visible post that was renamed away from ``old_slug``."""
    select: D1PreparedStatement[_SlugRow] = db.prepare(
        "SELECT p.slug FROM post_redirects AS r JOIN posts AS p ON p.id = r.post_id"
        " WHERE r.tenant = ?1 AND r.old_slug = ?2 AND p.status != 'draft'"
    )
    row = await select.bind(tenant, old_slug).first()
    return None if row is None else row["slug"]


async def read_latest_posts(env: Env, tenant: str, limit: int, *, tag: str | None = None) -> list[AuthorPost]:
    """The newest ``limit`` published posts (of ``tag``) with their content (feeds): one query,
    plus an R2 read for each whose content is not in D1."""
    select: D1PreparedStatement[PostRow] = env.DB.prepare(_list_select(tag, None, _POST_COLUMNS, named=True))
    rows = (await select.bind(*_list_params(tenant, limit, 0, None, tag)).all())["results"]
    return list(await asyncio.gather(*(_resolve_content(env, tenant, row) for row in rows)))


class SitemapRow(TypedDict):
    slug: str
    updated_at_ms: int


class _CountRow(TypedDict):
    n: int


async def count_published(db: D1Database, tenant: str) -> int:
    select: D1PreparedStatement[_CountRow] = db.prepare(
        "SELECT count(*) AS n FROM posts WHERE tenant = ?1 AND status = 'published'"
    )
    row = await select.bind(tenant).first()
    return 0 if row is None else row["n"]


async def read_sitemap_rows(db: D1Database, tenant: str, limit: int, offset: int) -> list[SitemapRow]:
    """Published posts' slugs and last changes, newest first (a sitemap is O(n) by nature)."""
    select: D1PreparedStatement[SitemapRow] = db.prepare(
        "SELECT slug, updated_at_ms FROM posts WHERE tenant = ?1 AND status = 'published'"
        " ORDER BY published_at_ms DESC, id DESC LIMIT ?2 OFFSET ?3"
    )
    return (await select.bind(tenant, limit, offset).all())["results"]
