"""Draft sync over HTTP: every status of /api/drafts, two devices on one draft, tenant
isolation, and publishing through the post API's write path."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.usefixtures("tenants")

META = {"title": "Spring Notes", "description": "Seeds and soil.", "tags": ["garden"]}


@pytest.fixture
def put(client, auth):
    """``await put("spring", "text", base=1, device="phone")``: PUT /api/drafts/{slug}."""

    async def put_(slug: str, content: str, *, base: int | None = None, device: str = "laptop", headers=None, **extra):
        body = {"content": content, "metadata": extra.pop("metadata", META), "device_id": device, **extra}
        if base is not None:
            body["base_version"] = base
        return await client.put(f"/api/drafts/{slug}", json=body, headers=headers or auth(role="author"))

    return put_


async def test_create_save_and_read_back(put, client, auth, clock):
    created = await put("spring", "First *light*.")
    assert created.status_code == 201 and created.headers["cache-control"] == "private, no-store"
    assert created.json() == {
        "outcome": "saved", "slug": "spring", "title": "Spring Notes", "device_id": "laptop",
        "version": 1, "saved_at_ms": clock.now_ms(),
    }
    clock.advance(3_000)
    saved = await put("spring", "First *light*. Then rain.", base=1)
    assert saved.status_code == 200 and saved.json()["version"] == 2
    assert saved.json()["saved_at_ms"] == clock.now_ms()
    draft = await client.get("/api/drafts/spring", headers=auth(role="author"))
    assert draft.status_code == 200 and draft.headers["cache-control"] == "private, no-store"
    assert draft.json() == {
        "slug": "spring", "content": "First *light*. Then rain.", "metadata": META, "device_id": "laptop",
        "version": 2, "saved_at_ms": clock.now_ms(), "post_id": None, "base": None,
    }


async def test_list_gives_slug_title_time_device_and_version_newest_first(put, client, auth, clock):
    await put("older", "a", metadata={"title": "Older"})
    clock.advance(1_000)
    await put("newer", "b", metadata={"title": "Newer"}, device="phone")
    reply = await client.get("/api/drafts", headers=auth())
    assert reply.status_code == 200 and reply.headers["cache-control"] == "private, no-store"
    assert reply.json() == {"drafts": [
        {"slug": "newer", "title": "Newer", "device_id": "phone", "version": 1, "saved_at_ms": clock.now_ms()},
        {"slug": "older", "title": "Older", "device_id": "laptop", "version": 1, "saved_at_ms": clock.now_ms() - 1_000},
    ]}


async def test_two_devices_the_second_gets_409_with_the_firsts_text(put, client, auth):
    await put("spring", "shared start", device="laptop")  # version 1, seen by both devices
    laptop = await put("spring", "laptop wrote this", base=1, device="laptop")
    assert laptop.status_code == 200 and laptop.json()["version"] == 2
    phone = await put("spring", "phone wrote that", base=1, device="phone")
    assert phone.status_code == 409 and phone.headers["cache-control"] == "private, no-store"
    error = phone.json()["error"]
    assert error["code"] == "draft_conflict"
    assert error["server"]["content"] == "laptop wrote this" and error["server"]["version"] == 2
    assert error["server"]["device_id"] == "laptop" and error["server"]["metadata"] == META
    assert isinstance(error["server"]["saved_at_ms"], int)
    # Nothing was overwritten; "keep mine" is a save on the version the conflict showed.
    assert (await client.get("/api/drafts/spring", headers=auth())).json()["content"] == "laptop wrote this"
    kept = await put("spring", "phone wrote that", base=2, device="phone")
    assert kept.status_code == 200 and kept.json()["version"] == 3 and kept.json()["device_id"] == "phone"
    # And the laptop, still on version 2, is now the one told about it.
    stale = await put("spring", "laptop again", base=2, device="laptop")
    assert stale.status_code == 409 and stale.json()["error"]["server"]["content"] == "phone wrote that"


async def test_a_new_draft_where_another_device_already_made_one_is_a_conflict(put):
    await put("spring", "from the laptop", device="laptop")
    reply = await put("spring", "from the phone", device="phone")  # no base_version: "new"
    assert reply.status_code == 409 and reply.json()["error"]["server"]["content"] == "from the laptop"


async def test_a_repeated_put_is_idempotent(put, client, auth):
    await put("spring", "v1")
    first = await put("spring", "v2", base=1)
    again = await put("spring", "v2", base=1)  # the first reply was lost; the client retries
    assert first.status_code == again.status_code == 200
    assert again.json()["outcome"] == "unchanged" and again.json()["version"] == first.json()["version"] == 2
    assert (await client.get("/api/drafts/spring", headers=auth())).json()["version"] == 2


async def test_over_one_mib_is_413(put):
    reply = await put("big", "x" * (1024 * 1024))
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "draft_too_large"
    # Escaping makes the body bigger than the draft: a 1 MiB draft of quotes is measured decoded.
    near = await put("quotes", '"' * (1024 * 1024 - 200))
    assert near.status_code == 201


async def test_a_huge_body_is_413_before_parsing(client, auth):
    body = b'{"content": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    reply = await client.put("/api/drafts/big", content=body, headers={**auth(), "content-type": "application/json"})
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"metadata": META, "device_id": "laptop"}, "content"),
        ({"content": "x"}, "device_id"),
        ({"content": "x", "device_id": "has space"}, "device_id"),
        ({"content": "x", "device_id": "d", "base_version": 0}, "base_version"),
        ({"content": "x", "device_id": "d", "base_version": "3"}, "base_version"),
        ({"content": "x", "device_id": "d", "metadata": {"tags": "garden"}}, "metadata.tags"),
        ({"content": "x", "device_id": "d", "metadata": {"colour": "red"}}, "metadata.colour"),
        ({"content": "x", "device_id": "d", "deviceId": "d"}, "deviceId"),
    ],
)
async def test_invalid_puts_are_422(client, auth, body, field):
    reply = await client.put("/api/drafts/spring", json=body, headers=auth())
    assert reply.status_code == 422 and reply.json()["error"]["field"] == field, reply.text


async def test_an_invalid_slug_is_404_on_every_method(client, auth):
    # A slug that can never exist: refused by the router before the TenantDO is asked.
    reply = await client.put("/api/drafts/Not_A_Slug", json={"content": "x", "device_id": "d"}, headers=auth())
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/drafts/Not_A_Slug", headers=auth())).status_code == 404


async def test_malformed_json_is_400(client, auth):
    reply = await client.put("/api/drafts/spring", content=b"{nope", headers={**auth(), "content-type": "application/json"})
    assert reply.status_code == 400


async def test_missing_drafts_are_404(client, auth):
    assert (await client.get("/api/drafts/ghost", headers=auth())).status_code == 404
    assert (await client.delete("/api/drafts/ghost", headers=auth())).status_code == 404
    assert (await client.post("/api/drafts/ghost/publish", headers=auth())).status_code == 404


async def test_unknown_tenant_is_404(client, auth):
    headers = auth("nobody")
    reply = await client.put("http://nobody.localhost:8787/api/drafts/x", json={"content": "x", "device_id": "d"}, headers=headers)
    assert reply.status_code == 404 and reply.json()["error"]["code"] == "not_found"
    assert (await client.get("http://nobody.localhost:8787/api/drafts", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/drafts"), ("GET", "/api/drafts/spring"), ("PUT", "/api/drafts/spring"),
     ("DELETE", "/api/drafts/spring"), ("POST", "/api/drafts/spring/publish")],
)
async def test_only_owners_and_authors_of_the_hosts_tenant(client, auth, put, method, path):
    await put("spring", "secret plans")
    body = {"content": "overwrite", "device_id": "x"} if method == "PUT" else None
    anonymous = await client.request(method, path, json=body)
    assert anonymous.status_code == 401 and anonymous.headers["cache-control"] == "private, no-store"
    reader = await client.request(method, path, json=body, headers=auth(role="reader"))
    assert reader.status_code == 403 and reader.json()["error"]["code"] == "insufficient_role"
    # An author of willow reaching autumn's drafts: refused, whatever the method.
    other = await client.request(method, path, json=body, headers=auth("willow", "author"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_tenant"
    assert (await client.get("/api/drafts/spring", headers=auth())).json()["content"] == "secret plans"


async def test_an_author_of_tenant_a_cannot_read_tenant_b_drafts(put, client, auth):
    willow = "http://willow.localhost:8787"
    body = {"content": "willow's secret", "metadata": META, "device_id": "w"}
    assert (await client.put(f"{willow}/api/drafts/plans", json=body, headers=auth("willow", "author"))).status_code == 201
    await put("plans", "autumn's own plans")
    autumn_author = auth("autumn", "author")
    # With autumn's token on willow's host: 403.
    assert (await client.get(f"{willow}/api/drafts/plans", headers=autumn_author)).status_code == 403
    assert (await client.get(f"{willow}/api/drafts", headers=autumn_author)).status_code == 403
    # On autumn's own host, the same slug is autumn's draft, never willow's.
    mine = await client.get("/api/drafts/plans", headers=autumn_author)
    assert mine.json()["content"] == "autumn's own plans"
    listed = (await client.get("/api/drafts", headers=autumn_author)).json()["drafts"]
    assert [d["slug"] for d in listed] == ["plans"] and listed[0]["device_id"] == "laptop"


async def test_delete_by_version(put, client, auth):
    await put("spring", "one")
    await put("spring", "two", base=1)
    stale = await client.delete("/api/drafts/spring?version=1", headers=auth())
    assert stale.status_code == 409 and stale.json()["error"]["server"]["content"] == "two"
    bad = await client.delete("/api/drafts/spring?version=two", headers=auth())
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "version"
    deleted = await client.delete("/api/drafts/spring?version=2", headers=auth())
    assert deleted.status_code == 200 and deleted.headers["cache-control"] == "private, no-store"
    assert deleted.json()["deleted"]["version"] == 2
    assert (await client.get("/api/drafts/spring", headers=auth())).status_code == 404


async def test_versions_never_repeat_after_a_delete(put, client, auth):
    await put("spring", "old draft")
    await put("spring", "old draft, edited", base=1)  # version 2
    await client.delete("/api/drafts/spring", headers=auth())
    # A device still holding version 2 of the deleted draft: told it is gone, not silently saved.
    gone = await put("spring", "edit of a deleted draft", base=2, device="phone")
    assert gone.status_code == 409 and gone.json()["error"]["server"] is None
    fresh = await put("spring", "a new draft", device="tablet")
    assert fresh.status_code == 201 and fresh.json()["version"] == 3
    assert (await put("spring", "stale", base=2, device="phone")).status_code == 409


async def test_drafts_survive_eviction(put, client, auth, platform):
    await put("spring", "kept in the object's SQLite")
    platform.runtime.evict_all()
    assert (await client.get("/api/drafts/spring", headers=auth())).json()["content"] == "kept in the object's SQLite"


# --- publishing ------------------------------------------------------------------------------


async def test_publish_creates_the_post_and_removes_the_draft(put, client, auth, read, clock):
    assert (await read("/blog/spring")).status_code == 404  # a cached "missing" tombstone
    await put("spring", "First *light*.")
    reply = await client.post("/api/drafts/spring/publish", json={"version": 1}, headers=auth(role="author"))
    assert reply.status_code == 201 and reply.headers["cache-control"] == "private, no-store"
    assert reply.headers["location"] == "/api/posts/spring"
    body = reply.json()
    assert body["draft_removed"] is True
    post = body["post"]
    assert post["slug"] == "spring" and post["title"] == "Spring Notes" and post["status"] == "published"
    assert post["html"] == "<p>First <em>light</em>.</p>\n" and post["tags"] == ["garden"]
    assert post["author_id"] == "ada" and post["published_at_ms"] == clock.now_ms()
    assert (await client.get("/api/drafts", headers=auth())).json() == {"drafts": []}
    # The post exists now: its slug opens the post's own draft, made from what was published.
    reopened = (await client.get("/api/drafts/spring", headers=auth())).json()
    assert reopened["post_id"] == post["id"] and reopened["content"] == "First *light*."
    # The post API's write path cleared the cached tombstone: readers see it at once.
    page = await read("/blog/spring")
    assert page.status_code == 200 and "First <em>light</em>." in page.text


async def test_publish_updates_an_existing_post(put, client, auth, create_post, read):
    original = await create_post("Spring Notes", "old words", slug="spring")
    await read("/blog/spring")  # cached now
    opened = (await client.get("/api/drafts/spring", headers=auth())).json()  # made from the post
    await put("spring", "new words", metadata={**opened["metadata"], "title": "Spring Notes, Revised"}, base=opened["version"])
    reply = await client.post("/api/drafts/spring/publish", headers=auth())  # no body: latest version
    assert reply.status_code == 200 and reply.json()["changed"] == ["markdown", "title"]
    post = reply.json()["post"]
    assert post["id"] == original["id"] and post["title"] == "Spring Notes, Revised"
    assert post["published_at_ms"] == original["published_at_ms"]
    assert "new words" in (await read("/blog/spring")).text


async def test_publish_of_a_stale_version_is_409(put, client, auth):
    await put("spring", "one")
    await put("spring", "two", base=1)
    reply = await client.post("/api/drafts/spring/publish", json={"version": 1}, headers=auth())
    assert reply.status_code == 409 and reply.json()["error"]["server"]["content"] == "two"
    assert (await client.get("/api/posts/spring", headers=auth())).status_code == 404


async def test_publish_validates_like_the_post_api(put, client, auth):
    await put("untitled", "no title yet", metadata={"title": ""})
    reply = await client.post("/api/drafts/untitled/publish", headers=auth())
    assert reply.status_code == 422 and reply.json()["error"]["field"] == "title"
    assert (await client.get("/api/drafts/untitled", headers=auth())).status_code == 200  # kept
    bad = await client.post("/api/drafts/untitled/publish", json={"version": "1"}, headers=auth())
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "version"


async def test_drafts_do_not_leak_into_reader_views(put, read):
    await put("spring", "not for readers yet")
    for path in ("/", "/blog", "/blog/spring", "/api/posts", "/api/posts/spring"):
        reply = await read(path)
        assert "not for readers yet" not in reply.text, path


async def test_stored_row_in_the_tenant_object(put, tenant_object):
    await put("spring", "text", device="laptop")
    instance = await tenant_object("autumn")
    (row,) = instance.sql.exec("SELECT * FROM drafts").toArray()
    assert row["slug"] == "spring" and row["device_id"] == "laptop" and row["version"] == 1
    assert json.loads(row["metadata"]) == META
