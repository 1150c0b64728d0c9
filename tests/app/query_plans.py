"""Checking the plans of the statements a path sends to D1 (``EXPLAIN QUERY PLAN`` through the
binding, as app code would ask). A test records statements with the ``d1_statements`` fixture
(tests/app/conftest.py), runs its paths over HTTP, then asserts ``await unindexed(db, seen)``
is empty: no full scan, no temporary B-tree. Every list's test does this (grove.pagination)."""

from __future__ import annotations

from typing import Any

_CHECKED = ("SELECT", "UPDATE", "DELETE", "INSERT")


def bad_steps(plan: list[dict[str, Any]]) -> list[str]:
    details = [row["detail"] for row in plan]
    # "SCAN CONSTANT ROW" is a SELECT without FROM (its subqueries are checked on their own lines).
    return [d for d in details if (d.startswith("SCAN") and d != "SCAN CONSTANT ROW") or "TEMP B-TREE" in d]


async def unindexed(db: Any, statements: dict[str, tuple]) -> tuple[int, dict[str, list[str]]]:
    """(statements checked, SQL -> its bad plan steps) for every recorded statement."""
    checked = 0
    problems: dict[str, list[str]] = {}
    for sql, params in list(statements.items()):
        if not sql.lstrip().upper().startswith(_CHECKED):
            continue
        plan = (await db.prepare(f"EXPLAIN QUERY PLAN {sql}").bind(*params).all())["results"]
        checked += 1
        if bad := bad_steps(plan):
            problems[sql] = bad
    return checked, problems
