"""The author's workspace pages: ``GET /admin`` (dashboard, keyset pages by ``?cursor=``),
``/admin/account`` (the writer's name, blogs and API tokens), ``/admin/settings`` and
``/admin/analytics`` (owners), and the editor at ``/admin/editor/{slug}``.

Each page is for the Host's tenant's writers (owners for settings and analytics) and is
``private, no-store``. A browser that is not signed in (or whose session was refused) gets a
short page linking to the sign-in page with ``next`` set to where it was going, one signed in
without the role gets a page saying so; other clients get the JSON error shape.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from grove import accounts, analytics
from grove.access import require_owner
from grove.bindings import Env, ExecutionContext
from grove.clock import now_ms
from grove.errors import HttpError, not_found
from grove.http import html_response, query_int, query_value
from grove.models import TenantConfig, TokenClaims
from grove.negotiation import prefers_html
from grove.pages.csp import content_security_policy, new_nonce
from grove.pages.editor import editor_page
from grove.pages.workspace import (
    account_page,
    analytics_page,
    dashboard_page,
    refusal_page,
    settings_page,
)
from grove.pagination import CURSOR_MAX_CHARS, Cursor
from grove.platform import Request, Response
from grove.posts_store import read_workspace_page
from grove.problems import page_problem, theme_of
from grove.router import QueryInt, QueryText, Router
from grove.routes.visit import Visit, open_writer_visit
from grove.tenancy import NO_BLOG_HERE, tenant_config, tenant_stub

# Posts per dashboard page (most recently updated first; older pages by cursor).
DASHBOARD_PAGE_SIZE = 20
ANALYTICS_DAYS = (7, 30, 90)
DEFAULT_ANALYTICS_DAYS = 30


def register(router: Router) -> None:
    cursor = {"cursor": QueryText(CURSOR_MAX_CHARS, "An opaque position from the dashboard's older/newer link (400 bad_cursor if malformed).")}
    router.add("GET", "/admin", dashboard, access="writer", summary="The author's dashboard: posts and drafts.", media="html", query=cursor)
    router.add("GET", "/admin/account", account_view, access="writer", summary="The writer's display name, blogs and API tokens.", media="html")
    days = {"days": QueryInt(1, analytics.MAX_SUMMARY_DAYS, "Days back, today included (default 30).")}
    router.add("GET", "/admin/analytics", analytics_view, access="owner", summary="Views per day and top paths.", media="html", query=days)
    router.add("GET", "/admin/settings", settings_view, access="owner", summary="The blog's settings and members.", media="html")
    router.add("GET", "/admin/editor/{slug}", editor, access="writer", summary="The draft editor (holds no draft data).", media="html")


class _Refused(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


async def _writer_page(request: Request, env: Env, ctx: ExecutionContext, owner_action: str | None = None) -> tuple[str, TenantConfig, TokenClaims]:
    """The tenant, its config and the caller's claims, or ``_Refused`` with the page (or JSON)
    that says why not."""
    _, tenant, config, claims = await _writer_visit(request, env, ctx, owner_action)
    return tenant, config, claims


async def _writer_visit(
    request: Request, env: Env, ctx: ExecutionContext, owner_action: str | None = None
) -> tuple[Visit, str, TenantConfig, TokenClaims]:
    """``_writer_page``'s visit (with the caller's account) and the tenant's config."""
    accept = request.headers.get("accept")
    path = urlsplit(request.url).path
    config: TenantConfig | None = None
    try:
        visit, tenant, claims = await open_writer_visit(request, env, ctx)
        config = await tenant_config(env, visit.settings, tenant)
        if config is None:
            raise not_found(NO_BLOG_HERE)
        if owner_action is not None:
            require_owner(claims, tenant, owner_action)
        return visit, tenant, config, claims
    except HttpError as error:
        if config is None and error.status in (401, 403):
            config = await theme_of(request, env)
        raise _Refused(_refusal(error, accept, config, path)) from None


def _refusal(error: HttpError, accept: str | None, config: TenantConfig | None, path: str) -> Response:
    if not prefers_html(accept) or error.status not in (401, 403):
        return page_problem(error, accept, config)
    if error.status == 401:
        reason = (
            "This page is for the blog's authors. Sign in to write."
            if error.code == "missing_token"
            else "Your session has ended or was not accepted. Sign in again to continue."
        )
        page = refusal_page(config, path, reason, signed_in=False)
    else:
        page = refusal_page(config, path, _forbidden_reason(error), signed_in=True)
    headers = {"www-authenticate": "Bearer"} if error.status == 401 else {}
    return html_response(page, status=error.status, headers=headers)


def _forbidden_reason(error: HttpError) -> str:
    if error.code == "wrong_tenant":
        return "You are signed in, but not as a writer of this blog."
    if error.code == "insufficient_role":
        return "Your role on this blog does not include this page (it is for the blog's owner)."
    return error.message


def _page(html: str, nonce: str) -> Response:
    return html_response(html, headers={"content-security-policy": content_security_policy(nonce)})


async def dashboard(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    try:
        tenant, config, claims = await _writer_page(request, env, ctx)
        raw_cursor = query_value(request, "cursor")
        cursor = None if raw_cursor is None else Cursor.decode(raw_cursor)
    except _Refused as refused:
        return refused.response
    except HttpError as error:
        return page_problem(error, request.headers.get("accept"))
    page = await read_workspace_page(env.DB, tenant, DASHBOARD_PAGE_SIZE, cursor)
    # Drafts of new posts head the first page only.
    drafts = await tenant_stub(env, tenant).list_drafts() if cursor is None else None
    nonce = new_nonce()
    html = dashboard_page(
        config, page=page, drafts=drafts["drafts"] if drafts is not None and drafts["outcome"] == "found" else [],
        nonce=nonce, role=claims.role,
    )
    return _page(html, nonce)


async def account_view(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    try:
        visit, _, config, claims = await _writer_visit(request, env, ctx)
        caller = visit.require_caller()
    except _Refused as refused:
        return refused.response
    memberships = await accounts.memberships_of(env.DB, caller.user["id"])
    nonce = new_nonce()
    port = visit.host.partition(":")[2]
    html = account_page(
        config, user=caller.user, memberships=memberships, here=config.subdomain,
        host_suffix=f".{visit.settings.root_domain}{':' + port if port else ''}", nonce=nonce, role=claims.role,
    )
    return _page(html, nonce)


async def settings_view(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    try:
        _, config, _ = await _writer_page(request, env, ctx, owner_action="The settings page")
    except _Refused as refused:
        return refused.response
    nonce = new_nonce()
    return _page(settings_page(config, nonce=nonce), nonce)


async def analytics_view(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    try:
        tenant, config, _ = await _writer_page(request, env, ctx, owner_action="The analytics page")
        days = query_int(request, "days", 1, analytics.MAX_SUMMARY_DAYS) or DEFAULT_ANALYTICS_DAYS
    except _Refused as refused:
        return refused.response
    except HttpError as error:
        return page_problem(error, request.headers.get("accept"))
    summary = await analytics.summary(env.DB, tenant, days=days, now_ms=now_ms())
    nonce = new_nonce()
    return _page(analytics_page(config, summary, nonce=nonce, choices=ANALYTICS_DAYS), nonce)


async def editor(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    try:
        _, config, claims = await _writer_page(request, env, ctx)
    except _Refused as refused:
        return refused.response
    nonce = new_nonce()
    return _page(editor_page(config, slug, nonce, claims.role), nonce)



