"""Concrete requests for every operation in the router's table, for the security tests: the
path with its parameters filled, and a valid body for its request model. A route whose
parameter or request model has no sample here fails those tests until one is added, so a new
route cannot skip them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grove.analytics import EventsBody
from grove.app import router
from grove.engagement import CommentCreate, ReactionToggle
from grove.models import (
    BlogCreate,
    ConfigUpdate,
    DraftPublish,
    DraftPut,
    EmailLinkRequest,
    InviteCreate,
    PostCreate,
    PostUpdate,
    ProfileUpdate,
    TokenCreate,
)
from grove.pages import assets
from grove.router import Operation


@dataclass(frozen=True)
class Call:
    method: str
    route: str  # the pattern, as the table has it
    path: str  # with its parameters filled
    operation: Operation
    body: object

    @property
    def id(self) -> str:
        return f"{self.method} {self.route}"


# The tag of the security tests' published post (tests/security/conftest.py), so tag pages and
# tag feeds have something to show.
SAMPLE_TAG = "dawn"

_NONCE = re.compile(rb'nonce="[^"]*"')


def same_for_all(body: bytes) -> bytes:
    """A body with what differs by design on every response (CSP nonces) blanked."""
    return _NONCE.sub(b'nonce=""', body)


def sample_params(post_slug: str) -> dict[str, str]:
    return {
        "slug": post_slug, "name": assets.ASSETS.url("reader.css").rsplit("/", 1)[1],
        # autumn's owner (the victim of the isolation tests) and a token id that exists nowhere
        "user_id": "ada", "id": "no-such-token", "author_id": "ada", "post_id": "no-such-post",
        "comment_id": "0" * 32,  # no such comment: the routes answer 404 after their checks
        "tag": SAMPLE_TAG, "number": "1",
        "version": "1",  # the post's first content version: restoring it is a real write
    }


def sample_body(model: object, now_ms: int) -> object:
    bodies: dict[object, object] = {
        PostCreate: {"title": "Planted Elsewhere", "markdown": "x", "status": "published"},
        PostUpdate: {"title": "Rewritten Elsewhere"},
        DraftPut: {"content": "overwritten", "device_id": "intruder"},
        DraftPublish: {},
        ConfigUpdate: {"display_name": "Taken Over"},
        EventsBody: {"type": "page_view", "path": "/", "ts_ms": now_ms},
        EmailLinkRequest: {"email": "intruder@example.com", "next": "/"},
        BlogCreate: {"subdomain": "intruders", "display_name": "Intruders"},
        InviteCreate: {"email": "accomplice@example.com", "role": "owner"},
        TokenCreate: {"label": "stolen"},
        ProfileUpdate: {"display_name": "Renamed Elsewhere"},
        ReactionToggle: {"type": "like"},
        CommentCreate: {"markdown": "Planted *elsewhere*."},
    }
    return bodies[model] if model is not None else None


# Query strings some routes need to do anything at all.
SAMPLE_QUERIES = {"/auth/handoff": "?to=willow.localhost:8787&next=/", "/auth/callback": "?token=" + "A" * 43}


def calls(post_slug: str, now_ms: int) -> list[Call]:
    params = sample_params(post_slug)
    found: list[Call] = []
    for route in router.routes():
        path = re.sub(r"\{([a-z_]+)\}", lambda m: params[m.group(1)], route.path) + SAMPLE_QUERIES.get(route.path, "")
        for method, op in sorted(route.operations.items()):
            found.append(Call(method, route.path, path, op, sample_body(op.request, now_ms)))
    return found


def operation_ids() -> list[str]:
    return [f"{method} {route.path}" for route in router.routes() for method in sorted(route.operations)]
