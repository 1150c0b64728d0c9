"""What the in-process benchmarks (``bench/*.py`` on the local runtime) share, so each script
reads as its workload and its figures: a platform on a simulated clock in a temporary folder,
tokens signed with the benchmarks' secret, a reply check, requests spread over simulated time,
a watch on the SQL that reaches D1, percentiles, and the command line's output (a table, then
the figures as one JSON line, which ``make bench``'s readers and the README take).

It imports the app (``grove.auth``), so a script imports it after
``local_runtime.bootstrap.install_paths``, as it does the rest of ``grove_dev``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from grove.auth import mint_token
from grove.models import Role
from grove_dev.accounts import ensure_account_sync
from grove_dev.platform import Platform, start_platform
from local_runtime.bindings.d1.engine import D1Query, QueryResult
from local_runtime.clock import Clock, SimulatedClock
from local_runtime.latency import LatencyProfile

SECRET = "bench-secret"  # JWT_SECRET of every benchmark platform


@asynccontextmanager
async def bench_platform(
    name: str, *, start_ms: int | None = None, latency: bool = False, secrets: Mapping[str, str] | None = None
) -> AsyncGenerator[tuple[Platform, SimulatedClock]]:
    """Every Worker of the repository on fresh state in a temporary folder, on a simulated clock
    (from ``start_ms`` if given), with the published latency model if ``latency``, and
    ``secrets`` over ``JWT_SECRET``. On the way out the ``waitUntil`` work ends, then the
    runtime closes (the temporary folder goes last)."""
    with tempfile.TemporaryDirectory(prefix=f"grove-bench-{name}-") as state:
        clock = SimulatedClock() if start_ms is None else SimulatedClock(start_ms)
        platform = start_platform(
            Path(state), clock=clock, latency=LatencyProfile() if latency else None,
            secrets={"JWT_SECRET": SECRET, **(secrets or {})},
        )  # fmt: skip
        try:
            yield platform, clock
        finally:
            await platform.runtime.drain()
            platform.runtime.close()


def token(clock: Clock, *, sub: str, tenant: str, role: Role, ttl_s: int) -> str:
    """A token signed with ``SECRET`` at the clock's time; ``sub`` names an account."""
    return mint_token(SECRET, sub=sub, tenant=tenant, role=role, ttl_s=ttl_s, now_ms=clock.now_ms(), jti=uuid.uuid4().hex)


def account_token(platform: Platform, clock: Clock, user: str, *, tenant: str, role: Role, ttl_s: int) -> str:
    """A token for ``user``, whose account (and membership, for an owner or author) is made
    first, uncounted (setup): tokens name accounts, and roles come from memberships."""
    user_id = ensure_account_sync(platform.runtime.d1(), user, tenant=tenant, role=role, now_ms=clock.now_ms())
    return token(clock, sub=user_id, tenant=tenant, role=role, ttl_s=ttl_s)


def bearer(token: str, *, json_body: bool = False) -> dict[str, str]:
    """Request headers carrying ``token`` (and a JSON content type for a request with a body)."""
    headers = {"authorization": f"Bearer {token}"}
    if json_body:
        headers["content-type"] = "application/json"
    return headers


async def ok(reply: Any, status: int) -> Any:
    """``reply`` if it has ``status``; else the run stops with what the Worker answered."""
    if reply.status != status:
        raise RuntimeError(f"expected {status}, got {reply.status}: {await reply.text()}")
    return reply


async def spread(platform: Platform, count: int, over_ms: int) -> AsyncIterator[int]:
    """0 .. count-1, each at its evenly spaced time over ``over_ms`` from now on the simulated
    clock (the alarms and crons due meanwhile fire between)."""
    now_ms = platform.services.clock.now_ms
    start_ms = now_ms()
    for n in range(count):
        due_ms = start_ms + n * over_ms // count
        if due_ms > now_ms():
            await platform.runtime.advance(due_ms - now_ms())
        yield n


def watch_d1(platform: Platform, observe: Callable[[Sequence[D1Query]], None]) -> None:
    """Show ``observe`` the statements of every call to the platform's D1 database as its local
    engine runs them (setup statements made through the engine included), for as long as the
    platform runs: counted SQL, where the binding's counters do not tell statements apart."""
    engine = platform.runtime.d1().engine
    run_queries = engine.run_queries

    def watched(queries: Sequence[D1Query]) -> list[QueryResult]:
        observe(queries)
        return run_queries(queries)

    engine.run_queries = watched  # type: ignore[method-assign]


def pct(values: Sequence[float], q: int) -> float:
    """The ``q``-th percentile (inclusive method; one value is its own percentile, none is 0)."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def parser(doc: str | None) -> argparse.ArgumentParser:
    """The command line of a benchmark whose docstring is ``doc`` (its first paragraph says
    what the benchmark measures)."""
    return argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])


def report(summary: Mapping[str, Any], table: str = "") -> int:
    """Print ``table`` (if any), then ``summary`` as one JSON line, the last line; 0 (success)."""
    if table:
        print(table)
    print(json.dumps(summary, separators=(",", ":")))
    return 0


def run(
    measure: Callable[[argparse.Namespace], Coroutine[Any, Any, Mapping[str, Any]]],
    args: argparse.Namespace,
    table: Callable[[Any], str] | None = None,
) -> int:
    """``measure(args)`` on a fresh event loop, then ``report`` of its summary and ``table`` of it."""
    summary = asyncio.run(measure(args))
    return report(summary, table(summary) if table else "")
