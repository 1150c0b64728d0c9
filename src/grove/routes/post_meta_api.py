"""A post's live parts over HTTP, answered by its PostMetaDO (``durable_objects.post_meta``):
reactions, comments, views, readers present (WebSocket) and the writers' stats.

Who may do what:
- reading reactions and comments: anyone (``mine`` and each comment's ``mine`` are the
  caller's, so every reply is ``private, no-store`` with ``Vary: Authorization``);
- reacting, commenting, deleting one's own comment: any valid token (a reader's of this blog
  or a user's of any blog). A reaction or comment belongs to a *user* (``claims.sub``), not to
  a membership of this blog: a reader does not have to be a member to react, and a member of
  several blogs is one person everywhere (accounts make ``sub`` the account id);
- hiding a comment: the blog's owner or the post's author; stats: the blog's writers;
- a view (``POST .../views``): anyone; the page's script sends it (see ``grove.static``'s
  ``post_live.js``), de-duplicated per reader in the object.
Only published posts take reactions, comments and views; drafts and missing posts are 404s.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12 (the API document)

from grove import accounts, rate_limit
from grove.authors import author_name
from grove.bindings import Env, ExecutionContext
from grove.cache_keys import post_key
from grove.cache_policy import PRIVATE_NO_STORE, VARY_BY_CALLER
from grove.client_address import client_address
from grove.clock import now_ms
from grove.engagement import (
    COMMENT_MAX_STORED_BYTES,
    COMMENTS_PAGE_SIZE,
    CommentCreate,
    ReactionToggle,
    decode_cursor,
)
from grove.errors import (
    HttpError,
    forbidden,
    not_found,
    payload_too_large,
    unauthorized,
    unavailable,
    validation_error,
)
from grove.http import json_response, query_value
from grove.limits import Rule
from grove.markdown import render_markdown
from grove.models import CachedPost, TokenClaims
from grove.platform import Request, Response
from grove.post_meta_rpc import (
    Comment,
    CommentPage,
    ModerateReply,
    PostMetaStub,
    PostStats,
    Reactions,
    ReactionToggled,
    post_meta_stub,
)
from grove.request_body import parse_model, read_body, read_json
from grove.router import Router
from grove.routes.visit import (
    Alongside,
    Visit,
    open_public_visit,
    open_visit,
    open_visit_with,
    open_writer_visit,
)
from grove.sessions import check_same_origin
from grove.tenancy import tenant_stub

log = logging.getLogger("grove.post_meta_api")
T = TypeVar("T")

VIEW_BODY_MAX_BYTES = 1024
# How long a client waits before asking again after the post's object could not answer.
META_RETRY_AFTER_S = 5
_PRIVATE = {"cache-control": PRIVATE_NO_STORE, "vary": VARY_BY_CALLER}


class CommentBody(TypedDict):
    comment: Comment


class ViewAccepted(TypedDict):
    accepted: bool


def register(router: Router) -> None:
    base = "/api/posts/{slug}"
    router.add("GET", f"{base}/reactions", get_reactions, access="reader", summary="Reaction counts, and the caller's own.", response=Reactions)
    router.add("POST", f"{base}/reactions", toggle_reaction, access="token", summary="Toggle the caller's reaction of one type.", request=ReactionToggle, response=ReactionToggled)
    router.add("GET", f"{base}/comments", list_comments, access="reader", summary="Comments, oldest first (keyset pages: ?cursor=).", response=CommentPage)
    router.add("POST", f"{base}/comments", add_comment, access="token", summary="Comment (markdown), optionally in reply to one.", request=CommentCreate, response=CommentBody, statuses=(201,))
    router.add("POST", f"{base}/comments/{{comment_id}}/hide", hide_comment, access="writer", summary="Hide a comment (the blog's owner or the post's author).", request_required=False, response=CommentBody)
    router.add("DELETE", f"{base}/comments/{{comment_id}}", delete_comment, access="token", summary="Delete one's own comment.", response=CommentBody)
    router.add("POST", f"{base}/views", record_view, access="client", summary="Count a view of the post's page (sent by its script).", request_required=False, response=ViewAccepted, statuses=(202,))
    router.add("GET", f"{base}/live", live, access="reader", summary="WebSocket: readers present, reaction and comment changes.", statuses=(101,))
    router.add("GET", f"{base}/stats", stats, access="writer", summary="Views, reactions and comments of a post.", response=PostStats)


@dataclass(frozen=True)
class PostRef:
    tenant: str
    id: str
    author_id: str | None  # None: not read


class _PostRow(TypedDict):
    id: str
    author_id: str
    status: str


async def _published(visit: Visit, slug: str, *, with_author: bool = False) -> PostRef:
    """The published post at ``slug``: from its KV copy when there is one (readers' copies
    carry no author: ``with_author`` reads D1), else D1."""
    tenant = visit.require_tenant()
    missing = not_found("There is no published post at this address.")
    if visit.settings.cache_enabled and not with_author:
        try:
            cached = await visit.env.CACHE_KV.get(post_key(tenant, slug), type="json")
        except Exception:
            cached = None  # KV is a copy; D1 answers
        if cached is not None:
            post = CachedPost.model_validate(cached).post
            if post is None or post.status != "published":
                raise missing
            return PostRef(tenant, post.id, None)
    row: _PostRow | None = await visit.env.DB.prepare(
        "SELECT id, author_id, status FROM posts WHERE tenant = ?1 AND slug = ?2"
    ).bind(tenant, slug).first()
    if row is None or row["status"] != "published":
        raise missing
    return PostRef(tenant, row["id"], row["author_id"])


def _stub(env: Env, post: PostRef) -> PostMetaStub:
    return post_meta_stub(env, post.tenant, post.id)


async def _answer(call: Awaitable[T]) -> T:
    """The post's object's reply, or a 503 when it could not give one: D1 failing under a
    comment page or a comment lookup (the object reads D1 before it writes anything), or the
    object reset mid-call (a write may have landed; sending it again is safe to ask for)."""
    try:
        return await call
    except Exception:
        log.exception("the post's PostMetaDO did not answer")
        raise unavailable(
            "post_meta_unavailable", "Reactions and comments cannot be reached for a moment; try again shortly.",
            META_RETRY_AFTER_S,
        ) from None


def _caller(visit: Visit) -> TokenClaims:
    if visit.claims is None:
        raise unauthorized("missing_token", "Sign in first: this needs 'Authorization: Bearer <token>'.")
    return visit.claims


# --- reactions -------------------------------------------------------------------------------


async def get_reactions(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit = await open_visit(request, env, ctx)
    post = await _published(visit, slug)
    viewer = visit.claims.sub if visit.claims else None
    return json_response(await _answer(_stub(env, post).reactions(viewer)), headers=_PRIVATE)


async def toggle_reaction(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    return await toggle_on(request, env, ctx, lambda visit: _published(visit, slug))


async def toggle_on(
    request: Request, env: Env, ctx: ExecutionContext, find: Callable[[Visit], Awaitable[PostRef]]
) -> Response:
    """Toggle the caller's reaction on the post ``find`` names (a 404 when it is not
    published): the blog's route finds it by slug, Meadow's by id (``grove.routes.meadow_api``).

    The hot path of a post's live parts, so it waits once before the object: reading the body,
    finding the post and counting the caller's reaction limit go beside the credential's
    lookup (``open_visit_with``); the toggle itself only once all of them agree."""

    async def read(visit: Visit, signed: TokenClaims) -> tuple[ReactionToggle, PostRef]:
        body = parse_model(ReactionToggle, await read_json(visit.request, visit.headers, VIEW_BODY_MAX_BYTES))
        return body, await find(visit)

    visit, (body, post) = await open_visit_with(request, env, ctx, Alongside(read, per_user=Rule.REACTION))
    claims = _caller(visit)
    return json_response(await _answer(_stub(env, post).toggle_reaction(claims.sub, body.type)), headers=_PRIVATE)


# --- comments --------------------------------------------------------------------------------


async def list_comments(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit = await open_visit(request, env, ctx)
    cursor = query_value(request, "cursor")
    if cursor is not None and decode_cursor(cursor) is None:
        raise validation_error("cursor", "cursor: use the next_cursor of the previous page")
    post = await _published(visit, slug)
    viewer = visit.claims.sub if visit.claims else None
    page = await _answer(_stub(env, post).list_comments(cursor, COMMENTS_PAGE_SIZE, viewer))
    await _name(env, page["comments"])
    return json_response(page, headers=_PRIVATE)


async def _name(env: Env, comments: list[Comment]) -> None:
    """Give each comment its author's display name: one D1 query for the page (comments are
    private, never cached: the name is the one of now; a deleted account shows its id)."""
    names = await accounts.display_names(env.DB, [c["author_id"] for c in comments])
    for comment in comments:
        comment["author_name"] = author_name(comment["author_id"], names.get(comment["author_id"]))


async def add_comment(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    """A comment by the caller. Everything that can refuse it before the object is asked (the
    body, its rendered size, the post) is read beside the credential's lookup, and a comment
    refused for any reason, the object's included, spends nothing of the user's limit."""

    async def read(visit: Visit, signed: TokenClaims) -> tuple[CommentCreate, str, PostRef]:
        body = parse_model(CommentCreate, await read_json(visit.request, visit.headers))
        html = render_markdown(body.markdown).html
        if len(body.markdown.encode("utf-8", "surrogatepass")) + len(html.encode("utf-8", "surrogatepass")) > COMMENT_MAX_STORED_BYTES:
            raise payload_too_large(COMMENT_MAX_STORED_BYTES)
        return body, html, await _published(visit, slug)

    visit, (body, html, post) = await open_visit_with(request, env, ctx, Alongside(read, per_user=Rule.COMMENT))
    claims = _caller(visit)
    # The commenter's name was read with their credential (grove.sessions): no query here.
    name = author_name(claims.sub, visit.caller.user["display_name"] if visit.caller else None)
    try:
        reply = await _answer(_stub(env, post).add_comment(
            {"user_id": claims.sub, "markdown": body.markdown, "html": html, "parent_id": body.parent_id, "author_name": name}
        ))
        if reply["outcome"] == "no_parent":
            raise validation_error("parent_id", "parent_id: no comment with this id on this post")
    except HttpError:
        await rate_limit.give_back(env, Rule.COMMENT, rate_limit.user_subject(claims.sub))
        raise
    comment = reply["comment"]
    comment["author_name"] = name
    return json_response(
        {"comment": comment}, status=201,
        headers={**_PRIVATE, "location": f"/api/posts/{slug}/comments/{comment['id']}"},
    )


async def hide_comment(request: Request, env: Env, ctx: ExecutionContext, slug: str, comment_id: str) -> Response:
    visit, _, claims = await open_writer_visit(request, env, ctx)
    post = await _published(visit, slug, with_author=True)
    if not (claims.role == "owner" or claims.sub == post.author_id):
        raise forbidden("insufficient_role", "Hiding a comment needs the blog's owner or the post's author.")
    return await _moderated(env, await _answer(_stub(env, post).hide_comment(comment_id)))


async def delete_comment(request: Request, env: Env, ctx: ExecutionContext, slug: str, comment_id: str) -> Response:
    visit = await open_visit(request, env, ctx)
    claims = _caller(visit)
    post = await _published(visit, slug)
    return await _moderated(env, await _answer(_stub(env, post).delete_comment(comment_id, claims.sub)))


async def _moderated(env: Env, reply: ModerateReply) -> Response:
    if reply["outcome"] == "missing":
        raise not_found("There is no such comment on this post.")
    if reply["outcome"] == "not_yours":
        raise forbidden("not_yours", "Only a comment's author can delete it.")
    comment = reply["comment"]
    await _name(env, [comment])
    return json_response({"comment": comment}, headers=_PRIVATE)


# --- views, presence, stats --------------------------------------------------------------------


async def record_view(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    """One view of the post's page. The object de-duplicates; a counted view is also the
    owner's ``page_view`` analytics event (through the TenantDO, as every event)."""
    visit = await open_visit(request, env, ctx)
    # Only the post's own page sends it: another site's pages beaconing it would count each of
    # their visitors (real, distinct addresses) as a reader of this post.
    check_same_origin(str(request.method), visit.headers, request.url, refusal="A view", unlabelled_ok=True)
    # Beacons may carry a small body: read (bounded) and not used.
    await read_body(request, visit.headers, VIEW_BODY_MAX_BYTES)
    post = await _published(visit, slug)
    address = client_address(visit.headers)
    reply = await _answer(_stub(env, post).record_view(address, visit.headers.get("user-agent") or ""))
    if reply["counted"]:
        await tenant_stub(env, post.tenant).record_events(
            [{"type": "page_view", "path": f"/blog/{slug}", "ts_ms": now_ms()}]
        )
    # Whether it counted is not said: it would tell a caller that someone with the same
    # address and browser read this post in the last 30 minutes.
    return json_response({"accepted": True}, status=202, headers=_PRIVATE)


async def live(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    """The post's live socket. What it carries is the same for every reader (counts, presence,
    comments as any reader lists them), so the session cookie is not read: a stale one is no
    401, and a signed-in reader's socket costs no credential lookup. For the same reason
    another site's page opening it (no Origin check) learns nothing it could not fetch itself;
    one client's share of the sockets is capped by the object."""
    visit = await open_public_visit(request, env, ctx)
    if (visit.headers.get("upgrade") or "").lower() != "websocket":
        raise HttpError(426, "upgrade_required", "This address takes a WebSocket upgrade.", headers={"upgrade": "websocket"})
    post = await _published(visit, slug)
    return await _stub(env, post).fetch(request)


async def stats(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    visit, _, _ = await open_writer_visit(request, env, ctx)
    post = await _published(visit, slug)
    return json_response(await _answer(_stub(env, post).stats()), headers=_PRIVATE)
