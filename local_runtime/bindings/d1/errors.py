"""D1's errors as Python code sees them (messages shaped like workerd ``d1-api.ts``)."""

from __future__ import annotations

from local_runtime.conversion import JsException


class D1Error(JsException):
    """A D1 failure, message shaped like production's (``D1_ERROR: <sqlite message>: <code>``).

    Production's d1-api.ts throws a plain JS ``Error`` for every D1 failure, which reaches
    Python as pyodide's ``JsException``; so this is a ``JsException`` (``name`` "Error"), and
    neither a ``TypeError`` nor a ``ValueError``.
    """

    def __init__(self, message: str, *, detail: str | None = None, query_index: int = 0) -> None:
        super().__init__(message, name="Error")
        # The upstream error without the binding's prefix (what D1 itself reported).
        self.detail = detail if detail is not None else message
        # Which query of a batch / exec failed (0 for single statements).
        self.query_index = query_index

    @classmethod
    def upstream(cls, detail: str) -> D1Error:
        """An error D1 itself reported, as the binding rethrows it (``D1_ERROR: ...``)."""
        return cls(f"D1_ERROR: {detail}", detail=detail)


class D1TypeError(D1Error):
    """``D1_TYPE_ERROR``: bind() got a value D1 cannot store.

    Not a ``TypeError``: d1-api.ts throws ``new Error("D1_TYPE_ERROR: ...")``, so production
    code sees a ``JsException`` that ``except TypeError`` does not catch.
    """
