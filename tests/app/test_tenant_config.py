"""TenantDO serves tenant config from its own storage, reloads from D1 at most every 5
minutes, and says None for unknown tenants; readers see config changes within that bound."""

from __future__ import annotations

import pytest
from client_kinds import BROWSER

from grove.tenancy import tenant_stub

FIVE_MIN_MS = 5 * 60_000


def _stub(platform, subdomain: str = "autumn"):
    return tenant_stub(platform.runtime.worker().env, subdomain)


async def _rename(platform, name: str) -> None:
    await platform.runtime.d1().prepare("UPDATE tenants SET display_name = ? WHERE subdomain = 'autumn'").bind(name).run()


@pytest.mark.usefixtures("tenants")
async def test_config_comes_from_storage_and_reloads_every_five_minutes(platform, clock, d1_queries):
    stub = _stub(platform)
    clock.advance(FIVE_MIN_MS)
    before = d1_queries()
    config = await stub.get_config()
    assert config["display_name"] == "Autumn's Grove" and config["theme"]["accent"] == "#b5542c" and config["tier"] == "oak"
    assert d1_queries() == before + 1
    await _rename(platform, "Autumn Renamed")
    clock.advance(FIVE_MIN_MS - 1)
    for _ in range(10):
        assert (await stub.get_config())["display_name"] == "Autumn's Grove"
    assert d1_queries() == before + 2  # only the rename above
    clock.advance(1)
    assert (await stub.get_config())["display_name"] == "Autumn Renamed"
    assert d1_queries() == before + 3


@pytest.mark.usefixtures("tenants")
async def test_config_survives_eviction_in_the_objects_storage(platform, d1_queries):
    stub = _stub(platform)
    await stub.get_config()
    platform.runtime.evict_all()
    before = d1_queries()
    assert (await stub.get_config())["subdomain"] == "autumn"
    assert d1_queries() == before  # a new instance read its own SQLite, not D1
    namespace = platform.runtime.namespaces[("grove-edge", "TenantDO")]
    instance = await namespace.instance_for_test(stub)
    (row,) = instance.sql.exec("SELECT key, value FROM config").toArray()
    assert row["key"] == "tenant" and '"display_name": "Autumn\'s Grove"' in row["value"]


async def test_unknown_tenant_is_none_and_remembered(platform, d1_queries):
    stub = _stub(platform, "nobody")
    assert await stub.get_config() is None
    before = d1_queries()
    assert await stub.get_config() is None
    assert d1_queries() == before


@pytest.mark.usefixtures("tenants")
async def test_readers_see_a_renamed_tenant_within_five_minutes(platform, clock, read, create_post):
    await _rename(platform, "Autumn Renamed")
    clock.advance(FIVE_MIN_MS)
    assert "Autumn Renamed" in (await read("/blog/nothing", headers=BROWSER)).text  # 404 pages are never cached


async def test_tenant_create_is_visible_at_once_even_after_a_404(platform, client):
    from grove_dev.seed import create_tenant

    assert (await client.get("http://birch.localhost:8787/")).status_code == 404
    await create_tenant(platform.runtime, "birch", "Birch Log")
    reply = await client.get("http://birch.localhost:8787/")
    assert reply.status_code == 200 and "Birch Log" in reply.text
