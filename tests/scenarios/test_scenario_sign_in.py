"""Sign-in by emailed link in both lanes: the link is read from the dev outbox (a D1 table,
``grove.mailer``) through the Worker's own D1 binding, opened once, and the session cookie
it sets works, is refused after sign-out everywhere, and the link cannot be used twice.
This crosses the SDK's header conversion (several Set-Cookie fields on one response)."""

from __future__ import annotations

import json
import re

from scenario_seed import add_tenant

LINK = re.compile(r"/auth/callback\?token=[A-Za-z0-9_-]+")
SESSION = re.compile(r"grove_session=([A-Za-z0-9_.-]+)")


async def test_sign_in_through_the_outbox(edge):
    await add_tenant(edge.env.DB, "autumn", display_name="Autumn")
    asked = await edge.fetch(
        "POST", edge.url("autumn", "/api/auth/email-link"),
        headers={"content-type": "application/json", "cf-connecting-ip": "198.51.100.1"},
        body=json.dumps({"email": "Lane@Example.com", "next": "/admin"}),
    )
    assert asked.status == 202, asked.text()
    mail = await edge.env.DB.prepare("SELECT to_email, text_body FROM dev_outbox").first()
    assert mail["to_email"] == "lane@example.com"
    path = LINK.search(mail["text_body"]).group(0)
    opened = await edge.fetch("GET", edge.url("autumn", path))
    assert opened.status == 303 and opened.headers["location"] == "/admin", opened.text()
    cookies = opened.headers["set-cookie"]
    assert "HttpOnly" in cookies and "grove_signed_in=1" in cookies  # both fields survived
    cookie = {"cookie": f"grove_session={SESSION.search(cookies).group(1)}"}
    me = await edge.fetch("GET", edge.url("autumn", "/api/me"), headers=cookie)
    assert me.status == 200 and me.json()["user"]["email"] == "lane@example.com", me.text()
    again = await edge.fetch("GET", edge.url("autumn", path))
    assert again.status == 410 and again.json()["error"]["code"] == "link_used"
    cross = await edge.fetch("POST", edge.url("autumn", "/api/auth/logout-everywhere"), headers={**cookie, "sec-fetch-site": "cross-site"})
    assert cross.status == 403
    out = await edge.fetch("POST", edge.url("autumn", "/api/auth/logout-everywhere"), headers={**cookie, "sec-fetch-site": "same-origin"})
    assert out.status == 200 and out.json() == {"revoked_sessions": 1}
    assert (await edge.fetch("GET", edge.url("autumn", "/api/me"), headers=cookie)).status == 401
