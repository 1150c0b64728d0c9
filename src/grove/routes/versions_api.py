"""A post's content versions: ``GET /api/posts/{slug}/versions`` (newest first, keyset pages),
``GET /api/posts/{slug}/versions/{version}`` (its text and a line diff against the current
version) and ``POST /api/posts/{slug}/versions/{version}/restore`` (its text becomes the post's
again, as a new version, through ``grove.post_writes``: caches invalidated as for any edit).

The blog's writers only (owners and authors), for posts of any status; every reply is
``private, no-store``. Versions live in the post's ``PostContentDO``, found by the post's id
in D1, so a post of another blog is a 404 like a missing one.
"""

from __future__ import annotations

from typing_extensions import TypedDict

from grove import post_writes
from grove.accounts import display_names
from grove.bindings import Env, ExecutionContext
from grove.cache_policy import PRIVATE_NO_STORE
from grove.errors import HttpError, not_found
from grove.http import json_response, query_value
from grove.models import AuthorPost
from grove.pagination import CURSOR_MAX_CHARS, Cursor
from grove.platform import Request, Response
from grove.post_content_rpc import PostContentStub, VersionDetail, VersionSummary
from grove.post_drafts import post_content_stub
from grove.posts_store import read_post_ref
from grove.router import QueryText, Router
from grove.routes.visit import open_writer_visit
from grove.versions import VERSIONS_PAGE_SIZE, DiffLine, line_diff

_PRIVATE = {"cache-control": PRIVATE_NO_STORE}


class ListedVersion(VersionSummary):
    author_name: str | None


class VersionList(TypedDict):
    versions: list[ListedVersion]
    older_cursor: str | None
    newer_cursor: str | None


class VersionCompared(TypedDict):
    """``diff``: from this version to the current one (``added`` lines are in the current text
    and not in this version)."""

    version: VersionDetail
    current_version: int
    diff: list[DiffLine]


class VersionRestored(TypedDict):
    post: AuthorPost
    version: int | None
    restored_from: int


def register(router: Router) -> None:
    base = "/api/posts/{slug}/versions"
    cursor = {"cursor": QueryText(CURSOR_MAX_CHARS, "An opaque position from older_cursor/newer_cursor (400 bad_cursor if malformed).")}
    router.add("GET", base, list_versions, access="writer", summary="A post's content versions, newest first.", response=VersionList, query=cursor)
    router.add("GET", f"{base}/{{version}}", get_version, access="writer", summary="A version's text and its diff to the current one.", response=VersionCompared)
    router.add(
        "POST", f"{base}/{{version}}/restore", restore_version, access="writer", summary="Make a version's text current again (a new version).",
        request_required=False, response=VersionRestored,
    )


def _no_version(slug: str, version: int) -> HttpError:
    return not_found(f"Post '{slug}' has no version {version}.")


async def _stub(env: Env, tenant: str, slug: str) -> PostContentStub:
    post = await read_post_ref(env.DB, tenant, slug)
    if post is None:
        raise not_found(f"There is no post '{slug}'.")
    return post_content_stub(env, tenant, post["id"])


def _unavailable() -> HttpError:
    return HttpError(503, "versions_unavailable", "The post's versions cannot be read just now; try again shortly.", headers={"retry-after": "5"})


async def list_versions(request: Request, env: Env, ctx: ExecutionContext, slug: str) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    cursor = query_value(request, "cursor")
    if cursor is not None:
        Cursor.decode(cursor)  # a 400 bad_cursor before anything is asked
    page = await (await _stub(env, tenant, slug)).list_versions(cursor, VERSIONS_PAGE_SIZE)
    names = await display_names(env.DB, [v["author_id"] for v in page["versions"]])
    listed: list[ListedVersion] = [{**v, "author_name": names.get(v["author_id"])} for v in page["versions"]]
    body: VersionList = {"versions": listed, "older_cursor": page["older_cursor"], "newer_cursor": page["newer_cursor"]}
    return json_response(body, headers=_PRIVATE)


async def get_version(request: Request, env: Env, ctx: ExecutionContext, slug: str, version: str) -> Response:
    _, tenant, _ = await open_writer_visit(request, env, ctx)
    number = int(version)  # the path rule admits digits only
    reply = await (await _stub(env, tenant, slug)).get_version(number)
    if reply["outcome"] == "unavailable":
        raise _unavailable()
    if reply["outcome"] != "found":
        raise _no_version(slug, number)
    found, current = reply["version"], reply["current"]
    body: VersionCompared = {
        "version": found, "current_version": current["version"], "diff": line_diff(found["markdown"], current["markdown"]),
    }
    return json_response(body, headers=_PRIVATE)


async def restore_version(request: Request, env: Env, ctx: ExecutionContext, slug: str, version: str) -> Response:
    visit, tenant, claims = await open_writer_visit(request, env, ctx)
    number = int(version)
    reply = await (await _stub(env, tenant, slug)).get_version(number)
    if reply["outcome"] == "unavailable":
        raise _unavailable()
    if reply["outcome"] != "found":
        raise _no_version(slug, number)
    post = await post_writes.update_existing(env, visit.settings, tenant, slug, {"markdown": reply["version"]["markdown"]}, claims.sub)
    body = {"post": post.model_dump(), "version": post.content_version, "restored_from": number}
    return json_response(body, headers=_PRIVATE)
