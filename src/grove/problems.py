"""Refusals of page routes: an HTML page for a browser, the JSON error shape for any other
client (``grove.negotiation``). API routes always answer ``grove.http.error_response``."""

from __future__ import annotations

import logging

from grove.bindings import Env
from grove.errors import HttpError
from grove.http import error_response, html_response, request_host
from grove.models import TenantConfig
from grove.negotiation import prefers_html
from grove.pages.reader import message_page
from grove.platform import Request, Response
from grove.settings import settings_from
from grove.tenancy import tenant_config, tenant_from_host

log = logging.getLogger("grove.problems")

_API_PREFIXES = ("/api/", "/static/")


def is_page_path(path: str) -> bool:
    """Paths outside the API and the static files are pages (or would be)."""
    return not path.startswith(_API_PREFIXES)


def _title(status: int) -> str:
    if status == 404:
        return "Not found"
    return "Something went wrong" if status >= 500 else "Not allowed"


def page_problem(error: HttpError, accept: str | None, config: TenantConfig | None = None, title: str | None = None) -> Response:
    if not prefers_html(accept):
        return error_response(error)
    page = message_page(config, title=title or _title(error.status), message=error.message)
    return html_response(page, status=error.status, headers=error.headers)


async def theme_of(request: Request, env: Env) -> TenantConfig | None:
    """The Host's blog's config, for an error or refusal page in its theme; None when there is
    no blog here or its config cannot be read (the page is then in Grove's own look)."""
    settings = settings_from(env)
    tenant = tenant_from_host(request_host(request), settings.root_domain)
    if tenant is None:
        return None
    try:
        return await tenant_config(env, settings, tenant)
    except Exception:  # a refusal must still be answered: the plain page then
        log.warning("config of %s unreadable for an error page", tenant, exc_info=True)
        return None
