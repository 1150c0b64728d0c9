"""``POST /api/auth/logout``: revoke the request's token until it would have expired anyway.

Revocation is a KV entry ``auth:revoked:{jti}`` that expires with the token, so the list of
revoked tokens never grows beyond the ones still worth refusing.
"""

from __future__ import annotations

from grove.bindings import Env, ExecutionContext
from grove.cache_keys import revoked_token_key
from grove.clock import now_ms
from grove.errors import unauthorized
from grove.http import json_response
from grove.models import LogoutReply
from grove.platform import Request, Response
from grove.router import Router
from grove.routes.visit import open_visit

# KV refuses an expiration closer than 60 s; a token that expires sooner is kept revoked 60 s.
KV_MIN_TTL_S = 60


def register(router: Router) -> None:
    router.add("POST", "/api/auth/logout", logout, access="token", summary="Revoke the request's token.", response=LogoutReply)


async def logout(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    claims = visit.claims
    if claims is None:
        raise unauthorized("missing_token", "Send the token to revoke as 'Authorization: Bearer <token>'.")
    now_s = now_ms() // 1000
    if claims.exp - now_s >= KV_MIN_TTL_S:
        await env.CACHE_KV.put(revoked_token_key(claims.jti), "1", expiration=claims.exp)
    else:
        await env.CACHE_KV.put(revoked_token_key(claims.jti), "1", expirationTtl=KV_MIN_TTL_S)
    return json_response({"revoked": True, "jti": claims.jti, "until_s": max(claims.exp, now_s + KV_MIN_TTL_S)})
