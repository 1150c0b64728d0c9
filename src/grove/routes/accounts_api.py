"""The account, blogs, members and personal API tokens:

- ``PATCH /api/me {"display_name"}`` (any signed-in account): the name bylines, feeds, share
  previews and comments show; the cached copies that show the old one go
  (``grove.invalidation.after_display_name_change``).

- ``POST /api/blogs {"subdomain", "display_name"}`` (any signed-in account, on any host):
  claims a free subdomain (the tenant rules of ``grove.tenancy``, minus reserved names) and
  makes the caller its owner, in one atomic batch; 409 ``subdomain_taken``.
- ``POST /api/members/invites {"email", "role"}`` (owner): emails a sign-in link; the first
  sign-in with that address (within 14 days) turns the invite into a membership.
- ``GET /api/members`` (owner), ``DELETE /api/members/{user_id}`` (owner; the last owner
  stays): effective on the member's next request.
- ``POST /api/tokens`` (owner or author of this blog): a personal API token for this blog,
  at most the caller's role, returned once; ``GET /api/tokens`` the caller's tokens here,
  ``DELETE /api/tokens/{id}`` revokes one (effective on its next use).
"""

from __future__ import annotations

from typing import Literal

from grove import accounts, invalidation, mailer, sessions, sign_in
from grove.access import jwt_secret, require_owner, require_writer
from grove.accounts import MemberRole
from grove.addresses import normalize_email, origin_of, platform_host
from grove.auth import mint_token
from grove.auth_policy import INVITE_TTL_S
from grove.bindings import D1PreparedStatement, Env, ExecutionContext, SqlValue
from grove.clock import now_ms
from grove.errors import HttpError, conflict, not_found, validation_error
from grove.http import json_response
from grove.ids import new_id
from grove.meadow_policy import MEADOW_SUBDOMAIN
from grove.models import (
    BlogCreate,
    BlogCreated,
    InviteCreate,
    InviteSent,
    MemberList,
    MemberRemoved,
    ProfileReply,
    ProfileUpdate,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenRevoked,
)
from grove.pages.account import invite_email
from grove.platform import Request, Response
from grove.posts_store import read_authored_posts
from grove.request_body import parse_model, read_json
from grove.router import Router
from grove.routes.sign_in_routes import VARY_CREDENTIALS
from grove.routes.visit import open_visit
from grove.tenancy import NO_BLOG_HERE, SUBDOMAIN_PATTERN, tenant_config

# Names that are, or may become, the platform's own hosts.
RESERVED_SUBDOMAINS = frozenset({"www", MEADOW_SUBDOMAIN, "admin", "api", "static", "auth"})


def register(router: Router) -> None:
    router.add("PATCH", "/api/me", update_me, access="token", summary="Change the account's display name.", request=ProfileUpdate, response=ProfileReply)
    router.add("POST", "/api/blogs", create_blog, access="token", summary="Claim a free subdomain and own the new blog.", request=BlogCreate, response=BlogCreated, statuses=(201,))
    router.add("POST", "/api/members/invites", invite, access="owner", summary="Invite someone by email (a sign-in link).", request=InviteCreate, response=InviteSent, statuses=(202,))
    router.add("GET", "/api/members", list_members, access="owner", summary="The blog's members.", response=MemberList)
    router.add("DELETE", "/api/members/{user_id}", remove_member, access="owner", summary="Remove a member (effective on their next request).", response=MemberRemoved)
    router.add("POST", "/api/tokens", create_token, access="writer", summary="A personal API token for this blog (shown once).", request=TokenCreate, response=TokenCreated, statuses=(201,))
    router.add("GET", "/api/tokens", list_tokens, access="writer", summary="The caller's personal API tokens for this blog.", response=TokenList)
    router.add("DELETE", "/api/tokens/{id}", revoke_token, access="writer", summary="Revoke a personal API token.", response=TokenRevoked)


async def update_me(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    caller = visit.require_caller()
    body = parse_model(ProfileUpdate, await read_json(request, visit.headers))
    user = caller.user
    changed = await accounts.rename_user(env.DB, user["id"], body.display_name)
    if changed:
        posts = await read_authored_posts(env.DB, user["id"], invalidation.NAME_CHANGE_MAX_POSTS)
        await invalidation.after_display_name_change(env, visit.settings, posts)
    reply = {"user": {"id": user["id"], "email": user["email"], "display_name": body.display_name}, "changed": changed}
    return json_response(reply, headers={"vary": VARY_CREDENTIALS})


async def create_blog(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    caller = visit.require_caller()
    body = parse_model(BlogCreate, await read_json(request, visit.headers))
    subdomain = body.subdomain.strip().lower()
    if not SUBDOMAIN_PATTERN.match(subdomain):
        raise validation_error("subdomain", "subdomain: lower-case letters, digits and inner dashes, at most 63")
    if subdomain in RESERVED_SUBDOMAINS:
        raise conflict("subdomain_reserved", f"'{subdomain}' is reserved for the platform.")
    now = now_ms()
    results = await env.DB.batch([
        env.DB.prepare(
            "INSERT INTO tenants (subdomain, display_name, theme, tier, limits, created_at_ms, updated_at_ms)"
            " VALUES (?1, ?2, '{}', 'seedling', '{}', ?3, ?3) ON CONFLICT (subdomain) DO NOTHING"
        ).bind(subdomain, body.display_name, now),
        # changes() is the previous statement's count on this connection (the batch runs in
        # one transaction): the owner is added only when the row above was new, never to a
        # blog that already existed.
        env.DB.prepare(
            "INSERT INTO memberships (tenant, user_id, role, created_at_ms) SELECT ?1, ?2, 'owner', ?3 WHERE changes() = 1"
        ).bind(subdomain, caller.user["id"], now),
    ])
    if not results[0]["meta"]["changes"]:
        raise conflict("subdomain_taken", f"'{subdomain}' is taken.")
    host = f"{subdomain}.{visit.settings.root_domain}"
    port = visit.host.partition(":")[2]
    url = origin_of(f"{host}:{port}" if port else host) + "/"
    return json_response({"subdomain": subdomain, "display_name": body.display_name, "url": url, "role": "owner"}, status=201)


async def invite(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    claims = require_owner(visit.claims, tenant, "Inviting members")
    body = parse_model(InviteCreate, await read_json(request, visit.headers))
    email = normalize_email(body.email)
    if email is None:
        raise validation_error("email", "email: not an email address we can send to")
    config = await tenant_config(env, visit.settings, tenant)
    host = platform_host(visit.host, visit.settings.root_domain)
    if config is None or host is None:
        raise not_found(NO_BLOG_HERE)
    now = now_ms()
    expires_at_ms = now + INVITE_TTL_S * 1000
    await accounts.invite_statement(
        env.DB, tenant=tenant, email=email, role=body.role, invited_by=claims.sub, now_ms=now, expires_at_ms=expires_at_ms
    ).run()
    secret = await sign_in.create_link(env.DB, email=email, host=host, next_path="/admin", now_ms=now)
    inviter = visit.caller.user["display_name"] if visit.caller else claims.sub
    subject, text, html = invite_email(
        link=f"{origin_of(host)}/auth/callback?token={secret}", blog_name=config.display_name, role=body.role, inviter=inviter
    )
    await mailer.send(env.DB, visit.settings, mailer.Email(email, subject, text, html), now)
    return json_response({"invited": email, "role": body.role, "expires_at_ms": expires_at_ms}, status=202)


async def list_members(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    require_owner(visit.claims, tenant, "Listing members")
    return json_response({"members": [dict(m) for m in await accounts.members_of(env.DB, tenant)]})


async def remove_member(request: Request, env: Env, ctx: ExecutionContext, user_id: str) -> Response:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    require_owner(visit.claims, tenant, "Removing members")
    role = await accounts.remove_member(env.DB, tenant, user_id)
    if role is None:
        if any(m["user_id"] == user_id for m in await accounts.members_of(env.DB, tenant)):
            raise conflict("last_owner", "The blog's last owner cannot be removed.")
        raise not_found("No such member.")
    return json_response({"removed": user_id, "role": role})


_RANK: dict[str, int] = {"author": 1, "owner": 2}


async def create_token(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    claims = require_writer(visit.claims, tenant)
    body = parse_model(TokenCreate, await read_json(request, visit.headers))
    mine: Literal["owner", "author"] = "owner" if claims.role == "owner" else "author"
    role: MemberRole = body.role or mine
    if _RANK[role] > _RANK[mine]:
        raise HttpError(403, "insufficient_role", f"A token can have at most your role ({mine}).")
    now = now_ms()
    jti = new_id()
    expires_at_ms = now + body.ttl_s * 1000
    await sessions.credential_statement(
        env.DB, jti=jti, user_id=claims.sub, kind="api", now_ms=now, expires_at_ms=expires_at_ms,
        label=body.label, tenant=tenant, role=role,
    ).run()
    token = mint_token(jwt_secret(visit.settings), sub=claims.sub, tenant=tenant, role=role, ttl_s=body.ttl_s, now_ms=now, jti=jti)
    info = {"id": jti, "label": body.label, "tenant": tenant, "role": role, "created_at_ms": now, "expires_at_ms": expires_at_ms, "revoked_at_ms": None}
    return json_response({**info, "token": token}, status=201)


async def list_tokens(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    claims = require_writer(visit.claims, tenant)
    select: D1PreparedStatement[dict[str, SqlValue]] = env.DB.prepare(
        "SELECT id, label, tenant, role, created_at_ms, expires_at_ms, revoked_at_ms FROM credentials"
        " WHERE user_id = ?1 AND kind = 'api' AND tenant = ?2 AND expires_at_ms > ?3 ORDER BY created_at_ms DESC"
    )
    rows = (await select.bind(claims.sub, tenant, now_ms()).all())["results"]
    return json_response({"tokens": [dict(row) for row in rows]})


async def revoke_token(request: Request, env: Env, ctx: ExecutionContext, id: str) -> Response:  # noqa: A002 (the path's name)
    visit = await open_visit(request, env, ctx)
    tenant = visit.require_tenant()
    claims = require_writer(visit.claims, tenant)
    result = await env.DB.prepare(
        "UPDATE credentials SET revoked_at_ms = coalesce(revoked_at_ms, ?4)"
        " WHERE id = ?1 AND user_id = ?2 AND tenant = ?3 AND kind = 'api'"
    ).bind(id, claims.sub, tenant, now_ms()).run()
    if not result["meta"]["changes"]:
        raise not_found("No such token.")
    return json_response({"revoked": id})



