"""A post's content versions and its moves between D1 and R2 in both lanes: every write through
the post's PostContentDO makes a version, the list and the diff, a restore; then a round trip
D1 -> R2 (warm) -> R2 archive (cold) -> D1 through the object's RPC, byte-identical."""

from __future__ import annotations

import json

from scenario_contract import TEST_SECRETS
from scenario_seed import add_member, add_tenant, bearer

MARKDOWN = "# Beds\n\nÜnïcode *and* <b>tags</b>\n\nsecond line"


async def _writer(edge) -> dict[str, str]:
    await add_tenant(edge.env.DB, "autumn", tier="oak")
    await add_member(edge.env.DB, "ada", "autumn", "owner")
    return bearer(TEST_SECRETS["JWT_SECRET"], edge.now_ms(), tenant="autumn")


async def _create(edge, auth) -> dict:
    made = await edge.fetch("POST", edge.url("autumn", "/api/posts"), headers=auth,
                            body=json.dumps({"title": "Beds", "slug": "beds", "markdown": MARKDOWN, "status": "published"}))
    assert made.status == 201, made.text()
    return made.json()


async def test_versions_list_compare_and_restore(edge):
    auth = await _writer(edge)
    await _create(edge, auth)
    url = edge.url("autumn", "/api/posts/beds")
    edited = await edge.fetch("PUT", url, headers=auth, body=json.dumps({"markdown": "# Beds\n\nnew line"}))
    assert edited.status == 200 and edited.json()["content_version"] == 2, edited.text()
    listed = await edge.fetch("GET", f"{url}/versions", headers=auth)
    assert listed.status == 200, listed.text()
    assert [(v["version"], v["current"], v["author_id"]) for v in listed.json()["versions"]] == [(2, True, "ada"), (1, False, "ada")]
    compared = (await edge.fetch("GET", f"{url}/versions/1", headers=auth)).json()
    assert compared["version"]["markdown"] == MARKDOWN and {"op": "added", "text": "new line"} in compared["diff"]
    assert (await edge.fetch("GET", f"{url}/versions/01", headers=auth)).status == 404
    restored = await edge.fetch("POST", f"{url}/versions/1/restore", headers=auth)
    assert restored.status == 200 and restored.json()["version"] == 3, restored.text()
    row = await edge.env.DB.prepare("SELECT markdown, content_version FROM posts WHERE slug = 'beds'").first()
    assert (row["markdown"], row["content_version"]) == (MARKDOWN, 3)
    page = await edge.fetch("GET", edge.url("autumn", "/blog/beds"))
    assert "&lt;b&gt;tags&lt;/b&gt;" in page.text() and "new line" not in page.text()


async def test_a_move_round_trip_is_byte_identical(edge):
    auth = await _writer(edge)
    post = await _create(edge, auth)
    stub = edge.env.POST_CONTENT.getByName(f"post-content:autumn:{post['id']}")
    select = "SELECT markdown, html, storage_location, r2_key FROM posts WHERE slug = 'beds'"
    before = await edge.env.DB.prepare(select).first()
    page_before = (await edge.fetch("GET", edge.url("autumn", "/blog/beds"))).text()
    warm = await stub.migrate_to_r2("warm")
    assert (warm["outcome"], warm["storage_location"]) == ("moved", "r2"), warm
    row = await edge.env.DB.prepare(select).first()
    assert row["markdown"] is None and row["storage_location"] == "r2"
    stored = await edge.env.CONTENT.get(row["r2_key"])
    assert json.loads(await stored.text())["markdown"] == MARKDOWN
    assert (await edge.fetch("GET", edge.url("autumn", "/blog/beds"))).text() == page_before
    assert (await stub.migrate_to_r2("warm"))["outcome"] == "already"
    assert (await stub.migrate_to_r2("cold"))["outcome"] == "moved"
    assert (await edge.env.DB.prepare(select).first())["storage_location"] == "r2_archived"
    assert (await stub.migrate_to_d1())["outcome"] == "moved"
    assert await edge.env.DB.prepare(select).first() == before
    assert (await edge.fetch("GET", edge.url("autumn", "/blog/beds"))).text() == page_before
    api = (await edge.fetch("GET", edge.url("autumn", "/api/posts/beds"), headers=auth)).json()
    assert api["markdown"] == MARKDOWN and api["storage_location"] == "d1"
