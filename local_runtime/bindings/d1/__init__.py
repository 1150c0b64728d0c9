"""The local D1 binding: one SQLite file per database, with D1's call shapes, limits and authorizer.

Production path being reproduced: Python code calls the SDK-wrapped JS binding
(workerd ``src/cloudflare/internal/d1-api.ts``), which JSON-encodes statements and parameters,
sends them to D1, and the SDK converts the JSON answer back to Python (``JsDict`` rows, lists
for arrays). ``binding`` is the async surface the SDK shows, ``engine`` the synchronous SQLite
core (what D1's backend does), ``values`` the parameter and result conversions, ``errors`` the
exceptions. The SQL rules shared with Durable Object storage are ``local_runtime.sqlite_policy``.
"""

from local_runtime.bindings.d1.binding import D1Database, D1PreparedStatement
from local_runtime.bindings.d1.engine import D1Engine, D1Query, QueryResult
from local_runtime.bindings.d1.errors import D1Error, D1TypeError
from local_runtime.bindings.d1.values import to_d1_param
from local_runtime.sqlite_policy import TRANSACTION_REFUSED

__all__ = [
    "TRANSACTION_REFUSED",
    "D1Database",
    "D1Engine",
    "D1Error",
    "D1PreparedStatement",
    "D1Query",
    "D1TypeError",
    "QueryResult",
    "to_d1_param",
]
