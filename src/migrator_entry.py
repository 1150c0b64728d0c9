"""The cron Worker (workers/post_migrator/wrangler.toml): moves posts between storage tiers.

For now it reports what it would look at; the tier rules and the moves come with the
migrator issue, built on ``grove.tiers`` (``tier_for``, ``TIER_RULES``) so the main Worker
and this Worker share them.
"""

import logging
from typing import Any

from grove.platform import WorkerEntrypoint

log = logging.getLogger("grove.migrator")


class Default(WorkerEntrypoint):
    async def scheduled(self, controller: Any, env: Any = None, ctx: Any = None) -> dict[str, int]:
        """Cloudflare's examples write both ``scheduled(self, controller)`` and ``scheduled(self,
        controller, env, ctx)``; workerd calls a class-based handler with all three arguments,
        env and ctx None (``local_runtime/runtime.py`` ``LocalRuntime.scheduled`` has the
        sources), so the short form raises TypeError there. Defaults make this handler right
        under either call; it reads ``self.env``, never the env/ctx arguments."""
        row = await self.env.DB.prepare(
            "SELECT storage_location, COUNT(*) AS n FROM posts GROUP BY storage_location"
        ).all()
        counts = {r["storage_location"]: r["n"] for r in row["results"]}
        log.info("post migrator ran for cron %s: posts per tier %s", controller.cron, counts)
        return counts
