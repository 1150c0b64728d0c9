"""The repository's own Workers on the local runtime: config, bindings, server endpoints."""

from __future__ import annotations

from grove.tiers import TRENDING_CRON
from grove_dev.platform import REPO_ROOT
from grove_dev.seed import seed_demo

# Every migration file, in the order wrangler applies them (by name).
MIGRATIONS = sorted(path.name for path in (REPO_ROOT / "migrations").glob("*.sql"))


def test_both_workers_load_from_their_wrangler_configs(platform):
    runtime = platform.runtime
    assert set(runtime.workers) == {"grove-edge", "grove-post-migrator"}
    main = runtime.worker("grove-edge")
    assert main.env.ROOT_DOMAIN == "localhost"  # [env.dev.vars]
    assert {"DB", "CACHE_KV", "CONTENT", "TENANTS", "POST_META", "POST_CONTENT", "FEEDS"} <= set(vars(main.env))
    migrator = runtime.worker("grove-post-migrator")
    # One D1 database, one KV namespace, one bucket: shared by both Workers as on Cloudflare.
    assert migrator.env.DB is main.env.DB
    assert migrator.env.CACHE_KV is main.env.CACHE_KV
    assert migrator.env.CONTENT is main.env.CONTENT
    # The migrator's POST_CONTENT points at the main Worker's class through script_name.
    assert migrator.env.POST_CONTENT is main.env.POST_CONTENT


def test_migrations_applied_once(platform, tmp_path, clock):
    assert platform.applied_migrations == MIGRATIONS
    assert MIGRATIONS[:2] == ["0001_initial.sql", "0002_analytics_events.sql"]


async def test_migrations_are_recorded_like_wrangler(platform):
    row = await platform.runtime.d1().prepare("SELECT name FROM d1_migrations").all()
    assert [r["name"] for r in row["results"]] == MIGRATIONS


async def test_health_reports_every_binding(client):
    reply = await client.get("/__health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "ok"
    main = body["workers"]["grove-edge"]
    assert main["DB"] == {"kind": "D1Database", "ok": True}
    assert main["TENANTS"]["kind"] == "DurableObjectNamespace"
    assert all(b["ok"] for b in main.values())


async def test_stats_count_operations(client):
    await client.post("/__stats/reset")
    await client.get("/__health")
    stats = (await client.get("/__stats")).json()
    assert stats["d1"]["queries"] == 2  # one probe per Worker's DB binding
    assert stats["kv"]["reads"] == 2


async def test_scheduled_runs_the_cron_worker(client, platform):
    await seed_demo(platform.runtime)
    reply = await client.get("/__scheduled", params={"cron": "0 3 * * *"})
    assert reply.status_code == 200
    body = reply.json()
    assert body["ran"] == "0 3 * * *"
    # The migrator's run summary (its migration_runs row): the demo seed is already tiered.
    assert body["result"]["failed"] == [] and body["result"]["ended_at_ms"] is not None
    assert platform.services.stats.get("cron.runs") == 1


async def test_scheduled_by_hand_runs_a_workers_cron_and_refuses_others(client, platform):
    # Two Workers have scheduled handlers (the main Worker's Trending, the migrator), so a cron
    # picks its Worker; one that is no Worker's trigger is a 400, not a run.
    reply = await client.get("/__scheduled", params={"cron": TRENDING_CRON})
    assert reply.status_code == 200 and reply.json()["ran"] == TRENDING_CRON
    refused = await client.get("/__scheduled", params={"cron": "*/5 * * * *"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "unknown_cron"
    assert "0 3 * * *" in refused.json()["error"]["message"] and TRENDING_CRON in refused.json()["error"]["message"]
    assert platform.services.stats.get("cron.runs") == 1  # the Trending run only


async def test_scheduled_without_cron_is_400(client):
    reply = await client.get("/__scheduled")
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "missing_cron"


async def test_cron_fires_on_the_simulated_clock(platform, clock):
    runtime = platform.runtime
    before = platform.services.stats.get("cron.runs")
    day_ms = 24 * 3600 * 1000
    await runtime.advance(2 * day_ms)
    # Two 03:00 UTC triggers of the migrator in two days from midnight, and Trending's every
    # hour (grove.tiers.TRENDING_CRON).
    assert platform.services.stats.get("cron.runs") - before == 2 + 2 * 24


async def test_unknown_path_is_a_json_404(client):
    reply = await client.get("/nothing-here")
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"
    assert reply.headers["cache-control"] == "private, no-store"


async def test_seed_is_idempotent(platform):
    first = await seed_demo(platform.runtime)
    second = await seed_demo(platform.runtime)
    assert first == {"tenants_created": 3, "accounts_created": 4, "posts_created": 42, "meadow_readers_created": 31, "follows_created": 77}
    assert second == {"tenants_created": 0, "accounts_created": 0, "posts_created": 0, "meadow_readers_created": 0, "follows_created": 0}


async def test_durable_object_classes_create_their_schema(platform):
    ns = platform.runtime.worker().env.TENANTS
    stub = ns.get(ns.idFromName("tenant:autumn"))
    # No public method yet beyond fetch; the constructor runs on first delivery.
    namespace = platform.runtime.namespaces[("grove-edge", "TenantDO")]
    instance = await namespace.instance_for_test(stub)
    tables = {r["name"] for r in instance.sql.exec("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"config", "drafts", "analytics_buffer"} <= tables
