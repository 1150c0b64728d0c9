"""The main Worker: ``Default`` serves every HTTP route and consumes Meadow's fan-out queue
(``queue``); the Durable Object classes it binds
are exported here because workerd looks them up on the main module."""

from durable_objects import (
    AuthorPostsDO,
    FeedDO,
    PostContentDO,
    PostMetaDO,
    RateLimiterDO,
    TenantDO,
)
from grove.app import handle_request
from grove.bindings import Env, ExecutionContext, MessageBatch
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
