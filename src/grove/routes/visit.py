"""What every route knows about its request: settings, tenant, headers, caller.

``open_visit`` is for private routes: the caller comes from ``Authorization: Bearer`` or,
without one, from the session cookie (a cookie-authenticated write must pass the CSRF check).
``open_public_visit`` is for public pages and other routes whose response must not depend on
a browser's cookies: it reads only the Authorization header, so a bad or expired cookie on a
public page is never an error and the bytes are the same for everyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from grove import rate_limit, sessions
from grove.access import bearer_token, jwt_secret, require_writer
from grove.bindings import Env, ExecutionContext
from grove.client_address import client_address
from grove.clock import now_ms
from grove.errors import HttpError, not_found, unauthorized
from grove.http import request_host
from grove.limits import Rule
from grove.models import TokenClaims
from grove.platform import Request
from grove.sessions import Caller
from grove.settings import Settings, settings_from
from grove.tenancy import NO_BLOG_HERE, tenant_from_host


@dataclass
class Visit:
    request: Request
    env: Env
    ctx: ExecutionContext
    settings: Settings
    tenant: str | None
    # Read once: every read of request.headers builds a fresh copy (an HTTPMessage, in
    # production and locally).
    headers: Message
    # The caller's effective claims: ``sub`` the user id, ``tenant`` and ``role`` from the
    # membership on this host's blog (``grove.sessions``). None: anonymous.
    claims: TokenClaims | None
    host: str = ""
    caller: Caller | None = None

    @property
    def if_none_match(self) -> str | None:
        return self.headers.get("if-none-match")

    def require_tenant(self) -> str:
        if self.tenant is None:
            raise not_found(NO_BLOG_HERE)
        return self.tenant

    def require_caller(self) -> Caller:
        """The signed-in caller (any account), or 401."""
        if self.caller is None:
            raise unauthorized("missing_token", "Sign in first (a session or 'Authorization: Bearer <token>').")
        return self.caller


async def open_visit(request: Request, env: Env, ctx: ExecutionContext, *, cookies: bool = True) -> Visit:
    """Parse the request's context; bad credentials are a 401 here, before any route work."""
    settings = settings_from(env)
    headers = request.headers
    host = request_host(request)
    tenant = tenant_from_host(host, settings.root_domain)
    caller = await _guarded_caller(request, env, settings, headers, host, tenant, cookies=cookies)
    if caller is not None and not caller.blog_exists:
        # Learnt from the same query: a host naming no blog is a 404 before any role check.
        tenant = None
    return Visit(
        request=request, env=env, ctx=ctx, settings=settings, tenant=tenant, headers=headers,
        claims=None if caller is None else caller.claims, host=host, caller=caller,
    )


async def open_public_visit(request: Request, env: Env, ctx: ExecutionContext) -> Visit:
    """A visit that ignores cookies (public pages, beacons): see the module docstring."""
    return await open_visit(request, env, ctx, cookies=False)


async def _guarded_caller(
    request: Request, env: Env, settings: Settings, headers: Message, host: str, tenant: str | None, *, cookies: bool
) -> Caller | None:
    """The caller, with refused credentials counted per client address: past the
    ``auth_failure`` limit a request with credentials is refused (429) before they are
    checked, so guessing tokens from one address stops there. Requests without credentials
    are not counted."""
    authorization = headers.get("authorization")
    cookie = sessions.cookie_value(headers) if cookies and authorization is None else None
    if authorization is None and cookie is None:
        return None
    subject = rate_limit.address_subject(client_address(headers))
    await rate_limit.check(env, Rule.AUTH_FAILURE, subject)
    try:
        token = bearer_token(authorization) if authorization is not None else cookie
        assert token is not None
        caller = await sessions.resolve(
            env.DB, jwt_secret(settings), token, via="bearer" if authorization is not None else "cookie",
            host=host, host_tenant=tenant, now_ms=now_ms(),
        )
    except HttpError as error:
        if error.status == 401:
            await rate_limit.record(env, Rule.AUTH_FAILURE, subject)
            if cookie is not None:
                error.headers.update(_clear_cookie_header(host))
        raise
    if caller.via == "cookie":
        sessions.check_same_origin(str(request.method), headers, request.url)
    return caller


def _clear_cookie_header(host: str) -> dict[str, str]:
    # One Set-Cookie per cookie; the app's headers are a dict, so only the session cookie is
    # cleared here (the hint cookie only makes the page script ask, and get a 401).
    return {"set-cookie": sessions.cleared_cookies(host)[0]}


async def open_writer_visit(request: Request, env: Env, ctx: ExecutionContext) -> tuple[Visit, str, TokenClaims]:
    """A visit by an owner or author of the Host's tenant (401/403/404 otherwise)."""
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    return visit, tenant, require_writer(visit.claims, tenant)
