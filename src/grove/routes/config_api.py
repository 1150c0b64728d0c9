"""``PUT /api/config``: the owner changes the blog's display name and theme.

D1 first (the source of truth, one statement), then the TenantDO's copy (it reloads from
D1, so concurrent updates end with the last one committed), then every cached page showing
the old config (``grove.invalidation.after_config_write``), all before the reply. A change
made in D1 directly reaches the TenantDO's copy within 5 minutes (its reload interval).
"""

from __future__ import annotations

from grove.access import require_owner
from grove.bindings import Env, ExecutionContext
from grove.clock import now_ms
from grove.errors import not_found
from grove.http import json_response
from grove.invalidation import after_config_write
from grove.models import ConfigUpdate, TenantConfig
from grove.platform import Request, Response
from grove.request_body import parse_model, read_json
from grove.router import Router
from grove.routes.visit import open_visit
from grove.tenancy import NO_BLOG_HERE, tenant_stub, update_tenant


def register(router: Router) -> None:
    router.add("PUT", "/api/config", update_config, access="owner", summary="Change the blog's name and theme.", request=ConfigUpdate, response=TenantConfig)


async def update_config(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    require_owner(visit.claims, tenant, "Changing the blog's settings")
    update = parse_model(ConfigUpdate, await read_json(request, visit.headers))
    config = await update_tenant(
        env.DB, tenant, display_name=update.display_name, theme_patch=update.theme_patch(), now_ms=now_ms()
    )
    if config is None:
        raise not_found(NO_BLOG_HERE)
    await tenant_stub(env, tenant).refresh_config()
    await after_config_write(env, visit.settings, tenant=tenant)
    return json_response(config.model_dump())
