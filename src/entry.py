"""The main Worker: ``Default`` serves every HTTP route, consumes Meadow's fan-out queue
(``queue``) and recomputes Meadow's Trending list on its cron (``scheduled``); the Durable
Object classes it binds
are exported here because workerd looks them up on the main module."""

from durable_objects import (
    AuthorPostsDO,
    FeedDO,
    PostContentDO,
    PostMetaDO,
    RateLimiterDO,
    TenantDO,
)
from grove import trending
from grove.app import handle_request
from grove.bindings import Env, ExecutionContext, MessageBatch, ScheduledController
from grove.clock import now_ms
from grove.fanout import handle_batch
from grove.platform import Request, Response, WorkerEntrypoint

__all__ = ["AuthorPostsDO", "Default", "FeedDO", "PostContentDO", "PostMetaDO", "RateLimiterDO", "TenantDO"]


class Default(WorkerEntrypoint):
    # The SDK declares these as JS objects (no Python type); what this Worker binds is Env.
    env: Env
    ctx: ExecutionContext

    async def fetch(self, request: Request) -> Response:
        return await handle_request(request, self.env, self.ctx)

    async def queue(self, batch: MessageBatch, env: object = None, ctx: object = None) -> None:
        # Meadow's fan-out queue and its dead-letter queue (grove.fanout). workerd calls this
        # with (batch, env, ctx), env and ctx undefined for an entrypoint class (as for
        # `scheduled`); the defaults also take a one-argument call. self.env is the Worker's.
        await handle_batch(batch, self.env)

    async def scheduled(self, controller: ScheduledController, env: object = None, ctx: object = None) -> None:
        # The one cron of this Worker (wrangler.toml, grove.tiers.TRENDING_CRON). workerd calls
        # it with (controller, env, ctx), env and ctx undefined for an entrypoint class.
        await trending.compute(self.env, now_ms())
