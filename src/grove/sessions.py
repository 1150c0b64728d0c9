"""Credentials the server issues and checks: session cookies and bearer tokens, one rule.

Both carry an HS256 token (``grove.auth``) whose ``jti`` names a row of ``credentials``:
``session`` rows (a browser on one host, via the cookie), ``api`` rows (personal API tokens)
and ``cli`` rows (tokens from ``grove token`` once they are logged out). Every authenticated
request reads, in ONE D1 query, the user, their membership on the Host's blog and the row:

- a revoked row is a 401, so logout and "sign out everywhere" hold on the next request on
  every host (D1 is strongly consistent; KV's eventual consistency could let a revoked
  session through for up to a minute);
- a session is bound to the host it was issued for;
- the role is the membership's, never the token's: a token's ``role`` is only a ceiling
  (an author-only API token stays author-only), and its ``tenant`` is its scope (``*``: any
  blog the user is a member of). Removing a membership takes effect on the next request.

The caller's effective claims keep the ``TokenClaims`` shape routes already use: ``sub`` is
the user id, ``tenant`` the blog the role applies to, ``role`` the membership's role (or
``reader`` for no role here).
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from email.message import Message
from typing import Literal, TypedDict
from urllib.parse import urlsplit

from grove.accounts import UserRow
from grove.addresses import is_local
from grove.auth import TokenError, mint_token, verify_token
from grove.auth_policy import ANY_TENANT, SESSION_COOKIE, SESSION_TTL_S
from grove.bindings import D1Database, D1PreparedStatement
from grove.errors import forbidden, unauthorized, unavailable
from grove.models import Role, TokenClaims

log = logging.getLogger("grove.sessions")

AUTH_RETRY_AFTER_S = 5
# A cookie header longer than this is not ours to parse (browsers cap one cookie at 4 KB).
MAX_COOKIE_HEADER_CHARS = 8192
# Not a secret: tells the page script a session exists (the session cookie is HttpOnly), so
# anonymous readers never send a request for per-user bits.
SIGNED_IN_HINT_COOKIE = "grove_signed_in"
_RANK: dict[Role, int] = {"reader": 0, "author": 1, "owner": 2}
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

Via = Literal["bearer", "cookie"]
CredentialKind = Literal["session", "api", "cli"]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the effective claims, the account, and how the credential came."""

    claims: TokenClaims
    user: UserRow
    via: Via
    kind: CredentialKind | None  # the credential's row kind; None for a token with no row
    blog_exists: bool  # whether the Host's blog exists (False on hosts that name none)


class _AccessRow(TypedDict):
    id: str
    email: str
    display_name: str
    created_at_ms: int
    role: Literal["owner", "author"] | None
    credential_user: str | None
    credential_kind: CredentialKind | None
    revoked_at_ms: int | None
    bound_host: str | None
    blog_exists: int


_ACCESS_QUERY = (
    "SELECT u.id, u.email, u.display_name, u.created_at_ms,"
    " (SELECT m.role FROM memberships m WHERE m.tenant = ?2 AND m.user_id = u.id) AS role,"
    " c.user_id AS credential_user, c.kind AS credential_kind, c.revoked_at_ms, c.host AS bound_host,"
    " EXISTS (SELECT 1 FROM tenants t WHERE t.subdomain = ?2) AS blog_exists"
    " FROM users u LEFT JOIN credentials c ON c.id = ?3 WHERE u.id = ?1"
)


def secret_hash(secret: str) -> str:
    """What D1 keeps of a one-time secret: reading the table never yields a usable link."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    # 256 bits, URL-safe; os.urandom inside handlers only (workerd refuses entropy at import).
    import base64

    return base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode("ascii")


def _lower(cap: Role, role: Role) -> Role:
    return cap if _RANK[cap] < _RANK[role] else role


def effective_claims(token: TokenClaims, row: _AccessRow, host_tenant: str | None) -> TokenClaims:
    scope = token.tenant
    if host_tenant is not None and scope in (ANY_TENANT, host_tenant):
        role: Role = _lower(token.role, row["role"]) if row["role"] else "reader"
        return token.model_copy(update={"tenant": host_tenant, "role": role})
    # Outside its scope (another blog's token) or on no blog: no role here.
    return token.model_copy(update={"tenant": scope if scope != ANY_TENANT else host_tenant or ANY_TENANT, "role": "reader"})


async def resolve(
    db: D1Database, secret: str, token: str, *, via: Via, host: str, host_tenant: str | None, now_ms: int
) -> Caller:
    """The caller behind ``token``; 401 for anything refused, 503 when D1 cannot say."""
    return await lookup(db, verify(secret, token, now_ms=now_ms), via=via, host=host, host_tenant=host_tenant)


def verify(secret: str, token: str, *, now_ms: int) -> TokenClaims:
    """The token's claims when we signed it and it is in date (no I/O); 401 otherwise. Whether
    it still stands (revoked, bound to another host, the account's role) is ``lookup``'s."""
    try:
        return verify_token(secret, token, now_ms=now_ms)
    except TokenError as exc:
        raise unauthorized(exc.code, exc.message) from None


async def lookup(db: D1Database, claims: TokenClaims, *, via: Via, host: str, host_tenant: str | None) -> Caller:
    """The caller behind verified ``claims``, from their credential's row; 401 for anything
    refused, 503 when D1 cannot say."""
    select: D1PreparedStatement[_AccessRow] = db.prepare(_ACCESS_QUERY)
    try:
        row = await select.bind(claims.sub, host_tenant, claims.jti).first()
    except Exception:
        # Fail closed: without the credential's row a signed-out session cannot be told apart.
        log.exception("credential lookup (D1) failed")
        raise unavailable(
            "auth_unavailable", "Sign-in checks are unavailable for a moment; try again shortly.", AUTH_RETRY_AFTER_S
        ) from None
    if row is None:
        raise unauthorized("unknown_user", "The token names no account.")
    if row["credential_user"] is not None and row["credential_user"] != row["id"]:
        raise unauthorized("invalid_token", "The token does not match its credential.")
    if row["revoked_at_ms"] is not None:
        raise unauthorized("token_revoked", "The token has been revoked (signed out).")
    if via == "cookie" and (row["credential_kind"] != "session" or row["bound_host"] != host):
        raise unauthorized("invalid_session", "The session is not valid on this host.")
    user: UserRow = {"id": row["id"], "email": row["email"], "display_name": row["display_name"], "created_at_ms": row["created_at_ms"]}
    return Caller(effective_claims(claims, row, host_tenant), user, via, row["credential_kind"], bool(row["blog_exists"]))


# --- issuing and revoking -------------------------------------------------------------------


def credential_statement(
    db: D1Database, *, jti: str, user_id: str, kind: CredentialKind, now_ms: int, expires_at_ms: int,
    label: str = "", host: str | None = None, tenant: str | None = None, role: Role | None = None,
) -> D1PreparedStatement[object]:
    return db.prepare(
        "INSERT INTO credentials (id, user_id, kind, label, host, tenant, role, created_at_ms, expires_at_ms)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ).bind(jti, user_id, kind, label, host, tenant, role, now_ms, expires_at_ms)


def session_token(secret: str, user_id: str, jti: str, now_ms: int) -> str:
    # role "owner" is the ceiling only: the membership decides (see the module docstring).
    return mint_token(secret, sub=user_id, tenant=ANY_TENANT, role="owner", ttl_s=SESSION_TTL_S, now_ms=now_ms, jti=jti)


async def revoke(db: D1Database, claims: TokenClaims, now_ms: int) -> None:
    """Revoke one credential; a token with no row yet (``grove token``) gets a revoked one."""
    await db.prepare(
        "INSERT INTO credentials (id, user_id, kind, created_at_ms, expires_at_ms, revoked_at_ms)"
        " VALUES (?1, ?2, 'cli', ?3, ?4, ?3)"
        " ON CONFLICT (id) DO UPDATE SET revoked_at_ms = coalesce(revoked_at_ms, excluded.revoked_at_ms)"
        " WHERE user_id = excluded.user_id"
    ).bind(claims.jti, claims.sub, now_ms, claims.exp * 1000).run()


async def revoke_sessions(db: D1Database, user_id: str, now_ms: int) -> int:
    """Sign out everywhere: every live session of the user, on every host. Returns how many."""
    result = await db.prepare(
        "UPDATE credentials SET revoked_at_ms = ?2 WHERE user_id = ?1 AND kind = 'session' AND revoked_at_ms IS NULL"
    ).bind(user_id, now_ms).run()
    return result["meta"]["changes"]


# --- cookies and CSRF -----------------------------------------------------------------------


def cookie_value(headers: Message, name: str = SESSION_COOKIE) -> str | None:
    """The first cookie called ``name`` (RFC 6265 §5.4 sends ``name=value; name2=value2``)."""
    header = headers.get("cookie")
    if not header or len(header) > MAX_COOKIE_HEADER_CHARS:
        return None
    for pair in header.split(";"):
        key, sep, value = pair.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"') or None
    return None


def _attributes(host: str) -> str:
    # Host-only (no Domain), every path, never sent on cross-site subrequests or POSTs (Lax);
    # Secure except on localhost, where browsers allow http (RFC 6265bis §5.6).
    return "Path=/; SameSite=Lax" + ("" if is_local(host) else "; Secure")


def session_cookies(token: str, host: str) -> list[str]:
    """Set-Cookie values for a new session: the token (HttpOnly) and the page script's hint."""
    max_age = f"Max-Age={SESSION_TTL_S}"
    return [
        f"{SESSION_COOKIE}={token}; {max_age}; HttpOnly; {_attributes(host)}",
        f"{SIGNED_IN_HINT_COOKIE}=1; {max_age}; {_attributes(host)}",
    ]


def cleared_cookies(host: str) -> list[str]:
    return [
        f"{SESSION_COOKIE}=; Max-Age=0; HttpOnly; {_attributes(host)}",
        f"{SIGNED_IN_HINT_COOKIE}=; Max-Age=0; {_attributes(host)}",
    ]


def check_same_origin(
    method: str, headers: Message, url: str, *, refusal: str = "A write with the session cookie", unlabelled_ok: bool = False
) -> None:
    """403 ``csrf_refused`` for a cookie-authenticated write another site could have sent.

    ``Sec-Fetch-Site`` when the browser sends it (every current one does; W3C Fetch Metadata)
    must be ``same-origin``; otherwise ``Origin`` must be this origin (RFC 6454). A write
    with neither is refused (browsers send Origin on every POST) unless ``unlabelled_ok``: a
    write with no credential to abuse (a view beacon) only refuses what a browser labels as
    sent from another site; ``refusal`` names the write in the message."""
    if method.upper() not in _UNSAFE_METHODS:
        return
    message = f"{refusal} must come from this site's own pages."
    site = headers.get("sec-fetch-site")
    if site is not None:
        if site.strip().lower() == "same-origin":
            return
        raise forbidden("csrf_refused", message)
    parts = urlsplit(url)
    origin = headers.get("origin")
    if origin is None and unlabelled_ok:
        return
    if origin is None or origin.strip().lower() != f"{parts.scheme}://{parts.netloc}".lower():
        raise forbidden("csrf_refused", message)
