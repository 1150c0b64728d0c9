"""The cron Worker (workers/post_migrator/wrangler.toml): moves posts between storage tiers.

For now it reports what it would look at; the tier rules and the moves come with the
migrator issue, built on ``grove.tiers`` (``tier_for``, ``TIER_RULES``) so the main Worker
and this Worker share them.
"""

import logging

from grove.platform import WorkerEntrypoint

log = logging.getLogger("grove.migrator")


class Default(WorkerEntrypoint):
    async def scheduled(self, controller, env, ctx):
        # Production passes env and ctx as None to class-based handlers: use self.env.
        row = await self.env.DB.prepare(
            "SELECT storage_location, COUNT(*) AS n FROM posts GROUP BY storage_location"
        ).all()
        counts = {r["storage_location"]: r["n"] for r in row["results"]}
        log.info("post migrator ran for cron %s: posts per tier %s", controller.cron, counts)
        return counts
