"""A Worker invocation in the local runtime: the ``waitUntil`` time limit and how ``scheduled``
is called, both as on Cloudflare (sources: ``local_runtime/invocation_limits.py`` and
``LocalRuntime.scheduled``)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from local_runtime.bootstrap import install_paths
from local_runtime.invocation_limits import (
    WAIT_UNTIL_AFTER_INVOCATION_MS,
    WAIT_UNTIL_CANCELLED_MESSAGE,
)
from local_runtime.runtime import LocalRuntime

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures"
INVOCATION = "invocation-worker"
SHORT = "short-scheduled-worker"


@pytest.fixture
def runtime(services):
    install_paths(REPO_ROOT, FIXTURES / "invocation_worker", FIXTURES / "short_scheduled_worker")
    runtime = LocalRuntime(
        [FIXTURES / "invocation_worker" / "wrangler.toml", FIXTURES / "short_scheduled_worker" / "wrangler.toml"],
        services,
    )
    runtime.load()
    yield runtime
    runtime.close()


@pytest.fixture
def worker(runtime):
    """The invocation Worker's module, with fresh gates and records."""
    module = runtime.worker(INVOCATION).module
    for table in (module.GATES, module.OUTCOMES, module.SCHEDULED_CALLS):
        table.clear()
    return module


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def fetch(runtime, path: str) -> None:
    response = await runtime.fetch(f"https://invocation.example{path}", worker=INVOCATION)
    assert await response.text() == "ok"
    await settle()  # its waitUntil work has started


# --- waitUntil: 30 s after the response, shared by every call of the invocation --------------


async def test_work_still_pending_30_s_after_the_response_is_cancelled(runtime, worker, caplog):
    await fetch(runtime, "/wait/slow")
    await runtime.scheduler.advance(WAIT_UNTIL_AFTER_INVOCATION_MS - 1)
    await settle()
    assert worker.OUTCOMES == {}  # 29.999 s: still running
    with caplog.at_level(logging.WARNING, logger="grove.runtime"):
        await runtime.scheduler.advance(1)
        await settle()
    assert worker.OUTCOMES == {"slow": "cancelled"}
    assert WAIT_UNTIL_CANCELLED_MESSAGE in caplog.text
    await asyncio.wait_for(runtime.drain(), timeout=5)  # nothing is left to wait for


async def test_work_that_finishes_in_time_is_untouched(runtime, worker):
    await fetch(runtime, "/wait/quick")
    await runtime.scheduler.advance(10_000)
    worker.GATES["quick"].set()
    await runtime.drain()
    assert worker.OUTCOMES == {"quick": "done"}
    assert runtime.scheduler.next_due_ms() is None  # its deadline timer went with it


async def test_a_wait_until_after_the_response_shares_the_invocations_deadline(runtime, worker):
    await fetch(runtime, "/chain/first/second")
    await runtime.scheduler.advance(20_000)
    worker.GATES["first"].set()  # 20 s after the response: "second" is handed to waitUntil now
    await settle()
    assert worker.OUTCOMES == {"first": "done"}
    await runtime.scheduler.advance(WAIT_UNTIL_AFTER_INVOCATION_MS - 20_000)
    await settle()
    assert worker.OUTCOMES == {"first": "done", "second": "cancelled"}  # 10 s, not 30 s, later


async def test_each_invocation_has_its_own_deadline(runtime, worker):
    await fetch(runtime, "/wait/early")
    await runtime.scheduler.advance(20_000)
    await fetch(runtime, "/wait/late")
    await runtime.scheduler.advance(10_000)
    await settle()
    assert worker.OUTCOMES == {"early": "cancelled"}
    worker.GATES["late"].set()
    await runtime.drain()
    assert worker.OUTCOMES == {"early": "cancelled", "late": "done"}


# --- scheduled: always (controller, None, None), never fitted to the signature ----------------


async def test_scheduled_with_env_and_ctx_parameters_gets_none_for_both(runtime, worker):
    assert await runtime.scheduled("0 3 * * *", worker=INVOCATION) == "ran"
    assert worker.SCHEDULED_CALLS == [{"cron": "0 3 * * *", "env": None, "ctx": None}]


async def test_scheduled_with_only_a_controller_parameter_fails_as_on_cloudflare(runtime):
    # workerd's strict call passes three arguments whatever the method declares.
    with pytest.raises(TypeError, match="positional argument"):
        await runtime.scheduled("0 3 * * *", worker=SHORT)
