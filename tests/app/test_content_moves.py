"""Moves between D1 and R2 (PostContentDO.migrate_to_r2 / migrate_to_d1): a failure at each
step of a move leaves the post readable and its content byte-identical, a retry finishes it,
a move run twice changes nothing, and an edit made during a move is never lost."""

from __future__ import annotations

import asyncio
import json

import pytest

from local_runtime.faults import FaultPoint

pytestmark = pytest.mark.usefixtures("tenants")

MARKDOWN = "# Beds\n\nÜnïcode *and* <b>tags</b> & \u2028 lines\n\n" + "A long line. " * 300


@pytest.fixture
async def post(create_post, read) -> dict:
    made = await create_post("Beds", MARKDOWN, slug="beds")
    await read("/blog/beds")  # cached at the edge and in KV
    return made


def _stub(platform, post: dict):
    return platform.runtime.worker().env.POST_CONTENT.getByName(f"post-content:autumn:{post['id']}")


async def _row(platform) -> dict:
    return await platform.runtime.d1().prepare(
        "SELECT markdown, html, storage_location, r2_key, updated_at_ms, content_version FROM posts WHERE slug = 'beds'"
    ).first()


async def _reads_the_same(read, client, auth, post: dict) -> None:
    page = await read("/blog/beds")
    assert page.status_code == 200 and "<b>tags</b>" not in page.text and "&lt;b&gt;tags&lt;/b&gt;" in page.text
    api = (await client.get("/api/posts/beds", headers=auth())).json()
    assert api["markdown"] == MARKDOWN and api["html"] == post["html"]


async def test_a_round_trip_is_byte_identical_and_idempotent(platform, post, read, client, auth):
    before = await _row(platform)
    moved = await _stub(platform, post).migrate_to_r2("warm")
    assert moved == {"outcome": "moved", "storage_location": "r2", "step": "done"}
    row = await _row(platform)
    assert row["markdown"] is None and row["html"] is None and row["r2_key"] == f"posts/autumn/{post['id']}.json"
    assert row["updated_at_ms"] == before["updated_at_ms"]  # a move is not an edit
    stored = await platform.runtime.r2().get(row["r2_key"])
    assert json.loads(await stored.text())["markdown"] == MARKDOWN
    location = await _stub(platform, post).content_location()
    assert location["storage_location"] == "r2" and location["r2_key"] == row["r2_key"] and len(location["r2_sha256"]) == 64
    await _reads_the_same(read, client, auth, post)
    assert (await _stub(platform, post).migrate_to_r2("warm"))["outcome"] == "already"
    assert (await _stub(platform, post).migrate_to_r2("cold"))["outcome"] == "moved"
    cold = await _row(platform)
    assert cold["storage_location"] == "r2_archived" and cold["r2_key"].startswith("archive/")
    assert await platform.runtime.r2().get(row["r2_key"]) is None  # the warm copy went after D1 moved
    await _reads_the_same(read, client, auth, post)
    assert (await _stub(platform, post).migrate_to_d1())["outcome"] == "moved"
    back = await _row(platform)
    assert (back["markdown"], back["html"], back["storage_location"], back["r2_key"]) == (before["markdown"], before["html"], "d1", None)
    assert await platform.runtime.r2().get(cold["r2_key"]) is None
    assert (await _stub(platform, post).migrate_to_d1())["outcome"] == "already"
    await _reads_the_same(read, client, auth, post)


@pytest.mark.parametrize(
    ("point", "step"),
    [
        (FaultPoint.R2_PUT_ERROR, "r2_put"),       # 1. the write to R2
        (FaultPoint.R2_GET_ERROR, "r2_put"),       # 2. the read-back
        (FaultPoint.R2_GET_CORRUPT, "r2_put"),     # 2. the comparison
        (FaultPoint.D1_UNAVAILABLE, "read"),       # before anything: D1 cannot be read
    ],
)
async def test_a_failure_before_d1_changes_leaves_the_post_in_d1(platform, post, read, client, auth, faults, point, step):
    before = await _row(platform)
    faults.arm(point)
    failed = await _stub(platform, post).migrate_to_r2("warm")
    faults.clear()
    assert failed["outcome"] == "failed" and failed["step"] == step, failed
    assert await _row(platform) == before
    await _reads_the_same(read, client, auth, post)
    assert (await _stub(platform, post).migrate_to_r2("warm"))["outcome"] == "moved"  # the retry finishes it
    await _reads_the_same(read, client, auth, post)


async def test_a_failed_conditional_update_leaves_the_post_in_d1(platform, post, read, client, auth, faults):
    before = await _row(platform)
    faults.arm(FaultPoint.D1_STATEMENT_ERROR, match="SET markdown = NULL")
    failed = await _stub(platform, post).migrate_to_r2("warm")
    faults.clear()
    assert (failed["outcome"], failed["step"]) == ("failed", "d1_update")
    assert await _row(platform) == before
    await _reads_the_same(read, client, auth, post)
    assert (await _stub(platform, post).migrate_to_r2("warm"))["outcome"] == "moved"


async def test_a_failed_cache_invalidation_is_finished_by_the_retry(platform, post, read, client, auth, faults):
    faults.arm(FaultPoint.KV_UNAVAILABLE)
    failed = await _stub(platform, post).migrate_to_r2("warm")
    faults.clear()
    assert (failed["outcome"], failed["step"]) == ("failed", "invalidate")
    assert (await _row(platform))["storage_location"] == "r2"  # D1 points at the verified copy
    await _reads_the_same(read, client, auth, post)
    assert (await _stub(platform, post).migrate_to_r2("warm"))["outcome"] == "already"


async def test_a_crash_at_every_await_of_a_move_loses_nothing(platform, post, read, client, auth, faults):
    """The object is reset at its 1st, 2nd, ... await (D1, R2, KV, the TenantDO); each time
    the post stays readable, byte-identical, and a retry completes the move."""
    stub = _stub(platform, post)
    for crash_at in range(40):
        fired = faults.fired(FaultPoint.DO_EVICTED_AT_AWAIT)
        faults.arm(FaultPoint.DO_EVICTED_AT_AWAIT, after=crash_at, times=1)
        first = await _tolerant(stub.migrate_to_r2("warm"))
        crashed = faults.fired(FaultPoint.DO_EVICTED_AT_AWAIT) > fired
        faults.clear()
        await _reads_the_same(read, client, auth, post)
        assert (await stub.migrate_to_r2("warm"))["outcome"] in ("moved", "already")
        await _reads_the_same(read, client, auth, post)
        assert (await stub.migrate_to_d1())["outcome"] == "moved"
        assert (await _row(platform))["markdown"] == MARKDOWN
        if not crashed:
            assert first["outcome"] == "moved" and crash_at > 5  # every await was crashed at once
            break
    else:
        pytest.fail("the move has more awaits than the test crashes at")


async def _tolerant(call) -> dict:
    try:
        return await call
    except Exception as exc:  # the reset object's caller sees the reset
        return {"outcome": "reset", "message": str(exc)}


async def test_an_edit_during_a_move_wins(platform, post, read, client, auth):
    """Sent together: the edit waits for the move (the object takes one at a time) or the move
    finds the post changed; either way the edit is what readers get, from D1 (hot)."""
    stub = _stub(platform, post)
    move, edit = await asyncio.gather(
        stub.migrate_to_r2("warm"), client.put("/api/posts/beds", json={"markdown": "edited *now*"}, headers=auth())
    )
    assert edit.status_code == 200, edit.text
    assert move["outcome"] in ("moved", "changed")
    row = await _row(platform)
    assert (row["markdown"], row["storage_location"], row["r2_key"]) == ("edited *now*", "d1", None)
    assert "<em>now</em>" in (await read("/blog/beds")).text


async def test_an_edit_that_reaches_d1_between_the_copy_and_the_clear_stops_the_move(platform, post, monkeypatch):
    """An edit that does not go through the object (an older Worker, an operator) changes the
    row after the move read it: the conditional update fails and the move stops."""
    stub = _stub(platform, post)
    db = platform.runtime.d1()
    # The edit lands as the move's R2 read-back happens: armed on that read, it writes D1 first.
    real_get = type(platform.runtime.r2()).get

    async def get_and_edit(self, key, *args, **kwargs):
        if key.startswith("posts/autumn/"):
            await db.prepare("UPDATE posts SET markdown = 'meanwhile', updated_at_ms = updated_at_ms + 1 WHERE slug = 'beds'").run()
        return await real_get(self, key, *args, **kwargs)

    monkeypatch.setattr(type(platform.runtime.r2()), "get", get_and_edit)
    stopped = await stub.migrate_to_r2("warm")
    monkeypatch.undo()
    assert (stopped["outcome"], stopped["step"]) == ("changed", "d1_update")
    row = await _row(platform)
    assert (row["markdown"], row["storage_location"], row["r2_key"]) == ("meanwhile", "d1", None)
    assert await platform.runtime.r2().get(f"posts/autumn/{post['id']}.json") is None  # its copy removed
