"""What every route knows about its request: settings, tenant, headers, caller.

``open_visit`` is for private routes: the caller comes from ``Authorization: Bearer`` or,
without one, from the session cookie (a cookie-authenticated write must pass the CSRF check).
``open_visit_with`` is for a signed-in write on the hot path: the route's own reads run beside
the credential's lookup. ``open_public_visit`` is for public pages and other routes whose response must not depend on
a browser's cookies: it reads only the Authorization header, so a bad or expired cookie on a
public page is never an error and the bytes are the same for everyone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from email.message import Message
from typing import Generic, TypeVar, cast

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
from grove.rate_limit_rpc import Decision
from grove.sessions import Caller, Via
from grove.settings import Settings, settings_from
from grove.tenancy import NO_BLOG_HERE, tenant_from_host

T = TypeVar("T")


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
    visit = _anonymous_visit(request, env, ctx)
    caller, _ = await _guarded_caller(visit, cookies=cookies, alongside=None)
    return _with_caller(visit, caller)


@dataclass(frozen=True)
class Alongside(Generic[T]):
    """What a signed-in write reads and counts beside the credential's lookup
    (``open_visit_with``).

    ``read(visit, signed)`` gets the visit before its caller is known and the token's verified
    claims (we signed them; whether the credential still stands comes from its row). It must
    not write: find what the route acts on, nothing more. ``per_user`` is the rule the
    request counts under for the token's user."""

    read: Callable[[Visit, TokenClaims], Awaitable[T]]
    per_user: Rule


async def open_visit_with(request: Request, env: Env, ctx: ExecutionContext, alongside: Alongside[T]) -> tuple[Visit, T]:
    """A signed-in visit (401 without credentials) for a write on a hot path: the route's
    reads and its per-user rate limit go beside the credential's lookup instead of after it,
    so the checks cost their slowest call, not their sum.

    Errors come in the order they would have sequentially: the address's auth-failure limit
    (429), the credential (401), the route's reads (400, 404), then the per-user limit (429).
    A request refused for any of them spends nothing of the user's limit: the unit counted
    beside the lookup is given back."""
    visit = _anonymous_visit(request, env, ctx)
    caller, found = await _guarded_caller(visit, cookies=True, alongside=alongside)
    signed_in = _with_caller(visit, caller)
    signed_in.require_caller()
    return signed_in, cast(T, found)


async def open_public_visit(request: Request, env: Env, ctx: ExecutionContext) -> Visit:
    """A visit that ignores cookies (public pages, beacons): see the module docstring."""
    return await open_visit(request, env, ctx, cookies=False)


def _anonymous_visit(request: Request, env: Env, ctx: ExecutionContext) -> Visit:
    settings = settings_from(env)
    host = request_host(request)
    return Visit(
        request=request, env=env, ctx=ctx, settings=settings, tenant=tenant_from_host(host, settings.root_domain),
        headers=request.headers, claims=None, host=host,
    )


def _with_caller(visit: Visit, caller: Caller | None) -> Visit:
    if caller is None:
        return visit
    # Learnt from the credential's query: a host naming no blog is a 404 before any role check.
    tenant = visit.tenant if caller.blog_exists else None
    return replace(visit, tenant=tenant, claims=caller.claims, caller=caller)


async def _guarded_caller(
    visit: Visit, *, cookies: bool, alongside: Alongside[T] | None
) -> tuple[Caller | None, T | None]:
    """The caller (and what ``alongside`` read), with refused credentials counted per client
    address: past the ``auth_failure`` limit a request with credentials is refused (429)
    whatever they are, so guessing tokens from one address stops there. Requests without
    credentials are not counted.

    Only a token whose signature we made reaches D1: the limiter's check, the credential's row
    and the route's reads then go together (one wait, not several). A forged or malformed
    token is refused with no I/O beyond the limiter."""
    headers, env = visit.headers, visit.env
    authorization = headers.get("authorization")
    cookie = sessions.cookie_value(headers) if cookies and authorization is None else None
    if authorization is None and cookie is None:
        return None, None
    via: Via = "bearer" if authorization is not None else "cookie"
    if via == "cookie":
        # Before any I/O: a write another site made the browser send costs the user nothing.
        sessions.check_same_origin(str(visit.request.method), headers, visit.request.url)
    subject = rate_limit.address_subject(client_address(headers))
    try:
        signed = sessions.verify(
            jwt_secret(visit.settings), bearer_token(authorization) if authorization is not None else str(cookie),
            now_ms=now_ms(),
        )
    except HttpError as error:
        await rate_limit.check(env, Rule.AUTH_FAILURE, subject)
        raise await _refused(visit, subject, error, cookie_sent=cookie is not None) from None
    lookup = sessions.lookup(env.DB, signed, via=via, host=visit.host, host_tenant=visit.tenant)
    if alongside is None:
        limited, caller = await asyncio.gather(rate_limit.check(env, Rule.AUTH_FAILURE, subject), lookup, return_exceptions=True)
        found: T | BaseException | None = None
        taken: Decision | BaseException | None = None
    else:
        limited, caller, found, taken = await asyncio.gather(
            rate_limit.check(env, Rule.AUTH_FAILURE, subject), lookup, alongside.read(visit, signed),
            rate_limit.take(env, alongside.per_user, rate_limit.user_subject(signed.sub)), return_exceptions=True,
        )
    try:
        if isinstance(limited, BaseException):
            raise limited
        if isinstance(caller, BaseException):
            raise await _refused(visit, subject, caller, cookie_sent=cookie is not None)
        if isinstance(found, BaseException):
            raise found
        if isinstance(taken, BaseException):
            raise taken
    except BaseException:
        if alongside is not None and isinstance(taken, dict) and taken["allowed"]:
            await rate_limit.give_back(env, alongside.per_user, rate_limit.user_subject(signed.sub))
        raise
    if alongside is not None and taken is not None and not taken["allowed"]:
        raise rate_limit.rate_limited(alongside.per_user, taken)
    return caller, found


async def _refused(visit: Visit, subject: str, error: BaseException, *, cookie_sent: bool) -> BaseException:
    """``error`` to raise for a credential that failed; a refusal (401) is counted against the
    address, and a refused session cookie is cleared."""
    if isinstance(error, HttpError) and error.status == 401:
        await rate_limit.record(visit.env, Rule.AUTH_FAILURE, subject)
        if cookie_sent:
            error.headers.update(_clear_cookie_header(visit.host))
    return error


def _clear_cookie_header(host: str) -> dict[str, str]:
    # One Set-Cookie per cookie; the app's headers are a dict, so only the session cookie is
    # cleared here (the hint cookie only makes the page script ask, and get a 401).
    return {"set-cookie": sessions.cleared_cookies(host)[0]}


async def open_writer_visit(request: Request, env: Env, ctx: ExecutionContext) -> tuple[Visit, str, TokenClaims]:
    """A visit by an owner or author of the Host's tenant (401/403/404 otherwise)."""
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    return visit, tenant, require_writer(visit.claims, tenant)
