"""The cron Worker (workers/post_migrator/wrangler.toml): moves posts between storage tiers.

For now it reports what it would look at; the tier rules and the moves come with the
migrator issue, built on ``grove.tiers`` (``tier_for``, ``TIER_RULES``) so the main Worker
and this Worker share them.
"""

import logging
from typing import TypedDict

from grove.bindings import D1Env, D1PreparedStatement, ScheduledController
from grove.platform import WorkerEntrypoint
from grove.tiers import StorageLocation

log = logging.getLogger("grove.migrator")


class LocationCount(TypedDict):
    storage_location: StorageLocation
    n: int


class Default(WorkerEntrypoint):
    # The SDK declares env as a JS object (no Python type); this Worker binds D1 (and more it
    # does not use yet).
    env: D1Env

    async def scheduled(
        self, controller: ScheduledController, env: object = None, ctx: object = None
    ) -> dict[StorageLocation, int]:
        """Cloudflare's examples write both ``scheduled(self, controller)`` and ``scheduled(self,
        controller, env, ctx)``; workerd calls a class-based handler with all three arguments,
        env and ctx None (``local_runtime/runtime.py`` ``LocalRuntime.scheduled`` has the
        sources), so the short form raises TypeError there. Defaults make this handler right
        under either call; it reads ``self.env``, never the env/ctx arguments."""
        select: D1PreparedStatement[LocationCount] = self.env.DB.prepare(
            "SELECT storage_location, COUNT(*) AS n FROM posts GROUP BY storage_location"
        )
        result = await select.all()
        counts: dict[StorageLocation, int] = {r["storage_location"]: r["n"] for r in result["results"]}
        log.info("post migrator ran for cron %s: posts per tier %s", controller.cron, counts)
        return counts
