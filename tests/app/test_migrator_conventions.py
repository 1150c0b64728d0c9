"""The cron Worker's handler under both ``scheduled`` conventions of Cloudflare's examples:
called as workerd calls it, ``(controller, None, None)``, and with the controller alone."""

from __future__ import annotations

from grove_dev.seed import seed_demo
from local_runtime.runtime import ExecutionContext, ScheduledController

CRON = "0 3 * * *"  # workers/post_migrator/wrangler.toml
MIGRATOR = "grove-post-migrator"


async def test_as_workerd_calls_it(platform):
    await seed_demo(platform.runtime)
    run = await platform.runtime.scheduled(CRON)  # (controller, None, None), strict
    assert run["ended_at_ms"] is not None and run["failed"] == [] and run["dry_run"] is False


async def test_with_the_controller_alone(platform):
    await seed_demo(platform.runtime)
    worker = platform.runtime.worker(MIGRATOR)
    entry = worker.module.Default(ExecutionContext(platform.runtime), worker.env)
    controller = ScheduledController(cron=CRON, scheduledTime=platform.services.now_ms())
    first = await entry.scheduled(controller)
    second = await platform.runtime.scheduled(CRON)
    assert first["ended_at_ms"] is not None and second["id"] == first["id"] + 1
