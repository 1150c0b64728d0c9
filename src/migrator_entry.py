"""The cron Worker (workers/post_migrator/wrangler.toml): moves posts between storage tiers.

Each scheduled event is one run of ``post_migrator.migrate.run_migration`` (the rules are
``grove.tiers.decide_tier``, shared with the main Worker's read path); its summary, the
``migration_runs`` row, is the handler's result (what ``/__scheduled`` shows under grove dev).
"""

import logging

from grove.bindings import ScheduledController
from grove.platform import WorkerEntrypoint
from post_migrator.migrate import MigratorEnv, run_migration

log = logging.getLogger("grove.migrator")


class Default(WorkerEntrypoint):
    # The SDK declares env as a JS object (no Python type); this Worker binds what MigratorEnv names.
    env: MigratorEnv

    async def scheduled(
        self, controller: ScheduledController, env: object = None, ctx: object = None
    ) -> dict[str, object]:
        """Cloudflare's examples write both ``scheduled(self, controller)`` and ``scheduled(self,
        controller, env, ctx)``; workerd calls a class-based handler with all three arguments,
        env and ctx None (``local_runtime/runtime.py`` ``LocalRuntime.scheduled`` has the
        sources), so the short form raises TypeError there. Defaults make this handler right
        under either call; it reads ``self.env``, never the env/ctx arguments."""
        log.info("post migrator ran for cron %s", controller.cron)
        return (await run_migration(self.env)).as_dict()
