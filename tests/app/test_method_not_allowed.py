"""A 405 names what the route accepts: ``Allow`` (RFC 9110 §15.5.6), HEAD wherever GET is,
for every route of the router's table, over HTTP."""

from __future__ import annotations

import re

import pytest

from grove.app import router

pytestmark = pytest.mark.usefixtures("tenants")

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
ROUTES = router.routes()

# Written out, not derived: the table the router must produce.
EXPECTED_ALLOW = {
    "/": "GET, HEAD",
    "/blog": "GET, HEAD",
    "/blog/{slug}": "GET, HEAD",
    "/api/posts": "GET, HEAD, POST",
    "/api/posts/{slug}": "DELETE, GET, HEAD, PUT",
    "/api/posts/{slug}/reactions": "GET, HEAD, POST",
    "/api/posts/{slug}/comments": "GET, HEAD, POST",
    "/api/posts/{slug}/comments/{comment_id}/hide": "POST",
    "/api/posts/{slug}/comments/{comment_id}": "DELETE",
    "/api/posts/{slug}/views": "POST",
    "/api/posts/{slug}/live": "GET, HEAD",
    "/api/posts/{slug}/stats": "GET, HEAD",
    "/api/posts/{slug}/versions": "GET, HEAD",
    "/api/posts/{slug}/versions/{version}": "GET, HEAD",
    "/api/posts/{slug}/versions/{version}/restore": "POST",
    "/api/auth/logout": "POST",
    "/api/drafts": "GET, HEAD",
    "/api/drafts/{slug}": "DELETE, GET, HEAD, PUT",
    "/api/drafts/{slug}/publish": "POST",
    "/api/analytics": "POST",
    "/api/analytics/summary": "GET, HEAD",
    "/api/config": "PUT",
    "/admin/editor/{slug}": "GET, HEAD",
    "/admin": "GET, HEAD",
    "/admin/analytics": "GET, HEAD",
    "/admin/account": "GET, HEAD",
    "/admin/settings": "GET, HEAD",
    "/static/{name}": "GET, HEAD",
    "/api/openapi.json": "GET, HEAD",
    "/api/auth/email-link": "POST",
    "/auth/callback": "GET, HEAD",
    "/api/auth/logout-everywhere": "POST",
    "/api/me": "GET, HEAD, PATCH",
    "/auth/sign-in": "GET, HEAD, POST",
    "/auth/sign-out": "POST",
    "/auth/handoff": "GET, HEAD",
    "/auth/handoff/accept": "GET, HEAD",
    "/api/blogs": "POST",
    "/api/members/invites": "POST",
    "/api/members": "GET, HEAD",
    "/api/members/{user_id}": "DELETE",
    "/api/tokens": "GET, HEAD, POST",
    "/api/tokens/{id}": "DELETE",
    "/api/meadow/follows/{author_id}": "DELETE, GET, HEAD, POST",
    "/api/meadow/follows": "GET, HEAD",
    "/api/meadow/feed": "GET, HEAD",
    "/api/meadow/trending": "GET, HEAD",
    "/api/meadow/reactions/{post_id}": "POST",
    "/tags/{tag}": "GET, HEAD",
    "/feed.xml": "GET, HEAD",
    "/atom.xml": "GET, HEAD",
    "/rss.xml": "GET, HEAD",
    "/tags/{tag}/feed.xml": "GET, HEAD",
    "/tags/{tag}/rss.xml": "GET, HEAD",
    "/sitemap.xml": "GET, HEAD",
    "/sitemap-{number}.xml": "GET, HEAD",
    "/robots.txt": "GET, HEAD",
    "/favicon.svg": "GET, HEAD",
    "/favicon.ico": "GET, HEAD",
}


def test_every_route_is_listed():
    assert {route.path for route in ROUTES} == set(EXPECTED_ALLOW)


@pytest.mark.parametrize("route", ROUTES, ids=[route.path for route in ROUTES])
async def test_a_405_carries_allow(client, auth, route):
    path = re.sub(r"\{[a-z_]+\}", "some-slug", route.path).replace("/static/some-slug", "/static/a.0123456789abcdef.css")
    allowed = EXPECTED_ALLOW[route.path]
    refused = [m for m in METHODS if m not in allowed.split(", ")]
    assert refused
    for method in refused:
        reply = await client.request(method, path, headers=auth())
        assert reply.status_code == 405, (method, path, reply.text)
        assert reply.headers["allow"] == allowed, (method, path)
        if method != "HEAD":  # a HEAD answer has no body
            assert reply.json()["error"]["code"] == "method_not_allowed"
        assert reply.headers["cache-control"] == "private, no-store"


async def test_allowed_methods_are_not_405(client):
    assert (await client.head("/blog")).status_code == 200
    assert "allow" not in (await client.get("/blog")).headers
