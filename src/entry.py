"""The main Worker: ``Default`` serves every HTTP route; the Durable Object classes it binds
are exported here because workerd looks them up on the main module."""

from durable_objects import FeedDO, PostContentDO, PostMetaDO, RateLimiterDO, TenantDO
from grove.app import handle_request
from grove.bindings import Env, ExecutionContext
from grove.platform import Request, Response, WorkerEntrypoint

__all__ = ["Default", "FeedDO", "PostContentDO", "PostMetaDO", "RateLimiterDO", "TenantDO"]


class Default(WorkerEntrypoint):
    # The SDK declares these as JS objects (no Python type); what this Worker binds is Env.
    env: Env
    ctx: ExecutionContext

    async def fetch(self, request: Request) -> Response:
        return await handle_request(request, self.env, self.ctx)
