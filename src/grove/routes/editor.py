"""``GET /admin/editor/{slug}``: the draft editor page (``grove.pages.editor``).

The page is the same for everyone and holds no draft data (the script fetches the draft with
the author's token), but it is still ``private, no-store``: an editor must never be served
from a cache after a deploy changed it. Unknown tenants and invalid slugs (refused by the router) are 404s: a page for
browsers, the JSON error shape for other clients.
"""

from __future__ import annotations

import secrets

from grove.bindings import Env, ExecutionContext
from grove.errors import not_found
from grove.http import html_response
from grove.pages.editor import content_security_policy, editor_page
from grove.platform import Request, Response
from grove.problems import page_problem
from grove.router import Router
from grove.routes.visit import open_public_visit
from grove.tenancy import NO_BLOG_HERE, tenant_config


def register(router: Router) -> None:
    router.add("GET", "/admin/editor/{slug}", editor, access="public", summary="The draft editor (holds no draft data).", media="html")


async def editor(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    # The page holds no per-user data: a stale session cookie must not refuse it.
    visit = await open_public_visit(request, env, ctx)
    config = None if visit.tenant is None else await tenant_config(env, visit.settings, visit.tenant)
    if config is None:
        return page_problem(not_found(NO_BLOG_HERE), visit.headers.get("accept"))
    nonce = secrets.token_urlsafe(16)  # per response: only this page's own script may run
    return html_response(
        editor_page(config, slug, nonce), headers={"content-security-policy": content_security_policy(nonce)}
    )
