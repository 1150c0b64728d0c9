"""Who is calling: the bearer token of a request, verified, and what it may do.

No Authorization header is an anonymous reader. A header that does not verify (bad
signature, expired, revoked, not a Bearer token) is a 401 on every route, so a client learns
its credentials are wrong instead of silently getting the public view.
"""

from __future__ import annotations

import logging

from grove.auth import OWNER_ROLES, WRITER_ROLES, TokenError, verify_token
from grove.bindings import Env
from grove.cache_keys import revoked_token_key
from grove.clock import now_ms
from grove.errors import HttpError, forbidden, unauthorized
from grove.models import Role, TokenClaims
from grove.settings import Settings

log = logging.getLogger("grove.access")

AUTH_RETRY_AFTER_S = 5


def _secret(settings: Settings) -> str:
    if not settings.jwt_secret:
        log.error("JWT_SECRET is not set: no token can be verified")
        raise HttpError(500, "auth_not_configured", "Authentication is not configured on this server.")
    return settings.jwt_secret


async def caller_claims(env: Env, settings: Settings, authorization: str | None) -> TokenClaims | None:
    """The verified claims of the request's token, None without one; 401 for a bad one."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("invalid_token", "Use 'Authorization: Bearer <token>'.")
    try:
        claims = verify_token(_secret(settings), token.strip(), now_ms=now_ms())
    except TokenError as exc:
        raise unauthorized(exc.code, exc.message) from None
    try:
        revoked = await env.CACHE_KV.get(revoked_token_key(claims.jti))
    except Exception:
        # Fail closed: without the revocation list a logged-out token cannot be told apart.
        log.exception("revocation list (KV) unreadable")
        raise HttpError(
            503, "auth_unavailable", "Sign-in checks are unavailable for a moment; try again shortly.",
            headers={"retry-after": str(AUTH_RETRY_AFTER_S)},
        ) from None
    if revoked is not None:
        raise unauthorized("token_revoked", "The token has been revoked (logged out).")
    return claims


def is_writer(claims: TokenClaims | None, tenant: str) -> bool:
    return claims is not None and claims.tenant == tenant and claims.role in WRITER_ROLES


def _require_role(claims: TokenClaims | None, tenant: str, roles: frozenset[Role], needs: str) -> TokenClaims:
    if claims is None:
        raise unauthorized("missing_token", f"{needs} needs 'Authorization: Bearer <token>'.")
    if claims.tenant != tenant:
        raise forbidden("wrong_tenant", "The token is for another tenant.")
    if claims.role not in roles:
        raise forbidden("insufficient_role", f"{needs} needs the {' or '.join(sorted(roles, reverse=True))} role.")
    return claims


def require_writer(claims: TokenClaims | None, tenant: str) -> TokenClaims:
    """Owners and authors of ``tenant``: posts and drafts."""
    return _require_role(claims, tenant, WRITER_ROLES, "Writing")


def require_owner(claims: TokenClaims | None, tenant: str, action: str) -> TokenClaims:
    """The owner of ``tenant`` (its config, its analytics); ``action`` names what needs it."""
    return _require_role(claims, tenant, OWNER_ROLES, action)
