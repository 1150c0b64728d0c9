"""Sign-in by emailed link over HTTP, through the dev outbox (``/__outbox``): the session
cookie, single use (also under concurrency), expiry on the injectable clock, CSRF, sign out
(everywhere), host hand-off, and public pages that ignore cookies."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from sign_in_helpers import LINK, session_of

from grove.auth_policy import SIGN_IN_LINK_TTL_S

pytestmark = pytest.mark.usefixtures("tenants")

AUTUMN = "http://autumn.localhost:8787"
WILLOW = "http://willow.localhost:8787"
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def _cookie(value: str) -> dict[str, str]:
    return {"cookie": f"grove_session={value}"}


def _code(reply) -> str:
    return reply.json()["error"]["code"]


async def _ask(client, email: str, *, next_path: str = "/", ip: str = "198.51.100.7", base: str = AUTUMN):
    return await client.post(f"{base}/api/auth/email-link", json={"email": email, "next": next_path}, headers={"cf-connecting-ip": ip})


async def test_the_whole_flow_through_the_dev_outbox(client, outbox_link):
    asked = await _ask(client, "New.Person@Example.com", next_path="/admin")
    assert asked.status_code == 202 and asked.json()["accepted"] is True
    (mail,) = (await client.get("/__outbox")).json()["messages"]
    assert mail["to_email"] == "new.person@example.com"  # case-folded: one account per person
    assert "Autumn's Grove" in mail["subject"]
    link = await outbox_link("new.person@example.com")
    assert link.startswith(f"{AUTUMN}/auth/callback?token=") and link in mail["html_body"]
    opened = await client.get(link)
    client.cookies.clear()
    assert opened.status_code == 303 and opened.headers["location"] == "/admin"
    assert opened.headers["cache-control"] == "private, no-store"
    cookies = opened.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("grove_session="))
    attributes = {part.strip().split("=")[0].lower() for part in session.split(";")[1:]}
    assert {"httponly", "path", "samesite", "max-age"} <= attributes
    assert "domain" not in attributes and "secure" not in attributes  # host-only; http on localhost
    assert "SameSite=Lax" in session and "Path=/" in session
    me = await client.get("/api/me", headers=_cookie(session_of(opened)))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["user"]["email"] == "new.person@example.com" and body["user"]["display_name"] == "new.person"
    assert body["memberships"] == [] and body["role_here"] == "reader" and body["via"] == "cookie"
    assert me.headers["cache-control"] == "private, no-store"
    assert "cookie" in me.headers["vary"].lower() and "authorization" in me.headers["vary"].lower()


async def test_the_same_address_signs_in_to_the_same_account(sign_in, client):
    first = await sign_in("ivy@example.com")
    second = await sign_in("IVY@example.com")
    ids = [(await client.get("/api/me", headers=_cookie(c))).json()["user"]["id"] for c in (first, second)]
    assert ids[0] == ids[1]


async def test_an_unknown_address_gets_the_same_202(client):
    replies = [await _ask(client, email) for email in ("nobody-yet@example.com", "also-new@example.org")]
    assert {r.status_code for r in replies} == {202} and replies[0].content == replies[1].content


async def test_a_link_works_once(client, outbox_link):
    await _ask(client, "once@example.com")
    link = await outbox_link("once@example.com")
    assert (await client.head(link)).status_code == 200  # a mail scanner's probe uses nothing up
    assert (await client.get(link)).status_code == 303
    client.cookies.clear()
    again = await client.get(link)
    assert again.status_code == 410 and _code(again) == "link_used"
    assert "set-cookie" not in again.headers
    page = await client.get(link, headers={"accept": "text/html"})
    assert page.status_code == 410 and page.headers["content-type"].startswith("text/html")
    assert "already been used" in page.text


async def test_an_expired_link_is_refused(client, outbox_link, clock):
    await _ask(client, "late@example.com")
    link = await outbox_link("late@example.com")
    clock.advance(SIGN_IN_LINK_TTL_S * 1000)
    reply = await client.get(link)
    assert reply.status_code == 410 and _code(reply) == "link_expired"


async def test_two_concurrent_uses_exactly_one_wins(client, outbox_link):
    await _ask(client, "race@example.com")
    link = await outbox_link("race@example.com")
    replies = await asyncio.gather(*(client.get(link) for _ in range(2)))
    client.cookies.clear()
    assert sorted(r.status_code for r in replies) == [303, 410]


async def test_cross_site_writes_with_the_cookie_are_refused(sign_in, client):
    session = await sign_in("csrf@example.com")
    for hostile in ({"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}, {"origin": "https://evil.example"}, {}):
        reply = await client.post("/api/auth/logout", headers={**_cookie(session), **hostile})
        assert reply.status_code == 403 and _code(reply) == "csrf_refused", hostile
    assert (await client.get("/api/me", headers=_cookie(session))).status_code == 200  # still signed in
    same = await client.post("/api/auth/logout", headers={**_cookie(session), "origin": AUTUMN})
    assert same.status_code == 200
    assert (await client.get("/api/me", headers=_cookie(session))).status_code == 401


async def test_sign_out_everywhere_ends_every_session_on_every_host(sign_in, client):
    laptop = await sign_in("everywhere@example.com", ip="198.51.100.8")
    phone = await sign_in("everywhere@example.com", ip="198.51.100.9")
    on_willow = await sign_in("everywhere@example.com", host="willow.localhost:8787", ip="198.51.100.10")
    for cookie, base in ((laptop, AUTUMN), (phone, AUTUMN), (on_willow, WILLOW)):
        assert (await client.get(f"{base}/api/me", headers=_cookie(cookie))).status_code == 200
    out = await client.post("/api/auth/logout-everywhere", headers={**_cookie(laptop), **SAME_ORIGIN})
    assert out.status_code == 200 and out.json()["revoked_sessions"] == 3
    for cookie, base in ((laptop, AUTUMN), (phone, AUTUMN), (on_willow, WILLOW)):
        refused = await client.get(f"{base}/api/me", headers=_cookie(cookie))
        assert refused.status_code == 401 and _code(refused) == "token_revoked"
        assert refused.headers["set-cookie"].startswith("grove_session=;")  # the stale cookie is cleared


async def test_a_session_is_bound_to_its_host(sign_in, client):
    session = await sign_in("bound@example.com")
    reply = await client.get(f"{WILLOW}/api/me", headers=_cookie(session))
    assert reply.status_code == 401 and _code(reply) == "invalid_session"


async def test_host_hand_off_is_single_use_and_bound_to_the_target(sign_in, client):
    session = await sign_in("travel@example.com")
    sent = await client.get("/auth/handoff?to=willow.localhost:8787&next=/admin", headers=_cookie(session))
    assert sent.status_code == 303
    target = urlsplit(sent.headers["location"])
    assert f"{target.scheme}://{target.netloc}" == WILLOW and target.path == "/auth/handoff/accept"
    elsewhere = await client.get(f"{AUTUMN}/auth/handoff/accept?{target.query}")
    assert elsewhere.status_code == 400 and _code(elsewhere) == "invalid_link"  # bound to willow
    accepted = await client.get(sent.headers["location"])
    client.cookies.clear()
    assert accepted.status_code == 303 and accepted.headers["location"] == "/admin"
    me = await client.get(f"{WILLOW}/api/me", headers=_cookie(session_of(accepted)))
    assert me.status_code == 200 and me.json()["user"]["email"] == "travel@example.com"
    again = await client.get(sent.headers["location"])
    assert again.status_code == 410 and _code(again) == "link_used"
    for hostile in ("evil.example", "autumn.localhost.evil.example", "a.b.localhost", "%0d%0a"):
        refused = await client.get(f"/auth/handoff?to={hostile}", headers=_cookie(session))
        assert refused.status_code == 400 and _code(refused) == "invalid_host", hostile
    assert (await client.get("/auth/handoff?to=willow.localhost:8787")).status_code == 401


async def test_public_pages_are_byte_identical_signed_in_and_out(sign_in, client, create_post, read):
    await create_post("Same For All", "Everyone reads *this*.")
    session = await sign_in("reader@example.com")
    owner_session = await sign_in("owner-reader@example.com")
    for path in ("/", "/blog", "/blog/same-for-all", "/api/posts", "/api/posts/same-for-all"):
        anonymous = await read(path)
        for cookie in (session, owner_session, "garbage", "a.b.c", "x" * 5000):
            signed = await read(path, headers=_cookie(cookie))
            assert signed.status_code == 200, (path, cookie[:20])
            assert signed.content == anonymous.content, path
            assert signed.headers["cache-control"] == anonymous.headers["cache-control"]
            assert signed.headers["cache-control"].startswith("public")
            assert "set-cookie" not in signed.headers


async def test_private_routes_answer_401_to_a_bad_cookie(client):
    for cookie in ("garbage", "a.b.c", "é", "x" * 9000):
        reply = await client.get("/api/me", headers={"cookie": f"grove_session={cookie}".encode()})
        assert reply.status_code == 401, cookie[:20]
    assert (await client.get("/api/me")).status_code == 401


@pytest.mark.parametrize(
    "email",
    ["", "plain", "a@b", "@example.com", "a@@example.com", "a b@example.com", "ä@example.com",
     "a@example.com\r\nBcc: victim@example.com", "<script>@example.com", "a@-example.com", "x" * 250 + "@example.com",
     "a@example.com,b@example.com"],
)
async def test_hostile_emails_are_422(client, email):
    reply = await _ask(client, email)
    assert reply.status_code == 422 and reply.json()["error"]["field"] == "email", reply.text
    assert (await client.get("/__outbox")).json()["messages"] == []


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/%0d%0aSet-Cookie:x=1",
     "/ok\r\nLocation: https://evil.example", "\\\\evil.example", "http:evil.example", "/" + "a" * 3000],
)
async def test_next_never_leaves_the_host(sign_in, client, next_path):
    await _ask(client, "nav@example.com", next_path=next_path) if len(next_path) <= 4000 else None
    messages = (await client.get("/__outbox")).json()["messages"]
    link = LINK.search(messages[0]["text_body"]).group(0)
    opened = await client.get(link)
    client.cookies.clear()
    location = opened.headers["location"]
    assert opened.status_code == 303 and location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "\r" not in location and "\n" not in location
    assert urlsplit(location).netloc == ""


@pytest.mark.parametrize("token", ["", "short", "A" * 42 + "!", "é" * 43, "A" * 10_000, "../../etc/passwd"])
async def test_hostile_link_tokens_are_400(client, token):
    reply = await client.get("/auth/callback", params={"token": token})
    assert reply.status_code == 400 and _code(reply) == "invalid_link"


async def test_a_forged_host_gets_no_link(client):
    reply = await client.post(
        "http://evil.example/api/auth/email-link", json={"email": "victim@example.com"}, headers={"cf-connecting-ip": "198.51.100.20"}
    )
    assert reply.status_code == 400 and _code(reply) == "invalid_host"
    assert (await client.get("/__outbox")).json()["messages"] == []


async def test_links_are_rate_limited_per_address_and_per_email(client):
    for n in range(5):
        assert (await _ask(client, f"flood{n}@example.com", ip="203.0.113.1")).status_code == 202
    refused = await _ask(client, "flood9@example.com", ip="203.0.113.1")
    assert refused.status_code == 429 and refused.json()["error"]["rule"] == "sign_in_link"
    assert int(refused.headers["retry-after"]) > 0
    for n in range(5):  # one address, many clients
        assert (await _ask(client, "target@example.com", ip=f"203.0.113.{10 + n}")).status_code == 202
    refused = await _ask(client, "target@example.com", ip="203.0.113.99")
    assert refused.status_code == 429 and refused.json()["error"]["rule"] == "sign_in_link_email"


async def test_the_sign_in_page_and_form(client):
    page = await client.get("/auth/sign-in?next=/admin", headers={"accept": "text/html"})
    assert page.status_code == 200 and '<form method="post" action="/auth/sign-in"' in page.text
    assert 'name="next" value="/admin"' in page.text and 'name="viewport"' in page.text
    sent = await client.post(
        "/auth/sign-in", data={"email": "form@example.com", "next": "/admin"},
        headers={"accept": "text/html", "cf-connecting-ip": "198.51.100.30"},
    )
    assert sent.status_code == 202 and "Check your email" in sent.text
    assert (await client.get("/__outbox")).json()["messages"][0]["to_email"] == "form@example.com"
    bad = await client.post("/auth/sign-in", data={"email": "nope"}, headers={"accept": "text/html", "cf-connecting-ip": "198.51.100.30"})
    assert bad.status_code == 422 and "does not look like an email address" in bad.text


async def test_the_sign_out_form(sign_in, client):
    session = await sign_in("leaving@example.com")
    page = await client.get("/auth/sign-in", headers={"accept": "text/html", **_cookie(session)})
    assert "leaving@example.com" in page.text and 'action="/auth/sign-out"' in page.text
    out = await client.post("/auth/sign-out", headers={**_cookie(session), "origin": AUTUMN})
    assert out.status_code == 303 and out.headers["location"] == "/auth/sign-in"
    assert (await client.get("/api/me", headers=_cookie(session))).status_code == 401
