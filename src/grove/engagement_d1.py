"""What PostMetaDO writes to and reads from D1 (migration ``0007_post_meta.sql``): comment
inserts and moderation, the reaction rows, the view totals on ``posts``, and comment pages.

Every write is idempotent, because a buffered batch that reached D1 but was not yet removed
from the object's buffer is sent again (``durable_objects.buffered_flush``):
- comments are inserted by id with ``ON CONFLICT (id) DO NOTHING``;
- hiding and deleting set a time only where none is set yet (``COALESCE``);
- a reaction change writes the row's final state (insert-or-ignore, or delete), never a delta;
- view totals are absolute values.
Each delivery is one D1 ``batch`` (one round trip, all or nothing).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypedDict

from grove.bindings import D1Database, D1PreparedStatement, D1Result, SqlValue
from grove.d1_limits import D1_MAX_BOUND_PARAMETERS

COMMENT_COLUMNS = (
    "id", "tenant", "post_id", "user_id", "parent_id", "markdown", "html",
    "created_at_ms", "hidden_at_ms", "deleted_at_ms",
)
_PER_STATEMENT = D1_MAX_BOUND_PARAMETERS // len(COMMENT_COLUMNS)
_ROW = "(" + ", ".join("?" * len(COMMENT_COLUMNS)) + ")"
_SELECT = "id, user_id, parent_id, html, created_at_ms, hidden_at_ms, deleted_at_ms"


class CommentRow(TypedDict):
    """A comment as both the object's buffer and D1 select it (``_SELECT``)."""

    id: str
    user_id: str
    parent_id: str | None
    html: str
    created_at_ms: int
    hidden_at_ms: int | None
    deleted_at_ms: int | None


class ViewTotals(TypedDict):
    views: int
    views_30d: int
    daily_uniques_30d: int
    last_viewed_at_ms: int | None


SELECT_COLUMNS = _SELECT
# After the cursor ``(created_at_ms, id)``: ?1 post id, ?2 and ?3 the cursor, ?4 the limit.
AFTER_CURSOR = "(created_at_ms > ?2 OR (created_at_ms = ?2 AND id > ?3)) ORDER BY created_at_ms, id LIMIT ?4"


async def insert_comments(db: D1Database, tenant: str, post_id: str, rows: Sequence[Mapping[str, SqlValue]]) -> None:
    """Buffered comment rows (the buffer's columns) into D1, each once."""
    statements: list[D1PreparedStatement[None]] = []
    for start in range(0, len(rows), _PER_STATEMENT):
        chunk = rows[start : start + _PER_STATEMENT]
        values: list[SqlValue] = []
        for row in chunk:
            values += [
                row["id"], tenant, post_id, row["user_id"], row["parent_id"], row["markdown"], row["html"],
                row["created_at_ms"], row["hidden_at_ms"], row["deleted_at_ms"],
            ]
        sql = (
            f"INSERT INTO comments ({', '.join(COMMENT_COLUMNS)}) VALUES "
            + ", ".join([_ROW] * len(chunk))
            + " ON CONFLICT (id) DO NOTHING"
        )
        statements.append(db.prepare(sql).bind(*values))
    await db.batch(statements)


async def apply_comment_changes(
    db: D1Database, tenant: str, post_id: str, rows: Sequence[Mapping[str, SqlValue]]
) -> list[str]:
    """Hide/delete changes (``comment_id``, ``change``, ``at_ms``) in one batch; returns the
    comment ids no row matched (not in D1 yet)."""
    statements: list[D1PreparedStatement[None]] = []
    for row in rows:
        column = "hidden_at_ms" if row["change"] == "hide" else "deleted_at_ms"
        statements.append(
            db.prepare(
                f"UPDATE comments SET {column} = COALESCE({column}, ?1) WHERE id = ?2 AND tenant = ?3 AND post_id = ?4"
            ).bind(row["at_ms"], row["comment_id"], tenant, post_id)
        )
    results: list[D1Result[None]] = await db.batch(statements)
    # A row already carrying its time still matches (changes counts matched rows in SQLite).
    return [str(row["comment_id"]) for row, result in zip(rows, results, strict=True) if not result["meta"]["changes"]]


async def apply_reactions(
    db: D1Database, tenant: str, post_id: str, rows: Sequence[Mapping[str, SqlValue]]
) -> None:
    """Journal rows (``user_id``, ``reaction_type``, ``present``, ``at_ms``), oldest first:
    each (user, type) ends as its last row says."""
    final: dict[tuple[SqlValue, SqlValue], Mapping[str, SqlValue]] = {}
    for row in rows:
        final[(row["user_id"], row["reaction_type"])] = row
    statements: list[D1PreparedStatement[None]] = []
    for (user_id, reaction_type), row in final.items():
        if row["present"]:
            statements.append(
                db.prepare(
                    "INSERT INTO post_reactions (post_id, tenant, user_id, reaction_type, created_at_ms)"
                    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (post_id, user_id, reaction_type) DO NOTHING"
                ).bind(post_id, tenant, user_id, reaction_type, row["at_ms"])
            )
        else:
            statements.append(
                db.prepare(
                    "DELETE FROM post_reactions WHERE post_id = ?1 AND user_id = ?2 AND reaction_type = ?3"
                ).bind(post_id, user_id, reaction_type)
            )
    await db.batch(statements)


async def write_view_totals(db: D1Database, tenant: str, post_id: str, totals: ViewTotals) -> None:
    await db.batch([
        db.prepare(
            "UPDATE posts SET views = ?1, views_30d = ?2, daily_uniques_30d = ?3, last_viewed_at_ms = ?4"
            " WHERE id = ?5 AND tenant = ?6"
        ).bind(
            totals["views"], totals["views_30d"], totals["daily_uniques_30d"], totals["last_viewed_at_ms"],
            post_id, tenant,
        )
    ])


async def comments_after(
    db: D1Database, tenant: str, post_id: str, after: tuple[int, str], limit: int
) -> list[CommentRow]:
    """Up to ``limit`` comments of the post after ``after`` = (created_at_ms, id)."""
    result: D1Result[CommentRow] = await db.prepare(
        f"SELECT {_SELECT} FROM comments WHERE tenant = ?5 AND post_id = ?1 AND {AFTER_CURSOR}"
    ).bind(post_id, after[0], after[1], limit, tenant).all()
    return result["results"]


async def comment_by_id(db: D1Database, tenant: str, post_id: str, comment_id: str) -> CommentRow | None:
    found: CommentRow | None = await db.prepare(
        f"SELECT {_SELECT} FROM comments WHERE id = ?1 AND tenant = ?2 AND post_id = ?3"
    ).bind(comment_id, tenant, post_id).first()
    return found
