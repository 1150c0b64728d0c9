"""The tier migrator end to end on real dates: 400 simulated days with the cron Worker firing
at 03:00 each day (the local runtime's scheduler, as the trigger would), posts published, read
and edited along the way. Posts flow hot -> warm -> cold, a popular one never goes cold, an edit
brings one back to hot, and every page reads the same before and after every run."""

from __future__ import annotations

import pytest

from grove.engagement_d1 import write_view_totals
from grove.tiers import DAY_MS

pytestmark = pytest.mark.usefixtures("tenants")

DAYS = 400
EDIT_DAY = 200
LATER_DAY = 100
# PostMetaDO flushes absolute view totals to D1 hourly (migration 0007); the test writes the
# flush of a post read 150 times a day (> 100/day: popular) through that same function rather
# than make 4,500 page-view beacons a month over HTTP.
POPULAR_VIEWS_30D = 150 * 30


async def _where(platform) -> dict[str, str]:
    rows = (await platform.runtime.d1().prepare("SELECT slug, storage_location FROM posts").all())["results"]
    return {row["slug"]: row["storage_location"] for row in rows}


async def test_400_days_hot_warm_cold_popular_never_cold_an_edit_comes_back(platform, create_post, read, client, auth):
    ids = {slug: (await create_post(slug.title(), f"# {slug}\n\n" + "words " * 300, slug=slug))["id"] for slug in ("quiet", "popular", "edited")}
    history: dict[str, list[str]] = {slug: [] for slug in (*ids, "later")}
    pages: dict[str, bytes] = {}
    for day in range(1, DAYS + 1):
        if day == LATER_DAY:
            ids["later"] = (await create_post("Later", "Written on day 100.", slug="later"))["id"]
        if day == EDIT_DAY:
            reply = await client.put("/api/posts/edited", json={"markdown": "# edited\n\nRevised on day 200."}, headers=auth())
            assert reply.status_code == 200 and (await _where(platform))["edited"] == "d1"  # back at once
        if day in (LATER_DAY, EDIT_DAY):  # a new post changes its neighbours' pages: a new baseline
            pages = {slug: (await read(f"/blog/{slug}")).content for slug in ids}
        await write_view_totals(platform.runtime.d1(), "autumn", ids["popular"], {
            "views": POPULAR_VIEWS_30D * day // 30, "views_30d": POPULAR_VIEWS_30D,
            "daily_uniques_30d": POPULAR_VIEWS_30D, "last_viewed_at_ms": platform.services.now_ms(),
        })
        await platform.runtime.advance(DAY_MS)  # the 03:00 run fires on the way
        where = await _where(platform)
        for slug in ids:
            history[slug].append(where[slug])
            page = await read(f"/blog/{slug}")
            assert page.status_code == 200
            # The same bytes as before this day's run, wherever the content now lives.
            assert pages.setdefault(slug, page.content) == page.content, (slug, day, where[slug])

    def first(slug: str, location: str) -> int:
        return history[slug].index(location) + 1  # the day it got there

    assert first("quiet", "r2") in (30, 31) and first("quiet", "r2_archived") in (365, 366)
    assert "d1" not in history["quiet"][31:] and "r2" not in history["quiet"][366:]
    assert first("popular", "r2") in (30, 31) and "r2_archived" not in history["popular"]
    edited = history["edited"]
    assert edited[EDIT_DAY - 2] == "r2" and edited[EDIT_DAY - 1] == "d1"  # the edit brought it back
    assert edited[EDIT_DAY + 31] == "r2" and edited[-1] == "r2_archived"  # warm again, then cold at a year
    later = history["later"]
    assert later[LATER_DAY + 31 - LATER_DAY] == "r2" and later[-1] == "r2"  # 300 days old: still warm
    runs = (await platform.runtime.d1().prepare(
        "SELECT COUNT(*) AS n, SUM(failed_json != '[]') AS failed FROM migration_runs WHERE dry_run = 0"
    ).first())
    assert runs["n"] == DAYS and runs["failed"] == 0  # one recorded run a day, none failed
