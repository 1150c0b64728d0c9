"""The contract every scenario test is written against, so it runs unchanged in both lanes.

A scenario takes the ``edge`` fixture and uses only this surface:

=====================================  ==========================================================
``edge.lane``                          ``"cpython"`` (local runtime) or ``"pyodide"`` (real
                                       Pyodide + SDK + miniflare)
``edge.root_domain``                   the main Worker's ``ROOT_DOMAIN`` (top-level config)
``edge.url(tenant, path)``             ``https://{tenant}.{root_domain}{path}``
``edge.now_ms()``                      the time the Workers see (simulated or wall clock)
``await edge.settle()``                let alarms that are due now run, and their work finish
``await edge.fetch(method, url,        one request to a Worker's ``Default.fetch`` (main Worker
headers=None, body=None, worker=None)``  unless ``worker`` names another); an ``EdgeResponse``.
                                       Raises ``WorkerThrew`` if the Worker itself threw.
``await edge.scheduled(cron,           run a ``scheduled`` handler (the Worker with that cron
worker=None)``                         trigger); returns what the handler returned, as data
``edge.env`` / ``edge.env_of(name)``   the Worker's bindings exactly as app code sees them (in
                                       the Pyodide lane: the SDK's wrappers over miniflare)
``await edge.do_sql(binding, name,     rows of a Durable Object's own SQLite (the object is
sql, worker=None)``                    constructed first, as its first event would)
``await edge.drain()``                 wait for ``waitUntil`` work
``edge.require(capability)``           skip (with the reason) in a lane without it; known
                                       capabilities: ``"simulated_clock"``, ``"queues"``
``await edge.advance(ms)``             move the simulated clock (``simulated_clock`` only)
=====================================  ==========================================================

Every test gets a fresh platform: migrated D1, empty KV/R2/cache, no Durable Objects.
Adding a scenario: a new ``test_scenario_*.py`` in ``tests/scenarios/`` using only ``edge``
(the prefix keeps basenames unique across ``tests/``, which has no ``__init__.py`` files).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# ENVIRONMENT "test": no email API key outside production sends mail to the D1 dev outbox,
# which scenarios read through ``edge.env.DB`` (the sign-in scenario).
TEST_SECRETS = {"JWT_SECRET": "test-secret-not-for-production", "ENVIRONMENT": "test"}

CAPABILITY_REASONS = {
    "simulated_clock": "miniflare's bindings run on workerd's real clock; time cannot be moved",
    # miniflare implements queues, but its broker hands batches to a consumer Worker running in
    # workerd; the lane runs the app's Workers as Pyodide isolates in Node, so no batch could
    # reach the app's own queue() handler (and its producers are not bound there either).
    "queues": "the Pyodide lane binds no queues: miniflare's broker delivers only to Workers in workerd",
}


class WorkerThrew(Exception):
    """The Worker raised instead of returning a response (production answers 500 / error 1101)."""


@dataclass
class EdgeResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


def headers_dict(items: Any) -> dict[str, str]:
    """Header pairs to a dict with lower-case names; repeated names joined with ", "."""
    out: dict[str, str] = {}
    for name, value in items:
        key = str(name).lower()
        out[key] = f"{out[key]}, {value}" if key in out else str(value)
    return out
