"""Analytics: ``POST /api/analytics`` (anyone reading the blog) and
``GET /api/analytics/summary?days=N`` (the tenant's owner).

A POST carries one event or an array of up to 100 (``type``, ``path``, ``ts_ms``, optional
``referrer`` and ``session_id``); 422 names the first invalid field. It is answered 202 as
soon as the tenant's TenantDO has the events in its own storage: D1 gets them later, in
batches (see ``durable_objects.tenant``), so a reader never waits for D1.
"""

from __future__ import annotations

from grove import analytics
from grove.access import require_owner
from grove.bindings import Env, ExecutionContext
from grove.client_address import client_address
from grove.clock import now_ms
from grove.errors import not_found
from grove.http import json_response, query_int
from grove.limits import Rule
from grove.models import EventsAcceptedReply
from grove.platform import Request, Response
from grove.rate_limit import address_subject, enforce
from grove.request_body import read_json
from grove.router import QueryInt, Router
from grove.routes.visit import open_public_visit, open_visit
from grove.tenancy import NO_BLOG_HERE, tenant_config, tenant_stub

DEFAULT_SUMMARY_DAYS = 7


def register(router: Router) -> None:
    router.add(
        "POST", "/api/analytics", record, access="client", summary="Record one event or up to 100.",
        request=analytics.EventsBody, response=EventsAcceptedReply, statuses=(202,),
    )
    days = {"days": QueryInt(1, analytics.MAX_SUMMARY_DAYS, "Days back, today included (default 7).")}
    router.add(
        "GET", "/api/analytics/summary", summary, access="owner", summary="Views per day and top paths.",
        response=analytics.Summary, query=days,
    )


async def record(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    # Beacons come from public pages: a reader's stale cookie must not refuse them.
    visit = await open_public_visit(request, env, ctx)
    tenant = visit.require_tenant()
    await enforce(env, Rule.ANALYTICS, address_subject(client_address(visit.headers)))
    data = await read_json(request, visit.headers, analytics.MAX_ANALYTICS_BODY_BYTES)
    events = analytics.parse_events(data, now_ms())
    reply = await tenant_stub(env, tenant).record_events([event.model_dump() for event in events])
    if reply["outcome"] == "no_tenant":
        raise not_found(NO_BLOG_HERE)
    return json_response({"accepted": reply["accepted"]}, status=202)


async def summary(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    require_owner(visit.claims, tenant, "Reading analytics")
    # As on every route: no tenant, no blog (a token can name a tenant that was never created).
    if await tenant_config(env, visit.settings, tenant) is None:
        raise not_found(NO_BLOG_HERE)
    days = query_int(request, "days", 1, analytics.MAX_SUMMARY_DAYS)
    if days is None:
        days = DEFAULT_SUMMARY_DAYS
    return json_response(await analytics.summary(env.DB, tenant, days=days, now_ms=now_ms()))
