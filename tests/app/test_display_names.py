"""Display names everywhere a reader sees an author: the byline, share previews (OpenGraph
``article:author``, JSON-LD), the Atom and RSS feeds, and comments; carried in the post and feed
data that is already read from D1 and cached, so a cached view reads no name, and a name change
(``PATCH /api/me``) retires every copy that showed the old one."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

pytestmark = pytest.mark.usefixtures("tenants")

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _share_author(page: str) -> tuple[str, str]:
    meta = page.split('property="article:author" content="', 1)[1].split('"', 1)[0]
    block = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    return meta, json.loads(block)["author"]["name"]


def _feed_authors(atom: str, rss: str) -> tuple[list[str], list[str]]:
    atom_names = [e.findtext(f"{ATOM}author/{ATOM}name") for e in ET.fromstring(atom).iter(f"{ATOM}entry")]
    rss_names = [i.findtext(f"{DC}creator") for i in ET.fromstring(rss).iter("item")]
    return atom_names, rss_names


async def _rename(client, headers, name: str):
    return await client.patch("/api/me", json={"display_name": name}, headers=headers)


async def test_pages_and_feeds_show_the_display_name_and_a_rename_retires_every_copy(create_post, read, client, auth, d1_queries):
    ada = auth()
    assert (await _rename(client, ada, "Ada Hart")).json()["changed"] is True
    await create_post("Bean Rows", slug="bean-rows")
    page = (await read("/blog/bean-rows")).text
    assert '<span class="author">Ada Hart</span>' in page
    assert _share_author(page) == ("Ada Hart", "Ada Hart")
    assert _feed_authors((await read("/feed.xml")).text, (await read("/rss.xml")).text) == (["Ada Hart"], ["Ada Hart"])
    api_post = (await read("/api/posts/bean-rows")).json()
    assert api_post["author_name"] == "Ada Hart" and api_post["author_id"]

    # Cached views read no name: the name came with the post (and feed) data.
    before = d1_queries()
    for path in ("/blog/bean-rows", "/feed.xml", "/rss.xml"):
        assert (await read(path)).status_code == 200
    assert d1_queries() == before

    renamed = await _rename(client, ada, "  Ada Hart-Lind  ")
    assert renamed.status_code == 200 and renamed.json()["user"]["display_name"] == "Ada Hart-Lind"
    assert renamed.headers["cache-control"] == "private, no-store"
    page = (await read("/blog/bean-rows")).text
    assert '<span class="author">Ada Hart-Lind</span>' in page and "Ada Hart<" not in page
    assert _share_author(page) == ("Ada Hart-Lind", "Ada Hart-Lind")
    assert (await read("/api/posts/bean-rows")).json()["author_name"] == "Ada Hart-Lind"
    atom, rss = (await read("/feed.xml")).text, (await read("/rss.xml")).text
    assert _feed_authors(atom, rss) == (["Ada Hart-Lind"], ["Ada Hart-Lind"])

    # The same name again changes nothing and retires nothing.
    before = d1_queries()
    again = await _rename(client, ada, "Ada Hart-Lind")
    assert again.json()["changed"] is False
    assert (await read("/blog/bean-rows")).status_code == 200
    assert d1_queries() - before <= 2  # the credential check and the no-op UPDATE; the page is still cached


async def test_comments_carry_their_authors_names(create_post, client, auth):
    await create_post("Open Thread", slug="open-thread")
    bea = auth(role="reader", user="bea")
    await _rename(client, bea, "Bea Lind")
    made = await client.post("/api/posts/open-thread/comments", json={"markdown": "Lovely *beans*."}, headers=bea)
    assert made.status_code == 201 and made.json()["comment"]["author_name"] == "Bea Lind"
    listed = (await client.get("/api/posts/open-thread/comments")).json()["comments"]
    assert [c["author_name"] for c in listed] == ["Bea Lind"]
    await _rename(client, bea, "Beatrice Lind")  # comments are never cached: the name now
    listed = (await client.get("/api/posts/open-thread/comments")).json()["comments"]
    assert [c["author_name"] for c in listed] == ["Beatrice Lind"]
    deleted = await client.delete(f"/api/posts/open-thread/comments/{listed[0]['id']}", headers=bea)
    assert deleted.json()["comment"]["author_name"] == "Beatrice Lind"


async def test_renaming_needs_a_signed_in_account_a_name_and_the_sites_own_page(client, auth, sign_in):
    assert (await client.patch("/api/me", json={"display_name": "Nobody"})).status_code == 401
    hostile = ({"display_name": "Ada\u202eeta"}, {"display_name": "Ada\u2066x"}, {"display_name": "Ada\nLovelace"}, {"display_name": "\u200fAda"})
    for body in ({"display_name": "   "}, {"display_name": "x" * 101}, {}, {"display_name": "Ok", "email": "a@b.c"}, *hostile):
        reply = await client.patch("/api/me", json=body, headers=auth())
        assert reply.status_code == 422, body
        assert reply.json()["error"]["code"] == "validation_error"
    cookie = await sign_in("bea@example.com")
    forged = await client.patch(
        "http://autumn.localhost:8787/api/me", json={"display_name": "Mallory"},
        headers={"cookie": f"grove_session={cookie}", "sec-fetch-site": "cross-site"},
    )
    assert forged.status_code == 403 and forged.json()["error"]["code"] == "csrf_refused"
    own = await client.patch(
        "http://autumn.localhost:8787/api/me", json={"display_name": "Bea Lind"},
        headers={"cookie": f"grove_session={cookie}", "sec-fetch-site": "same-origin"},
    )
    assert own.status_code == 200 and own.json()["user"] == {**own.json()["user"], "display_name": "Bea Lind"}
    me = await client.get("http://autumn.localhost:8787/api/me", headers={"cookie": f"grove_session={cookie}"})
    assert me.json()["user"]["display_name"] == "Bea Lind"
