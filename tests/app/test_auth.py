"""Bearer tokens over HTTP: who may write, what a bad token gets, logout, credentialed reads."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("tenants")

NEW_POST = {"title": "Hello", "markdown": "hi", "status": "published"}


async def test_writes_need_a_token(client):
    reply = await client.post("/api/posts", json=NEW_POST)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "missing_token"
    assert reply.headers["www-authenticate"] == "Bearer"
    assert reply.headers["cache-control"] == "private, no-store"


@pytest.mark.parametrize("role", ["owner", "author"])
async def test_owners_and_authors_write(client, auth, role):
    assert (await client.post("/api/posts", json=NEW_POST, headers=auth(role=role))).status_code == 201


async def test_readers_cannot_write(client, auth):
    reply = await client.post("/api/posts", json=NEW_POST, headers=auth(role="reader"))
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "insufficient_role"


async def test_a_token_for_another_tenant_is_403(client, auth, create_post):
    await create_post("Mine")
    for method, path in (("POST", "/api/posts"), ("PUT", "/api/posts/mine"), ("DELETE", "/api/posts/mine")):
        reply = await client.request(method, path, json=NEW_POST if method != "DELETE" else None, headers=auth("willow"))
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "wrong_tenant", (method, reply.text)


async def test_bad_signature_is_401(client, mint):
    token = mint()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    reply = await client.post("/api/posts", json=NEW_POST, headers={"authorization": f"Bearer {forged}"})
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "invalid_token"


async def test_not_a_bearer_token_is_401(client, mint):
    reply = await client.post("/api/posts", json=NEW_POST, headers={"authorization": f"Basic {mint()}"})
    assert reply.status_code == 401


async def test_expired_token_is_401(client, auth, clock):
    headers = auth(ttl_s=60)
    clock.advance(60_000)
    reply = await client.post("/api/posts", json=NEW_POST, headers=headers)
    assert reply.status_code == 401 and reply.json()["error"]["code"] == "token_expired"


async def test_logout_revokes_the_token_until_it_expires(client, auth, platform, clock):
    headers = auth(ttl_s=3600)
    reply = await client.post("/api/auth/logout", headers=headers)
    assert reply.status_code == 200 and reply.json()["revoked"] is True
    jti = reply.json()["jti"]
    refused = await client.post("/api/posts", json=NEW_POST, headers=headers)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    # The revocation is a row in D1 (strongly consistent), kept as long as the token would live.
    row = await platform.runtime.d1().prepare("SELECT * FROM credentials WHERE id = ?1").bind(jti).first()
    assert row["revoked_at_ms"] == clock.now_ms() and row["expires_at_ms"] == clock.now_ms() + 3600_000
    assert reply.json()["until_s"] == clock.now_ms() // 1000 + 3600
    # Other tokens of the same user still work.
    assert (await client.post("/api/posts", json=NEW_POST, headers=auth())).status_code == 201


async def test_logout_without_a_token_is_401(client):
    assert (await client.post("/api/auth/logout")).status_code == 401


async def test_credentialed_reads_are_private_and_writers_see_drafts(create_post, read, auth):
    await create_post("Secret Draft", "shh", status="draft")
    await create_post("Public Post", "hello")
    draft = await read("/api/posts/secret-draft", headers=auth())
    assert draft.status_code == 200 and draft.headers["cache-control"] == "private, no-store"
    assert draft.json()["markdown"] == "shh" and draft.json()["status"] == "draft"
    page = await read("/blog/secret-draft", headers=auth())
    assert page.status_code == 200 and "This post is draft." in page.text
    as_reader = await read("/blog/public-post", headers=auth(role="reader"))
    assert as_reader.status_code == 200 and as_reader.headers["cache-control"] == "private, no-store"
    assert "cdn-cache-control" not in as_reader.headers and "cache-tag" not in as_reader.headers
    assert (await read("/blog/secret-draft", headers=auth(role="reader"))).status_code == 404
    assert (await read("/blog/secret-draft", headers=auth("willow"))).status_code == 404


async def test_a_bad_token_on_a_read_is_401_not_the_public_page(create_post, read):
    await create_post("Anything")
    reply = await read("/blog/anything", headers={"authorization": "Bearer nope"})
    assert reply.status_code == 401
