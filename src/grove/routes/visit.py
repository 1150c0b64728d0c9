"""What every route knows about its request: settings, tenant, headers, caller."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from grove import rate_limit
from grove.access import caller_claims, require_writer
from grove.bindings import Env, ExecutionContext
from grove.client_address import client_address
from grove.errors import HttpError, not_found
from grove.http import request_host
from grove.limits import Rule
from grove.models import TokenClaims
from grove.platform import Request
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
    claims: TokenClaims | None

    @property
    def if_none_match(self) -> str | None:
        return self.headers.get("if-none-match")

    def require_tenant(self) -> str:
        if self.tenant is None:
            raise not_found(NO_BLOG_HERE)
        return self.tenant


async def open_visit(request: Request, env: Env, ctx: ExecutionContext) -> Visit:
    """Parse the request's context; a bad token is a 401 here, before any route work."""
    settings = settings_from(env)
    headers = request.headers
    return Visit(
        request=request,
        env=env,
        ctx=ctx,
        settings=settings,
        tenant=tenant_from_host(request_host(request), settings.root_domain),
        headers=headers,
        claims=await _guarded_claims(env, settings, headers),
    )


async def _guarded_claims(env: Env, settings: Settings, headers: Message) -> TokenClaims | None:
    """The caller's claims, with refused credentials counted per client address: past the
    ``auth_failure`` limit a request with a token is refused (429) before the token is checked,
    so guessing tokens from one address stops there. Requests without a token are not counted."""
    authorization = headers.get("authorization")
    if authorization is None:
        return None
    subject = rate_limit.address_subject(client_address(headers))
    await rate_limit.check(env, Rule.AUTH_FAILURE, subject)
    try:
        return await caller_claims(env, settings, authorization)
    except HttpError as error:
        if error.status == 401:
            await rate_limit.record(env, Rule.AUTH_FAILURE, subject)
        raise


async def open_writer_visit(request: Request, env: Env, ctx: ExecutionContext) -> tuple[Visit, str, TokenClaims]:
    """A visit by an owner or author of the Host's tenant (401/403/404 otherwise)."""
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    return visit, tenant, require_writer(visit.claims, tenant)
