"""What a caller may do: the role checks routes make on the caller's effective claims
(``grove.sessions`` derives them from the membership, whatever the credential).

No credentials is an anonymous reader. A bearer token that does not verify (bad signature,
expired, revoked, not a Bearer token) is a 401 on every route, so a client learns its
credentials are wrong instead of silently getting the public view; a session cookie is only
read by private routes (public pages ignore cookies).
"""

from __future__ import annotations

import logging

from grove.auth import OWNER_ROLES, WRITER_ROLES
from grove.errors import HttpError, forbidden, unauthorized
from grove.models import Role, TokenClaims
from grove.settings import Settings

log = logging.getLogger("grove.access")


def jwt_secret(settings: Settings) -> str:
    if not settings.jwt_secret:
        log.error("JWT_SECRET is not set: no token can be verified")
        raise HttpError(500, "auth_not_configured", "Authentication is not configured on this server.")
    return settings.jwt_secret


def bearer_token(authorization: str) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; 401 for any other form."""
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("invalid_token", "Use 'Authorization: Bearer <token>'.")
    return token.strip()


def is_writer(claims: TokenClaims | None, tenant: str) -> bool:
    return claims is not None and claims.tenant == tenant and claims.role in WRITER_ROLES


def _require_role(claims: TokenClaims | None, tenant: str, roles: frozenset[Role], needs: str) -> TokenClaims:
    if claims is None:
        raise unauthorized("missing_token", f"{needs} needs you signed in (a session or 'Authorization: Bearer <token>').")
    if claims.tenant != tenant:
        raise forbidden("wrong_tenant", "These credentials are for another blog.")
    if claims.role not in roles:
        raise forbidden("insufficient_role", f"{needs} needs the {' or '.join(sorted(roles, reverse=True))} role.")
    return claims


def require_writer(claims: TokenClaims | None, tenant: str) -> TokenClaims:
    """Owners and authors of ``tenant``: posts and drafts."""
    return _require_role(claims, tenant, WRITER_ROLES, "Writing")


def require_owner(claims: TokenClaims | None, tenant: str, action: str) -> TokenClaims:
    """The owner of ``tenant`` (its config, its analytics); ``action`` names what needs it."""
    return _require_role(claims, tenant, OWNER_ROLES, action)
