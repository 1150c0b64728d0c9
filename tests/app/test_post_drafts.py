"""The draft of an existing post, over HTTP: made from the post, kept in its PostContentDO
(so a slug rename keeps it), one versioned draft for every device, and publishing it changes
exactly the fields the author changed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.usefixtures("tenants")

FIELDS = {"description": "Seeds, soil and weather.", "tags": ["garden", "spring"]}


@pytest.fixture
async def post(create_post) -> dict:
    return await create_post("Spring Notes", "The *first* beans.", slug="spring", status="published", **FIELDS)


async def _open(client, auth, slug: str = "spring") -> dict:
    reply = await client.get(f"/api/drafts/{slug}", headers=auth(role="author"))
    assert reply.status_code == 200 and reply.headers["cache-control"] == "private, no-store"
    return reply.json()


async def _save(client, auth, draft: dict, *, device: str, slug: str = "spring", **changes) -> object:
    metadata = {**draft["metadata"], **changes.pop("metadata", {})}
    body = {"content": changes.pop("content", draft["content"]), "metadata": metadata, "device_id": device,
            "base_version": draft["version"]}
    return await client.put(f"/api/drafts/{slug}", json=body, headers=auth(role="author"))


async def test_opening_a_post_makes_its_draft_from_every_field(client, auth, post):
    draft = await _open(client, auth)
    assert draft["content"] == "The *first* beans."
    assert draft["metadata"] == {"title": "Spring Notes", "slug": "spring", **FIELDS}
    assert draft["post_id"] == post["id"] and draft["version"] == 1 and draft["device_id"] == "post"
    assert draft["base"]["title"] == "Spring Notes" and draft["base"]["tags"] == FIELDS["tags"]
    # Opened again (another device): the same draft, not a copy.
    assert await _open(client, auth) == draft
    # It is not one of the TenantDO's drafts of new posts.
    assert (await client.get("/api/drafts", headers=auth())).json() == {"drafts": []}


async def test_changing_only_the_title_keeps_description_and_tags(client, auth, post, read):
    """Regression: publishing a draft once overwrote the post's description and tags."""
    draft = await _open(client, auth)
    saved = await _save(client, auth, draft, device="laptop", metadata={"title": "Spring Notes, Revised"})
    assert saved.status_code == 200 and saved.json()["version"] == 2
    reply = await client.post("/api/drafts/spring/publish", json={"version": 2}, headers=auth())
    assert reply.status_code == 200 and reply.json()["changed"] == ["title"]
    published = reply.json()["post"]
    assert published["title"] == "Spring Notes, Revised"
    assert published["description"] == FIELDS["description"] and published["tags"] == FIELDS["tags"]
    assert published["markdown"] == "The *first* beans." and published["id"] == post["id"]
    assert reply.json()["draft_removed"] is True
    page = await read("/blog/spring")
    assert "Spring Notes, Revised" in page.text and "Seeds, soil and weather." in page.text


async def test_fields_left_alone_keep_changes_made_meanwhile_through_the_post_api(client, auth, post):
    draft = await _open(client, auth)
    await _save(client, auth, draft, device="laptop", content="The *first* beans, and peas.")
    changed = await client.put("/api/posts/spring", json={"description": "Changed on the API."}, headers=auth())
    assert changed.status_code == 200
    reply = await client.post("/api/drafts/spring/publish", headers=auth())
    assert reply.json()["changed"] == ["markdown"]
    published = reply.json()["post"]
    assert published["description"] == "Changed on the API." and published["markdown"] == "The *first* beans, and peas."


async def test_publishing_an_unchanged_draft_writes_nothing(client, auth, post, d1_queries):
    await _open(client, auth)
    reply = await client.post("/api/drafts/spring/publish", headers=auth())
    assert reply.status_code == 200 and reply.json()["changed"] == []
    assert reply.json()["post"]["updated_at_ms"] == post["updated_at_ms"]


async def test_the_draft_survives_a_slug_rename_and_can_rename_itself(client, auth, post):
    draft = await _open(client, auth)
    await _save(client, auth, draft, device="laptop", content="Renamed, still mine.")
    renamed = await client.put("/api/posts/spring", json={"slug": "spring-notes"}, headers=auth())
    assert renamed.status_code == 200
    kept = await _open(client, auth, "spring-notes")
    assert kept["content"] == "Renamed, still mine." and kept["version"] == 2 and kept["slug"] == "spring-notes"
    # Under the old slug there is no post and no draft of it any more.
    assert (await client.get("/api/drafts/spring", headers=auth())).status_code == 404
    # The draft renames the post when published.
    await _save(client, auth, kept, device="laptop", slug="spring-notes", metadata={"slug": "beans"})
    reply = await client.post("/api/drafts/spring-notes/publish", headers=auth())
    assert reply.status_code == 200 and reply.json()["post"]["slug"] == "beans"
    assert sorted(reply.json()["changed"]) == ["markdown", "slug"]
    assert reply.headers["location"] == "/api/posts/beans"


async def test_two_devices_follow_the_conflict_rule(client, auth, post):
    laptop = await _open(client, auth)
    phone = await _open(client, auth)
    assert (await _save(client, auth, laptop, device="laptop", content="Laptop text.")).status_code == 200
    stale = await _save(client, auth, phone, device="phone", content="Phone text.")
    assert stale.status_code == 409
    server = stale.json()["error"]["server"]
    assert server["content"] == "Laptop text." and server["device_id"] == "laptop" and server["version"] == 2
    # "Keep mine": the phone saves again from the version it was shown.
    kept = await _save(client, auth, server, device="phone", content="Phone text.")
    assert kept.status_code == 200 and kept.json()["version"] == 3
    # A repeat of the same text is not a conflict.
    again = await _save(client, auth, {**server, "content": "Phone text."}, device="phone")
    assert again.status_code == 200 and again.json()["outcome"] == "unchanged"


async def test_a_save_that_never_opened_the_post_is_a_conflict_showing_the_post(client, auth, post):
    body = {"content": "Blind write.", "device_id": "laptop"}
    reply = await client.put("/api/drafts/spring", json=body, headers=auth())
    assert reply.status_code == 409
    assert reply.json()["error"]["server"]["content"] == "The *first* beans."


async def test_versions_never_repeat_after_a_publish(client, auth, post):
    draft = await _open(client, auth)
    await _save(client, auth, draft, device="laptop", content="v2")
    assert (await client.post("/api/drafts/spring/publish", headers=auth())).status_code == 200
    reopened = await _open(client, auth)
    assert reopened["version"] == 3 and reopened["content"] == "v2"
    # A device still holding version 2 cannot land on the new draft.
    stale = await _save(client, auth, {**draft, "version": 2}, device="phone", content="stale")
    assert stale.status_code == 409


async def test_discarding_the_draft_and_tenant_isolation(client, auth, post):
    draft = await _open(client, auth)
    other = await client.get("/api/drafts/spring", headers=auth(tenant="willow"))
    assert other.status_code == 403
    gone = await client.delete(f"/api/drafts/spring?version={draft['version']}", headers=auth())
    assert gone.status_code == 200 and gone.json()["deleted"]["version"] == 1
    assert (await client.get("/api/posts/spring", headers=auth())).status_code == 200  # the post stays


async def test_publishing_a_cleared_title_names_the_field(client, auth, post):
    draft = await _open(client, auth)
    await _save(client, auth, draft, device="laptop", metadata={"title": ""})
    reply = await client.post("/api/drafts/spring/publish", headers=auth())
    assert reply.status_code == 422 and reply.json()["error"]["field"] == "title"
    assert (await client.get("/api/posts/spring", headers=auth())).json()["title"] == "Spring Notes"


async def test_a_draft_call_costs_one_d1_query_beside_the_credential_check(client, auth, post, d1_queries):
    """Counted, not timed: the store of a slug's draft is found with one indexed D1 query
    (UNIQUE (tenant, slug)); the draft itself never touches D1. Every authenticated request
    also looks its credential up in D1 (revocation and roles are strongly consistent)."""
    draft = await _open(client, auth)
    before = d1_queries()
    saved = await _save(client, auth, draft, device="laptop", content="One query.")
    assert saved.status_code == 200 and d1_queries() - before == 2
    before = d1_queries()
    assert (await client.get("/api/drafts/spring", headers=auth())).status_code == 200
    assert d1_queries() - before == 2
