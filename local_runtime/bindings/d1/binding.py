"""The ``env.DB`` binding surface: ``D1Database`` and ``D1PreparedStatement``, async, with the
call shapes Python code sees through the SDK (workerd ``src/cloudflare/internal/d1-api.ts``:
bind type checks, result shapes, error prefixes). The SQL itself runs in ``D1Engine``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from local_runtime.bindings.d1.engine import D1Engine, D1Query, QueryResult
from local_runtime.bindings.d1.errors import D1Error
from local_runtime.bindings.d1.values import SqlValue, to_d1_param
from local_runtime.faults import FaultPoint
from local_runtime.js_values import options_object, refuse_unsendable
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices
from local_runtime.sqlite_policy import has_tokens

_RAW_OPTIONS = frozenset({"columnNames"})


def _result_dict(result: QueryResult) -> JsDict:
    return JsDict(results=result.row_objects(), success=True, meta=JsDict(result.meta))


class D1PreparedStatement:
    """``db.prepare(sql)``: immutable; ``bind`` returns a new statement."""

    def __init__(
        self, database: D1Database, statement: str, params: Sequence[SqlValue] = ()
    ) -> None:
        self._database = database
        self.statement = statement
        self.params: tuple[SqlValue, ...] = tuple(params)

    def bind(self, *values: Any) -> D1PreparedStatement:
        return D1PreparedStatement(self._database, self.statement, [to_d1_param(v) for v in values])

    def _query(self) -> D1Query:
        return D1Query(self.statement, self.params)

    async def all(self) -> JsDict:
        (result,) = await self._database._execute([self._query()])
        return _result_dict(result)

    async def run(self) -> JsDict:
        # Same shape as all(), as miniflare answers it (results included).
        (result,) = await self._database._execute([self._query()])
        return _result_dict(result)

    async def first(self, colName: str | None = None) -> Any:  # noqa: N803 (JS name)
        (result,) = await self._database._execute([self._query()])
        rows = result.row_objects()
        if not rows:
            return None
        row = rows[0]
        if colName is None:
            return row
        if colName not in row:
            raise D1Error(
                f"D1_COLUMN_NOTFOUND: Column not found ({colName})", detail="Column not found"
            )
        return row[colName]

    async def raw(self, options: Mapping[str, Any] | None = None, /, **kwargs: Any) -> list[list[Any]]:
        """Rows as lists; ``raw(columnNames=True)`` (or ``raw({"columnNames": True})``) puts
        the column names first."""
        opts = options_object(options, kwargs, "D1PreparedStatement.raw()", _RAW_OPTIONS)
        with_names = bool(opts.get("columnNames"))
        (result,) = await self._database._execute([self._query()])
        head = [list(result.columns)] if with_names else []
        return head + [list(row) for row in result.rows]


class D1Database:
    """The ``env.DB`` binding: a SQLite file at ``<state>/d1/<database_id>.sqlite3``."""

    def __init__(self, services: RuntimeServices, name: str, database_id: str) -> None:
        self.name = name
        self.database_id = database_id
        self._services = services
        self.path = services.path("d1", f"{database_id}.sqlite3")
        self.engine = D1Engine(self.path)

    def stored_bytes(self) -> int:
        """Bytes stored, as D1 bills storage (a local measure, not a binding method)."""
        return self.engine.stored_bytes()

    def prepare(self, query: str) -> D1PreparedStatement:
        if not isinstance(query, str):
            raise TypeError(f"prepare() takes SQL text, not {type(query).__name__}")
        return D1PreparedStatement(self, query)

    async def batch(self, statements: list[D1PreparedStatement]) -> list[JsDict]:
        """Run statements in one transaction: all results, or an error and nothing committed."""
        refuse_unsendable(statements)
        statements = list(statements)
        for stmt in statements:
            if not isinstance(stmt, D1PreparedStatement):
                raise TypeError(f"batch() takes prepared statements, not {type(stmt).__name__}")
        self._services.stats.incr("d1.batches")
        results = await self._execute([s._query() for s in statements])
        return [_result_dict(r) for r in results]

    async def exec(self, query: str) -> JsDict:
        """Run SQL text line by line (d1-api.ts splits on newlines; no bindings).

        Each line is one D1 query, so a statement spanning several lines fails as in
        production. Blank and comment-only lines are skipped, as miniflare does. The lines run
        in one transaction (miniflare's behaviour); on error nothing is committed.
        """
        lines = query.strip().split("\n")
        numbered = [(n, line) for n, line in enumerate(lines, start=1) if has_tokens(line)]
        try:
            results = await self._execute([D1Query(line) for _, line in numbered])
        except D1Error as exc:
            if not numbered:
                raise
            n, line = numbered[exc.query_index]
            detail = f"Error in line {n}: {line}: {exc.detail}"
            raise D1Error(f"D1_EXEC_ERROR: {detail}", detail=detail) from exc
        return JsDict(count=len(results), duration=sum(r.meta["duration"] for r in results))

    def close(self) -> None:
        self.engine.close()

    async def _execute(self, queries: list[D1Query]) -> list[QueryResult]:
        # Private, like every name here that production's binding lacks: app code must not rely on it.
        """One call to D1 (a statement, a batch or an exec): counted, modelled, one transaction."""
        async with self._services.io():
            # One modelled round trip per call: a batch or exec is a single request to D1.
            self._services.model("d1_query")
            self._services.stats.incr("d1.queries", len(queries))
            faults = self._services.faults
            if faults.trips(FaultPoint.D1_UNAVAILABLE):
                raise D1Error.upstream("Network connection lost.")
            if faults.trips(FaultPoint.D1_STATEMENT_ERROR, "\n".join(q.sql for q in queries)):
                raise D1Error.upstream("injected statement failure: SQLITE_ERROR")
            try:
                results = self.engine.run_queries(queries)
            except sqlite3.ProgrammingError as exc:  # e.g. the database was closed
                raise D1Error.upstream(str(exc)) from exc
        self._services.stats.incr("d1.rows_read", sum(r.meta["rows_read"] for r in results))
        self._services.stats.incr("d1.rows_written", sum(r.meta["rows_written"] for r in results))
        return results
