"""Analytics over HTTP: events are acknowledged once they are in the tenant's TenantDO storage,
reach D1 in batches of at most 100 (at 100 waiting, or 60 s after the first), survive
eviction and D1 failures, and are stored exactly once; owners read a summary."""

from __future__ import annotations

import pytest

from grove.tiers import DAY_MS

pytestmark = pytest.mark.usefixtures("tenants")

MINUTE_MS = 60_000
D1_DOWN = (
    "CREATE TRIGGER d1_down BEFORE INSERT ON analytics_events "
    "BEGIN SELECT RAISE(ABORT, 'D1 is unavailable'); END"
)


@pytest.fixture
def send(client, clock):
    """``await send(n, path=...)``: POST n page views (in requests of up to 100)."""

    async def send_(n: int, *, path: str = "/blog/spring", host: str = "autumn", **fields) -> None:
        events = [{"type": "page_view", "path": path, "ts_ms": clock.now_ms(), **fields} for _ in range(n)]
        for start in range(0, n, 100):
            reply = await client.post(f"http://{host}.localhost:8787/api/analytics", json=events[start : start + 100])
            assert reply.status_code == 202, reply.text
            assert reply.json() == {"accepted": len(events[start : start + 100])}

    return send_


@pytest.fixture
def stored(platform):
    """Rows in D1 analytics_events (optionally of one tenant)."""

    async def stored_(tenant: str | None = None) -> list[dict]:
        sql = "SELECT * FROM analytics_events" + (" WHERE tenant = ?1" if tenant else "")
        statement = platform.runtime.d1().prepare(sql)
        return (await (statement.bind(tenant) if tenant else statement).all())["results"]

    return stored_


@pytest.fixture
def buffered(tenant_object):
    async def buffered_(tenant: str = "autumn") -> list[dict]:
        instance = await tenant_object(tenant)
        return instance.sql.exec("SELECT * FROM analytics_buffer ORDER BY rowid").toArray()

    return buffered_


def batches(platform) -> int:
    return platform.services.stats.get("d1.batches")


# --- the endpoint ----------------------------------------------------------------------------


async def test_an_event_is_answered_202_at_once_and_is_in_the_buffer(client, clock, buffered, stored, platform):
    reply = await client.post("/api/analytics", json={"type": "page_view", "path": "/", "ts_ms": clock.now_ms(), "referrer": "https://example.com/", "session_id": "s1"})
    assert reply.status_code == 202 and reply.json() == {"accepted": 1}
    assert reply.headers["cache-control"] == "private, no-store"
    (row,) = await buffered()
    assert row["received_at_ms"] == clock.now_ms() and len(row["id"]) == 32
    assert await stored() == [] and batches(platform) == 0  # D1 was not touched


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "purchase", "path": "/", "ts_ms": 0}, "0.type"),
        ({"type": "page_view", "path": "/"}, "0.ts_ms"),
        ({"type": "page_view", "path": "no-slash", "ts_ms": 0}, "0.path"),
        ([{"type": "page_view", "path": "/", "ts_ms": 0}] * 101, "body"),
    ],
)
async def test_invalid_events_are_422(client, clock, body, field):
    if isinstance(body, dict) and "ts_ms" in body:
        body = {**body, "ts_ms": clock.now_ms()}
    reply = await client.post("/api/analytics", json=body)
    assert reply.status_code == 422 and reply.json()["error"]["field"] == field


async def test_an_event_from_last_month_is_422(client, clock):
    reply = await client.post("/api/analytics", json={"type": "page_view", "path": "/", "ts_ms": clock.now_ms() - 30 * DAY_MS})
    assert reply.status_code == 422 and reply.json()["error"]["field"] == "0.ts_ms"


async def test_malformed_or_oversized_bodies(client):
    assert (await client.post("/api/analytics", content=b"{", headers={"content-type": "application/json"})).status_code == 400
    big = b"[" + b",".join([b'{"type":"page_view","path":"/","ts_ms":1}'] * 8000) + b"]"
    assert (await client.post("/api/analytics", content=big)).status_code == 413


async def test_unknown_tenant_is_404(client, clock):
    reply = await client.post("http://nobody.localhost:8787/api/analytics", json={"type": "page_view", "path": "/", "ts_ms": clock.now_ms()})
    assert reply.status_code == 404


# --- batching --------------------------------------------------------------------------------


async def test_fewer_than_100_wait_60_seconds_after_the_first(send, platform, stored):
    await send(3)
    await platform.runtime.advance(30 * 1000)
    await send(2)
    await platform.runtime.advance(30 * 1000 - 1)
    assert await stored() == [] and batches(platform) == 0
    await platform.runtime.advance(1)  # 60 s after the first event
    assert len(await stored("autumn")) == 5 and batches(platform) == 1


async def test_100_waiting_go_at_once_in_one_batch(send, platform, stored, buffered):
    await send(150)
    queries = platform.services.stats.get("d1.queries")
    await platform.runtime.advance(0)  # the alarm was set for "now"
    # One batch of multi-row inserts within D1's 100-parameter limit (the local D1 enforces it).
    assert batches(platform) == 1 and platform.services.stats.get("d1.queries") - queries == 9
    assert len(await stored()) == 100
    assert len(await buffered()) == 50
    await platform.runtime.advance(MINUTE_MS)
    assert len(await stored()) == 150 and batches(platform) == 2


async def test_10000_events_become_at_most_100_batches(send, platform, stored):
    for _ in range(10):
        await send(1000)
        await platform.runtime.advance(1_000)
    await platform.runtime.advance(MINUTE_MS)
    rows = await stored()
    assert len(rows) == 10_000 and len({row["event_id"] for row in rows}) == 10_000
    assert batches(platform) <= 100


async def test_each_tenant_flushes_its_own_events(send, platform, stored):
    await send(2, host="autumn")
    await send(3, host="willow")
    await platform.runtime.advance(MINUTE_MS)
    assert len(await stored("autumn")) == 2 and len(await stored("willow")) == 3


async def test_stored_rows_carry_every_field(client, clock, platform, stored):
    event = {"type": "link_click", "path": "/blog/x", "ts_ms": clock.now_ms() - 5_000, "referrer": "https://r.example/", "session_id": "abc"}
    await client.post("/api/analytics", json=event)
    received_at_ms = clock.now_ms()
    await platform.runtime.advance(MINUTE_MS)
    (row,) = await stored()
    assert {k: row[k] for k in event} == event
    assert row["tenant"] == "autumn" and row["received_at_ms"] == received_at_ms


# --- nothing lost, nothing doubled -----------------------------------------------------------


async def test_an_evicted_object_with_57_buffered_events_loses_none(send, platform, stored, buffered):
    await send(57)
    platform.runtime.evict_all()
    assert len(await buffered()) == 57  # a new instance reads them from its SQLite
    platform.runtime.evict_all()
    await platform.runtime.advance(MINUTE_MS)
    assert len(await stored()) == 57 and await buffered() == []


async def test_a_d1_failure_keeps_the_events_and_a_later_alarm_delivers_each_once(send, platform, stored, buffered, clock):
    db = platform.runtime.d1()
    await db.prepare(D1_DOWN).run()
    await send(57)
    ids = {row["id"] for row in await buffered()}
    await platform.runtime.advance(MINUTE_MS)  # the flush fails
    assert len(await buffered()) == 57 and await stored() == []
    await platform.runtime.advance(10 * MINUTE_MS)  # retries keep failing, with backoff
    assert len(await buffered()) == 57
    failed_attempts = platform.services.stats.get("do.alarms")
    assert 3 <= failed_attempts <= 8  # 5 s, 10 s, 20 s, ... apart, not a tight loop
    platform.runtime.evict_all()  # the failure count survives eviction too
    await db.prepare("DROP TRIGGER d1_down").run()
    await platform.runtime.advance(10 * MINUTE_MS)
    rows = await stored()
    assert sorted(row["event_id"] for row in rows) == sorted(ids)  # each exactly once
    assert await buffered() == []


async def test_a_batch_delivered_twice_is_stored_once(send, platform, stored, buffered, tenant_object):
    await send(40)
    rows = await buffered()
    await platform.runtime.advance(MINUTE_MS)
    assert len(await stored()) == 40
    # As if the object stopped after D1 committed the batch and before its buffer was told:
    # the same rows are back in the buffer (and would be sent again after a restart).
    instance = await tenant_object()
    for row in rows:
        instance.sql.exec("INSERT INTO analytics_buffer (id, event, received_at_ms) VALUES (?, ?, ?)", row["id"], row["event"], row["received_at_ms"])
    platform.runtime.evict_all()
    await send(1)  # a new instance, a new event: the next flush sends the 40 again with it
    await platform.runtime.advance(MINUTE_MS)
    assert await buffered() == []
    assert len(await stored()) == 41


async def test_events_buffered_before_a_restart_are_flushed_after_it(send, platform, stored, buffered, tmp_path, clock):
    await send(7)
    platform.runtime.close()
    from grove_dev.platform import start_platform

    restarted = start_platform(tmp_path / "state", clock=clock, secrets={"JWT_SECRET": "x"})
    try:
        await restarted.runtime.advance(MINUTE_MS)  # the stored alarm was restored and fires
        rows = (await restarted.runtime.d1().prepare("SELECT COUNT(*) AS n FROM analytics_events").first())["n"]
        assert rows == 7
    finally:
        restarted.runtime.close()


# --- summary ---------------------------------------------------------------------------------


async def test_summary_for_owners(client, auth, send, platform, clock):
    await send(3, path="/blog/spring")
    await send(1, path="/")
    await client.post("/api/analytics", json={"type": "read_complete", "path": "/blog/spring", "ts_ms": clock.now_ms()})
    clock.advance(DAY_MS)
    await send(2, path="/")
    await platform.runtime.advance(MINUTE_MS)
    reply = await client.get("/api/analytics/summary?days=3", headers=auth())
    assert reply.status_code == 200 and reply.headers["cache-control"] == "private, no-store"
    summary = reply.json()
    assert summary["days"] == 3 and summary["total_views"] == 6
    assert [d["views"] for d in summary["views_per_day"]] == [0, 4, 2]
    assert summary["views_per_day"][-1]["date"] == "2026-01-02"
    assert summary["top_paths"] == [{"path": "/", "views": 3}, {"path": "/blog/spring", "views": 3}]


async def test_summary_is_per_tenant_and_owner_only(client, auth, send, platform):
    await send(2, host="willow")
    await platform.runtime.advance(MINUTE_MS)
    assert (await client.get("/api/analytics/summary", headers=auth())).json()["total_views"] == 0
    assert (await client.get("/api/analytics/summary")).status_code == 401
    author = await client.get("/api/analytics/summary", headers=auth(role="author"))
    assert author.status_code == 403 and author.json()["error"]["code"] == "insufficient_role"
    assert (await client.get("/api/analytics/summary", headers=auth("willow"))).status_code == 403


@pytest.mark.parametrize("days", ["0", "91", "seven", "-1"])
async def test_summary_days_are_validated(client, auth, days):
    reply = await client.get(f"/api/analytics/summary?days={days}", headers=auth())
    assert reply.status_code == 422 and reply.json()["error"]["field"] == "days"
