"""Blogs, members, invites and personal API tokens over HTTP; roles come from memberships, so
removing one takes effect on the next request; the production email sender against a local
stand-in of the email API."""

from __future__ import annotations

import pytest
from sign_in_helpers import session_of

pytestmark = pytest.mark.usefixtures("tenants")

AUTUMN = "http://autumn.localhost:8787"
WILLOW = "http://willow.localhost:8787"
NEW_POST = {"title": "By Invitation", "markdown": "hi", "status": "published"}


def _as(session: str) -> dict[str, str]:
    return {"cookie": f"grove_session={session}", "sec-fetch-site": "same-origin"}


def _code(reply) -> str:
    return reply.json()["error"]["code"]


async def _handoff(client, session: str, to: str) -> str:
    """The session moved to host ``to`` by a hand-off; returns the cookie there."""
    sent = await client.get(f"/auth/handoff?to={to}", headers={"cookie": f"grove_session={session}"})
    accepted = await client.get(sent.headers["location"])
    client.cookies.clear()
    return session_of(accepted)


async def test_an_author_invited_to_autumn_cannot_write_to_willow(client, auth, sign_in):
    invited = await client.post("/api/members/invites", json={"email": "Bea@Example.com", "role": "author"}, headers=auth())
    assert invited.status_code == 202 and invited.json()["invited"] == "bea@example.com"
    bea = await sign_in("bea@example.com")  # the first sign-in turns the invite into a membership
    me = (await client.get("/api/me", headers=_as(bea))).json()
    assert me["memberships"] == [{"tenant": "autumn", "role": "author", "display_name": "Autumn's Grove"}]
    assert me["role_here"] == "author"
    written = await client.post("/api/posts", json=NEW_POST, headers=_as(bea))
    assert written.status_code == 201, written.text
    assert written.json()["author_id"] == me["user"]["id"]
    assert (await client.put("/api/config", json={"display_name": "Mine"}, headers=_as(bea))).status_code == 403
    on_willow = await _handoff(client, bea, "willow.localhost:8787")
    refused = await client.post(f"{WILLOW}/api/posts", json=NEW_POST, headers=_as(on_willow))
    assert refused.status_code == 403 and _code(refused) == "insufficient_role"
    # Her API token for autumn is no key to willow either.
    token = (await client.post("/api/tokens", json={"label": "script"}, headers=_as(bea))).json()["token"]
    refused = await client.post(f"{WILLOW}/api/posts", json=NEW_POST, headers={"authorization": f"Bearer {token}"})
    assert refused.status_code == 403 and _code(refused) == "wrong_tenant"


async def test_removing_a_membership_takes_effect_on_the_next_request(client, auth, sign_in):
    await client.post("/api/members/invites", json={"email": "cy@example.com", "role": "author"}, headers=auth())
    cy = await sign_in("cy@example.com")
    token = (await client.post("/api/tokens", json={}, headers=_as(cy))).json()["token"]
    bearer = {"authorization": f"Bearer {token}"}
    assert (await client.post("/api/posts", json=NEW_POST, headers=bearer)).status_code == 201
    members = (await client.get("/api/members", headers=auth())).json()["members"]
    cy_id = next(m["user_id"] for m in members if m["email"] == "cy@example.com")
    assert {m["role"] for m in members} == {"owner", "author"}
    removed = await client.delete(f"/api/members/{cy_id}", headers=auth())
    assert removed.status_code == 200 and removed.json() == {"removed": cy_id, "role": "author"}
    for headers in (bearer, _as(cy)):
        refused = await client.post("/api/posts", json={**NEW_POST, "title": "After"}, headers=headers)
        assert refused.status_code == 403 and _code(refused) == "insufficient_role"
    assert (await client.delete(f"/api/members/{cy_id}", headers=auth())).status_code == 404


async def test_the_last_owner_stays(client, auth, mint):
    members = (await client.get("/api/members", headers=auth())).json()["members"]
    (owner,) = members
    reply = await client.delete(f"/api/members/{owner['user_id']}", headers=auth())
    assert reply.status_code == 409 and _code(reply) == "last_owner"


async def test_a_signed_in_user_starts_a_blog(client, sign_in):
    dana = await sign_in("dana@example.com")
    created = await client.post("/api/blogs", json={"subdomain": "Birch", "display_name": "Birch Log"}, headers=_as(dana))
    assert created.status_code == 201, created.text
    assert created.json() == {"subdomain": "birch", "display_name": "Birch Log", "url": "http://birch.localhost:8787/", "role": "owner"}
    me = (await client.get("/api/me", headers=_as(dana))).json()
    assert me["memberships"] == [{"tenant": "birch", "role": "owner", "display_name": "Birch Log"}]
    assert (await client.get("http://birch.localhost:8787/", headers={"accept": "text/html"})).status_code == 200
    taken = await client.post("/api/blogs", json={"subdomain": "autumn", "display_name": "Mine Now"}, headers=_as(dana))
    assert taken.status_code == 409 and _code(taken) == "subdomain_taken"
    # Claiming a taken name made nobody its owner.
    assert [m["tenant"] for m in (await client.get("/api/me", headers=_as(dana))).json()["memberships"]] == ["birch"]
    for name in ("www", "meadow", "admin", "api", "static", "auth"):
        reserved = await client.post("/api/blogs", json={"subdomain": name, "display_name": "x"}, headers=_as(dana))
        assert reserved.status_code == 409 and _code(reserved) == "subdomain_reserved", name
    for name in ("bad_name", "-dash", "a" * 64, "ü", "a.b", ""):
        invalid = await client.post("/api/blogs", json={"subdomain": name, "display_name": "x"}, headers=_as(dana))
        assert invalid.status_code == 422, name
    assert (await client.post("/api/blogs", json={"subdomain": "anon", "display_name": "x"})).status_code == 401


async def test_personal_api_tokens(client, auth, sign_in):
    created = await client.post("/api/tokens", json={"label": "deploy", "ttl_s": 3600}, headers=auth())
    assert created.status_code == 201
    body = created.json()
    assert body["role"] == "owner" and body["tenant"] == "autumn" and body["label"] == "deploy"
    bearer = {"authorization": f"Bearer {body['token']}"}
    assert (await client.post("/api/posts", json=NEW_POST, headers=bearer)).status_code == 201
    listed = (await client.get("/api/tokens", headers=auth())).json()["tokens"]
    assert [t["id"] for t in listed] == [body["id"]] and "token" not in listed[0]
    assert (await client.delete(f"/api/tokens/{body['id']}", headers=auth())).status_code == 200
    refused = await client.post("/api/posts", json=NEW_POST, headers=bearer)
    assert refused.status_code == 401 and _code(refused) == "token_revoked"
    # An author's token is at most author; a reader gets none.
    author = await client.post("/api/tokens", json={"role": "owner"}, headers=auth(role="author", user="eve"))
    assert author.status_code == 403
    assert (await client.post("/api/tokens", json={}, headers=auth(role="reader", user="rita"))).status_code == 403
    # Someone else's token id is not found, not revoked.
    other = (await client.post("/api/tokens", json={}, headers=auth(role="author", user="eve"))).json()
    assert (await client.delete(f"/api/tokens/{other['id']}", headers=auth())).status_code == 404


async def test_display_names_for_bylines(client, platform, sign_in):
    from grove.accounts import display_names

    await sign_in("fay@example.com")
    db = platform.runtime.d1()
    row = await db.prepare("SELECT id FROM users WHERE email = 'fay@example.com'").first()
    assert await display_names(db, [row["id"], "no-such-user", row["id"]]) == {row["id"]: "fay"}
    assert await display_names(db, []) == {}


class TestThroughTheEmailApi:
    @pytest.fixture
    def platform_secrets(self, platform_secrets, email_api) -> dict[str, str]:
        return email_api.secrets(platform_secrets)

    async def test_the_request_has_the_providers_shape(self, client, email_api):
        reply = await client.post("/api/auth/email-link", json={"email": "gil@example.com", "next": "/admin"})
        assert reply.status_code == 202
        (sent,) = email_api.requests
        assert sent["path"] == "/emails"
        assert sent["headers"]["authorization"] == "Bearer re_test_key"
        assert sent["headers"]["content-type"] == "application/json"
        mail = sent["json"]
        assert set(mail) == {"from", "to", "subject", "text", "html"}
        assert mail["from"] == "Grove <hi@grove.test>" and mail["to"] == ["gil@example.com"]
        assert f"{AUTUMN}/auth/callback?token=" in mail["text"]
        assert (await client.get("/__outbox")).json()["messages"] == []  # the key is set: no outbox
        link = mail["text"].split()[[w.startswith("http") for w in mail["text"].split()].index(True)]
        assert (await client.get(link)).status_code == 303
        client.cookies.clear()

    async def test_a_refused_send_is_a_503_with_retry_after(self, client, email_api, caplog):
        email_api.fail_with = 500
        reply = await client.post("/api/auth/email-link", json={"email": "hal@example.com"})
        assert reply.status_code == 503 and _code(reply) == "email_unavailable" and reply.headers["retry-after"]
        assert "token=" not in caplog.text  # the link is never logged


class TestProductionWithoutAKey:
    @pytest.fixture
    def platform_secrets(self, platform_secrets) -> dict[str, str]:
        return {**platform_secrets, "ENVIRONMENT": "production"}

    async def test_no_outbox_in_production(self, client):
        reply = await client.post("/api/auth/email-link", json={"email": "ida@example.com"})
        assert reply.status_code == 500 and _code(reply) == "email_not_configured"
        assert (await client.get("/__outbox")).json()["messages"] == []
