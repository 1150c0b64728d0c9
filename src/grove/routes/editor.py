"""``GET /admin/editor/{slug}``: the draft editor page (``grove.pages.editor``).

The page is the same for everyone and holds no draft data (the script fetches the draft with
the author's token), but it is still ``private, no-store``: an editor must never be served
from a cache after a deploy changed it. Unknown tenants and invalid slugs get a 404 page.
"""

from __future__ import annotations

import secrets

from grove.bindings import Env, ExecutionContext
from grove.http import html_response
from grove.pages.editor import content_security_policy, editor_page
from grove.pages.reader import message_page
from grove.platform import Request, Response
from grove.router import Router
from grove.routes.visit import open_visit
from grove.slugs import is_valid_slug
from grove.tenancy import NO_BLOG_HERE, tenant_config


def register(router: Router) -> None:
    router.add("GET", "/admin/editor/{slug}", editor)


async def editor(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit = await open_visit(request, env, ctx)
    config = None if visit.tenant is None else await tenant_config(env, visit.settings, visit.tenant)
    if config is None:
        return html_response(message_page(None, title="Not found", message=NO_BLOG_HERE), status=404)
    if not is_valid_slug(slug):
        message = "A draft's address is lower-case letters, digits and single dashes."
        return html_response(message_page(config, title="Not found", message=message), status=404)
    nonce = secrets.token_urlsafe(16)  # per response: only this page's own script may run
    return html_response(
        editor_page(config, slug, nonce), headers={"content-security-policy": content_security_policy(nonce)}
    )
