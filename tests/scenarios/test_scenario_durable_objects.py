"""The app's Durable Objects: schema on construction, and RPC through the Worker's bindings."""

from __future__ import annotations

import pytest
from scenario_seed import add_tenant

TABLES = {
    "TENANTS": {"config", "drafts", "analytics_buffer"},
    "POST_META": {"reactions", "reaction_journal", "pending_comments", "comment_moderation", "comment_changes", "stats", "view_days"},
    "POST_CONTENT": {"content_versions", "metadata", "device_drafts", "post_draft", "staged_version"},
    "FEEDS": {"following", "items", "snapshots", "snapshot_ranks", "feed_state"},
}


@pytest.mark.parametrize("binding", sorted(TABLES))
async def test_each_class_creates_its_schema_on_first_event(edge, binding):
    rows = await edge.do_sql(binding, "scenario:one", "SELECT name FROM sqlite_master WHERE type = 'table'")
    assert TABLES[binding] <= {r["name"] for r in rows}


async def test_tenant_config_over_rpc_is_the_d1_row(edge):
    await add_tenant(edge.env.DB, "autumn", tier="oak", display_name="Autumn's Grove")
    stub = edge.env.TENANTS.getByName("tenant:autumn")
    config = await stub.get_config()
    assert config["subdomain"] == "autumn"
    assert config["display_name"] == "Autumn's Grove"
    assert config["tier"] == "oak"
    assert isinstance(config["updated_at_ms"], int)
    # The object keeps its copy in its own SQLite.
    rows = await edge.do_sql("TENANTS", "tenant:autumn", "SELECT key FROM config")
    assert rows == [{"key": "tenant"}]


async def test_unknown_tenant_config_is_none(edge):
    assert await edge.env.TENANTS.getByName("tenant:nobody").get_config() is None


async def test_rpc_refuses_a_tuple_argument(edge):
    stub = edge.env.TENANTS.getByName("tenant:autumn")
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await stub.schedule_alarm_by((1, 2))


async def test_rpc_to_a_missing_method_fails(edge):
    with pytest.raises(Exception, match="no_such_method|does not exist"):
        await edge.env.TENANTS.getByName("tenant:autumn").no_such_method()


async def test_tenant_config_is_cached_for_five_minutes_then_reloaded(edge):
    edge.require("simulated_clock")
    db = edge.env.DB
    await add_tenant(db, "autumn", display_name="Autumn")
    stub = edge.env.TENANTS.getByName("tenant:autumn")
    assert (await stub.get_config())["display_name"] == "Autumn"
    await db.prepare("UPDATE tenants SET display_name = 'Autumn Grove' WHERE subdomain = 'autumn'").run()
    assert (await stub.get_config())["display_name"] == "Autumn"  # still the object's copy
    await edge.advance(5 * 60 * 1000)
    assert (await stub.get_config())["display_name"] == "Autumn Grove"
