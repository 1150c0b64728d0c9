"""Content versions (PostContentDO): every write path makes one, the list is newest first by
keyset, a version compares to the current text and can be restored; writers only, per blog,
CSRF on cookie writes, hostile version numbers; and the write order under faults (a version
is staged before D1, then settled against D1: kept when D1 has it, dropped when not)."""

from __future__ import annotations

import pytest

from grove_dev.demo_content import DemoPost
from grove_dev.seed import post_id_for, seed_posts
from local_runtime.faults import FaultPoint

pytestmark = pytest.mark.usefixtures("tenants")


def cookie_header(session: str) -> dict[str, str]:
    return {"cookie": f"grove_session={session}"}


async def _object(platform, slug: str):
    """The post's live PostContentDO (constructed if needed), to look at its storage."""
    post_id = (await platform.runtime.d1().prepare("SELECT id FROM posts WHERE slug = ?").bind(slug).first())["id"]
    stub = platform.runtime.worker().env.POST_CONTENT.getByName(f"post-content:autumn:{post_id}")
    namespace = platform.runtime.namespaces[("grove-edge", "PostContentDO")]
    return stub, namespace


async def _stored_versions(platform, slug: str) -> list[int]:
    stub, namespace = await _object(platform, slug)
    instance = await namespace.instance_for_test(stub)
    return [r["version"] for r in instance.sql.exec("SELECT version FROM content_versions ORDER BY version").toArray()]


async def _versions(client, auth, slug: str = "beds", **params) -> dict:
    reply = await client.get(f"/api/posts/{slug}/versions", params=params, headers=auth())
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "private, no-store"
    return reply.json()


async def _texts(client, auth, slug: str = "beds") -> list[tuple[int, str]]:
    listed = (await _versions(client, auth, slug))["versions"]
    out = []
    for v in listed:
        one = await client.get(f"/api/posts/{slug}/versions/{v['version']}", headers=auth())
        out.append((v["version"], one.json()["version"]["markdown"]))
    return out


async def _put(client, auth, body: dict, slug: str = "beds", **kw):
    return await client.put(f"/api/posts/{slug}", json=body, headers=auth(**kw))


async def test_every_write_path_makes_a_version(client, auth, create_post, platform):
    created = await create_post("Beds", "one", slug="beds")
    assert created["content_version"] == 1
    assert (await _put(client, auth, {"markdown": "two"})).json()["content_version"] == 2
    # A change that is not the text makes no version.
    assert (await _put(client, auth, {"title": "Raised Beds"})).json()["content_version"] == 2
    # Publishing the draft of an existing post (its text changed) ...
    draft = (await client.get("/api/drafts/beds", headers=auth())).json()
    saved = await client.put("/api/drafts/beds", json={"content": "three", "metadata": {"title": "Raised Beds"}, "device_id": "laptop", "base_version": draft["version"]}, headers=auth())
    assert saved.status_code == 200, saved.text
    published = await client.post("/api/drafts/beds/publish", headers=auth(role="author", user="bea"))
    assert published.status_code == 200 and published.json()["post"]["content_version"] == 3
    # ... and the draft of a new post.
    await client.put("/api/drafts/fresh", json={"content": "new one", "metadata": {"title": "Fresh"}, "device_id": "laptop"}, headers=auth())
    fresh = await client.post("/api/drafts/fresh/publish", headers=auth())
    assert fresh.status_code == 201 and fresh.json()["post"]["content_version"] == 1
    assert await _texts(client, auth) == [(3, "three"), (2, "two"), (1, "one")]
    listed = (await _versions(client, auth))["versions"]
    assert [v["current"] for v in listed] == [True, False, False]
    assert listed[0]["author_id"] == "bea" and listed[1]["author_id"] == "ada"
    assert listed[0]["author_name"] is not None and listed[0]["markdown_bytes"] == 5
    assert await _texts(client, auth, "fresh") == [(1, "new one")]
    # D1 (what readers see) names the version it shows.
    row = await platform.runtime.d1().prepare("SELECT content_version FROM posts WHERE slug = 'beds'").first()
    assert row["content_version"] == 3


@pytest.mark.parametrize("days", [1, 120])  # content in D1, and in R2 (warm)
async def test_a_post_from_before_versions_starts_its_history_with_its_text(client, auth, platform, clock, days):
    old = DemoPost(slug="beds", title="Beds", description="", tags=[], markdown="as it was", published_days_ago=days, edited_days_ago=days)
    await seed_posts(platform.runtime.d1(), platform.runtime.r2(), "autumn", [old], now_ms=clock.now_ms(), author_id="ada")
    listed = (await _versions(client, auth))["versions"]
    assert [(v["version"], v["author_id"], v["current"]) for v in listed] == [(1, "ada", True)]
    assert (await _put(client, auth, {"markdown": "edited"})).json()["content_version"] == 2
    assert await _texts(client, auth) == [(2, "edited"), (1, "as it was")]
    assert post_id_for("autumn", "beds")


async def test_the_list_is_newest_first_in_keyset_pages(client, auth, create_post):
    await create_post("Beds", "v1", slug="beds")
    for n in range(2, 26):
        assert (await _put(client, auth, {"markdown": f"v{n}"})).status_code == 200
    first = await _versions(client, auth)
    assert [v["version"] for v in first["versions"]] == list(range(25, 5, -1))
    assert first["newer_cursor"] is None and first["older_cursor"]
    second = await _versions(client, auth, cursor=first["older_cursor"])
    assert [v["version"] for v in second["versions"]] == [5, 4, 3, 2, 1] and second["older_cursor"] is None
    back = await _versions(client, auth, cursor=second["newer_cursor"])
    assert [v["version"] for v in back["versions"]] == list(range(25, 5, -1))
    bad = await client.get("/api/posts/beds/versions", params={"cursor": "not-a-cursor"}, headers=auth())
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_cursor"


async def test_a_version_compares_to_the_current_text_and_restores_as_a_new_version(client, auth, create_post, read):
    await create_post("Beds", "# Beds\n\nkeep\nold line\n<script>x</script>", slug="beds")
    await _put(client, auth, {"markdown": "# Beds\n\nkeep\nnew line"})
    compared = (await client.get("/api/posts/beds/versions/1", headers=auth())).json()
    assert compared["current_version"] == 2 and compared["version"]["version"] == 1
    assert {"op": "removed", "text": "old line"} in compared["diff"]
    assert {"op": "added", "text": "new line"} in compared["diff"]
    assert {"op": "removed", "text": "<script>x</script>"} in compared["diff"]  # text; the page escapes it
    assert (await read("/blog/beds")).text.count("new line") == 1  # cached with version 2
    restored = await client.post("/api/posts/beds/versions/1/restore", headers=auth())
    assert restored.status_code == 200, restored.text
    body = restored.json()
    assert body["version"] == 3 and body["restored_from"] == 1 and body["post"]["markdown"].endswith("<script>x</script>")
    page = await read("/blog/beds")
    assert "old line" in page.text and "new line" not in page.text  # caches invalidated
    assert "<script>x</script>" not in page.text
    assert [v for v, _ in await _texts(client, auth)] == [3, 2, 1]


@pytest.mark.parametrize("n", ["0", "01", "-1", "1e3", "1.0", "%31", "9999999999999999", "abc", " 1"])
async def test_hostile_version_numbers_are_404s(client, auth, create_post, n):
    await create_post("Beds", "one", slug="beds")
    for method, path in (("GET", f"/api/posts/beds/versions/{n}"), ("POST", f"/api/posts/beds/versions/{n}/restore")):
        reply = await client.request(method, path, headers=auth())
        assert reply.status_code == 404, (n, reply.text)
        assert reply.json()["error"]["code"]


async def test_missing_versions_posts_and_other_blogs(client, auth, create_post):
    await create_post("Beds", "one", slug="beds")
    assert (await client.get("/api/posts/beds/versions/7", headers=auth())).status_code == 404
    assert (await client.post("/api/posts/beds/versions/7/restore", headers=auth())).status_code == 404
    assert (await client.get("/api/posts/nothing/versions", headers=auth())).status_code == 404
    # Another blog's writer, a reader, nobody.
    assert (await client.get("/api/posts/beds/versions", headers=auth("willow", "owner", user="wes"))).status_code in (401, 403)
    assert (await client.get("/api/posts/beds/versions", headers=auth(role="reader", user="rae"))).status_code == 403
    assert (await client.get("/api/posts/beds/versions")).status_code == 401
    restore = await client.post("/api/posts/beds/versions/1/restore", headers=auth("willow", "owner", user="wes"))
    assert restore.status_code in (401, 403)
    # Willow's post of the same slug is willow's: autumn's writer does not reach it.
    await client.post("http://willow.localhost:8787/api/posts", json={"title": "W", "slug": "only-willow", "markdown": "w"}, headers=auth("willow", "owner", user="wes"))
    assert (await client.get("/api/posts/only-willow/versions", headers=auth())).status_code == 404


async def test_cookie_restores_need_the_site_itself(client, mint, sign_in, create_post):
    await create_post("Beds", "one", slug="beds")
    mint(role="owner", user="cook@example.com")
    session = await sign_in("cook@example.com")
    for hostile in ({"sec-fetch-site": "cross-site"}, {"origin": "https://evil.example"}, {}):
        reply = await client.post("/api/posts/beds/versions/1/restore", headers={**cookie_header(session), **hostile})
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "csrf_refused", hostile
    same = await client.post("/api/posts/beds/versions/1/restore", headers={**cookie_header(session), "sec-fetch-site": "same-origin"})
    assert same.status_code == 200 and same.json()["version"] == 2


async def test_a_write_d1_refuses_makes_no_version(client, auth, create_post, faults):
    await create_post("Beds", "one", slug="beds")
    faults.arm(FaultPoint.D1_STATEMENT_ERROR, match="UPDATE posts SET")
    refused = await _put(client, auth, {"markdown": "lost?"})
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "write_unavailable"
    faults.clear()
    assert await _texts(client, auth) == [(1, "one")]  # staged, settled against D1: dropped
    assert (await _put(client, auth, {"markdown": "two"})).json()["content_version"] == 2


async def test_an_object_stopped_after_d1_took_the_write_keeps_its_version(client, auth, create_post, faults, platform, clock):
    """The post is in R2, so the write's second I/O (removing the R2 copy) comes after D1
    committed: the object is reset there. The write landed (the client saw a 503 and may send
    it again); its version is committed when the object settles it: here by its alarm."""
    await create_post("Beds", "one", slug="beds")
    stub, _ = await _object(platform, "beds")
    assert (await stub.migrate_to_r2("warm"))["outcome"] == "moved"
    faults.arm(FaultPoint.DO_EVICTED_AT_AWAIT, after=1, times=1)
    stopped = await _put(client, auth, {"markdown": "landed"})
    assert stopped.status_code == 503 and faults.fired(FaultPoint.DO_EVICTED_AT_AWAIT) == 1
    faults.clear()
    row = await platform.runtime.d1().prepare("SELECT markdown, content_version, storage_location FROM posts WHERE slug = 'beds'").first()
    assert row == {"markdown": "landed", "content_version": 2, "storage_location": "d1"}
    assert await _stored_versions(platform, "beds") == [1]  # staged, not yet settled
    await platform.runtime.advance(61_000)
    assert await _stored_versions(platform, "beds") == [1, 2]
    assert await _texts(client, auth) == [(2, "landed"), (1, "one")]
