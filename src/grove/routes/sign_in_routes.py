"""Sign-in, sessions and sign-out over HTTP (the rules live in ``grove.sign_in`` and
``grove.sessions``):

- ``POST /api/auth/email-link {"email", "next"}``: 202 whether or not the address has an
  account (every address may sign in: the first sign-in creates the account); rate limited per
  client address and per email. ``GET /auth/sign-in`` and ``POST /auth/sign-in`` are the same
  as a page and a form that work without JavaScript.
- ``GET /auth/callback?token=``: uses the link once, sets the session cookie, redirects (303)
  to ``next``. A refused link is a page for browsers and JSON for other clients.
- ``POST /api/auth/logout`` revokes the caller's credential; ``POST /api/auth/logout-everywhere``
  every session of the account, on every host; ``POST /auth/sign-out[?everywhere=1]`` is the
  form version.
- ``GET /api/me``: the account, its memberships and its role here (private, ``Vary: Cookie,
  Authorization``).
- ``GET /auth/handoff?to=HOST&next=PATH``: a signed-in host sends the session to another
  platform host by a 303 carrying a one-time code bound to that host, which
  ``GET /auth/handoff/accept?code=`` exchanges server-side for a session there.
"""

from __future__ import annotations

from urllib.parse import parse_qs, quote

from grove import accounts, mailer, rate_limit, sessions, sign_in
from grove.access import jwt_secret
from grove.addresses import normalize_email, origin_of, platform_host, safe_next
from grove.bindings import Env, ExecutionContext
from grove.cache_policy import VARY_CREDENTIALS
from grove.client_address import client_address
from grove.clock import now_ms
from grove.errors import HttpError, bad_request, validation_error
from grove.http import JSON_TYPE, html_response, json_body, json_response, query_value, with_cookies
from grove.limits import Rule
from grove.models import (
    EmailLinkReply,
    EmailLinkRequest,
    LogoutReply,
    MeReply,
    SessionsRevoked,
    SignedIn,
    TenantConfig,
)
from grove.negotiation import prefers_html
from grove.pages.account import link_sent_page, sign_in_email, sign_in_page
from grove.platform import Request, Response
from grove.request_body import parse_model, read_body, read_json
from grove.router import Router
from grove.routes.visit import Visit, open_public_visit, open_visit
from grove.sessions import Caller
from grove.tenancy import tenant_config

MAX_FORM_BYTES = 8 * 1024
LINK_ACCEPTED = "If the address can receive mail, a sign-in link is on its way."


def register(router: Router) -> None:
    router.add("POST", "/api/auth/email-link", email_link, access="client", summary="Email a one-time sign-in link (202 always).", request=EmailLinkRequest, response=EmailLinkReply, statuses=(202,))
    router.add("GET", "/auth/callback", callback, access="client", summary="Use a sign-in link: sets the session cookie, 303 to next.", response=SignedIn, statuses=(303,))
    router.add("POST", "/api/auth/logout", logout, access="token", summary="Revoke the caller's session or token.", response=LogoutReply)
    router.add("POST", "/api/auth/logout-everywhere", logout_everywhere, access="token", summary="Revoke every session of the account, on every host.", response=SessionsRevoked)
    router.add("GET", "/api/me", me, access="token", summary="The signed-in account, its memberships and its role here.", response=MeReply)
    router.add("GET", "/auth/sign-in", sign_in_form, access="client", summary="The sign-in page.", media="html")
    router.add("POST", "/auth/sign-in", sign_in_submit, access="client", summary="The sign-in form: emails a link.", media="html")
    router.add("POST", "/auth/sign-out", sign_out, access="token", summary="The sign-out form (?everywhere=1: every session).", media="html", statuses=(303,))
    router.add("GET", "/auth/handoff", handoff, access="token", summary="Send the session to another platform host (303 with a one-time code).", media="html", statuses=(303,))
    router.add("GET", "/auth/handoff/accept", handoff_accept, access="client", summary="Exchange a hand-off code for a session on this host (303).", media="html", statuses=(303,))


async def _config(visit: Visit) -> TenantConfig | None:
    return None if visit.tenant is None else await tenant_config(visit.env, visit.settings, visit.tenant)


def _link_host(visit: Visit) -> str:
    """The host links point at: this request's, only when it is one of the platform's (a
    forged Host must never turn a sign-in link into a link to someone else's server)."""
    host = platform_host(visit.host, visit.settings.root_domain)
    if host is None:
        raise bad_request("invalid_host", "Sign-in links are only sent for the platform's own hosts.")
    return host


async def _send_link(visit: Visit, raw_email: str, raw_next: str | None) -> str:
    email = normalize_email(raw_email)
    if email is None:
        raise validation_error("email", "email: not an email address we can send to")
    host = _link_host(visit)
    env = visit.env
    await rate_limit.enforce(env, Rule.SIGN_IN_LINK, rate_limit.address_subject(client_address(visit.headers)))
    # Counted by a digest: the limiter's object names never hold an address.
    await rate_limit.enforce(env, Rule.SIGN_IN_LINK_EMAIL, sessions.secret_hash(email)[:32])
    now = now_ms()
    secret = await sign_in.create_link(env.DB, email=email, host=host, next_path=safe_next(raw_next), now_ms=now)
    config = await _config(visit)
    subject, text, html = sign_in_email(
        link=f"{origin_of(host)}/auth/callback?token={secret}", site_name=config.display_name if config else "Grove"
    )
    await mailer.send(env.DB, visit.settings, mailer.Email(email, subject, text, html), now)
    return email


async def email_link(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_public_visit(request, env, ctx)
    body = parse_model(EmailLinkRequest, await read_json(request, visit.headers))
    await _send_link(visit, body.email, body.next)
    return json_response({"accepted": True, "message": LINK_ACCEPTED}, status=202)


async def sign_in_form(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_public_visit(request, env, ctx)
    caller = await _cookie_caller(visit)
    page = sign_in_page(
        await _config(visit), next_path=safe_next(query_value(request, "next")),
        signed_in_as=None if caller is None else caller.user["email"],
    )
    return html_response(page, headers={"vary": VARY_CREDENTIALS})


async def _cookie_caller(visit: Visit) -> Caller | None:
    """The session of this page's visitor, or None: a bad cookie here just shows the form."""
    token = sessions.cookie_value(visit.headers)
    if token is None or not visit.settings.jwt_secret:
        return None
    try:
        return await sessions.resolve(
            visit.env.DB, visit.settings.jwt_secret, token, via="cookie", host=visit.host, host_tenant=visit.tenant, now_ms=now_ms()
        )
    except HttpError:
        return None


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("malformed_form", "The form is not UTF-8.") from None
    return {key: values[0] for key, values in parse_qs(text, max_num_fields=10).items()}


async def sign_in_submit(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_public_visit(request, env, ctx)
    try:
        form = _form(await read_body(request, visit.headers, MAX_FORM_BYTES))
    except ValueError:  # parse_qs: too many fields
        raise bad_request("malformed_form", "The form has too many fields.") from None
    next_path = safe_next(form.get("next"))
    config = await _config(visit)
    try:
        email = await _send_link(visit, form.get("email", ""), next_path)
    except HttpError as error:
        if error.status != 422 or not prefers_html(visit.headers.get("accept")):
            raise
        return html_response(
            sign_in_page(config, next_path=next_path, notice="That does not look like an email address."), status=422
        )
    if not prefers_html(visit.headers.get("accept")):
        return json_response({"accepted": True, "message": LINK_ACCEPTED}, status=202)
    return html_response(link_sent_page(config, email=email), status=202)


def _signed_in(visit: Visit, token: str, host: str, next_path: str) -> Response:
    """303 to ``next_path`` with the new session's cookies (and a JSON body for API clients)."""
    headers = {"location": next_path, "content-type": JSON_TYPE, "cache-control": "private, no-store", "vary": VARY_CREDENTIALS}
    return with_cookies(json_body({"signed_in": True, "next": next_path}), 303, headers, sessions.session_cookies(token, host))


async def callback(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_public_visit(request, env, ctx)
    if str(request.method) == "HEAD":
        # Mail scanners probe links with HEAD: only a GET may use the link up.
        return Response(None, status=200, headers={"cache-control": "private, no-store"})
    host = _link_host(visit)
    secret = jwt_secret(visit.settings)
    now = now_ms()
    link = await sign_in.consume_link(env.DB, query_value(request, "token") or "", host=host, now_ms=now)
    _, token = await sign_in.complete_sign_in(env.DB, secret, link["email"], host, now)
    return _signed_in(visit, token, host, safe_next(link["next_path"]))


async def _revoke_caller(visit: Visit) -> Caller:
    caller = visit.require_caller()
    await sessions.revoke(visit.env.DB, caller.claims, now_ms())
    return caller


async def logout(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    caller = await _revoke_caller(visit)
    claims = caller.claims
    body = json_body({"revoked": True, "jti": claims.jti, "until_s": claims.exp})
    headers = {"content-type": JSON_TYPE, "cache-control": "private, no-store"}
    return with_cookies(body, 200, headers, sessions.cleared_cookies(visit.host) if caller.via == "cookie" else [])


async def logout_everywhere(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    caller = visit.require_caller()
    count = await sessions.revoke_sessions(env.DB, caller.user["id"], now_ms())
    headers = {"content-type": JSON_TYPE, "cache-control": "private, no-store"}
    return with_cookies(json_body({"revoked_sessions": count}), 200, headers, sessions.cleared_cookies(visit.host))


async def sign_out(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    caller = visit.require_caller()
    if query_value(request, "everywhere") == "1":
        await sessions.revoke_sessions(env.DB, caller.user["id"], now_ms())
    await sessions.revoke(env.DB, caller.claims, now_ms())
    headers = {"location": "/auth/sign-in", "cache-control": "private, no-store"}
    return with_cookies(None, 303, headers, sessions.cleared_cookies(visit.host))


async def me(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    caller = visit.require_caller()
    user = caller.user
    memberships = await accounts.memberships_of(env.DB, user["id"])
    role_here = caller.claims.role if visit.tenant is not None and caller.claims.tenant == visit.tenant else None
    reply = {
        "user": {"id": user["id"], "email": user["email"], "display_name": user["display_name"]},
        "memberships": [dict(m) for m in memberships],
        "role_here": role_here,
        "via": caller.via,
    }
    return json_response(reply, headers={"vary": VARY_CREDENTIALS})


async def handoff(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_visit(request, env, ctx)
    caller = visit.require_caller()
    target = platform_host(query_value(request, "to") or "", visit.settings.root_domain)
    if target is None:
        raise bad_request("invalid_host", "'to' must be one of the platform's hosts.")
    code = await sign_in.create_handoff(
        env.DB, user_id=caller.user["id"], target_host=target, next_path=safe_next(query_value(request, "next")), now_ms=now_ms()
    )
    location = f"{origin_of(target)}/auth/handoff/accept?code={quote(code)}"
    return Response(None, status=303, headers={"location": location, "cache-control": "private, no-store"})


async def handoff_accept(request: Request, env: Env, ctx: ExecutionContext) -> Response:
    visit = await open_public_visit(request, env, ctx)
    host = _link_host(visit)
    now = now_ms()
    used = await sign_in.consume_handoff(env.DB, query_value(request, "code") or "", host=host, now_ms=now)
    token = await sign_in.start_session(env.DB, jwt_secret(visit.settings), used["user_id"], host, now)
    return _signed_in(visit, token, host, safe_next(used["next_path"]))
