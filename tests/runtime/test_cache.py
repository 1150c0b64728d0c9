"""The local Cache API against its real SQLite file, on a simulated clock."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from local_runtime.bindings.cache import CacheStorage
from local_runtime.gates import InputGate
from local_runtime.latency import LatencyProfile, RequestTrace, current_trace
from local_runtime.services import RuntimeServices
from workers import Request, Response

URL = "https://blog.example.com/feed"
SECOND_MS = 1000
MINUTE_MS = 60 * SECOND_MS


@pytest.fixture
def caches(services: RuntimeServices):
    storage = CacheStorage(services)
    yield storage
    storage.close()


def stored_rows(services: RuntimeServices) -> int:
    with sqlite3.connect(services.state_dir / "cache" / "cache.sqlite3") as conn:
        return conn.execute("SELECT COUNT(*) FROM cache_entries").fetchone()[0]


def resp(body: str = "hello", status: int = 200, **headers: str) -> Response:
    return Response(
        body, status=status, headers={k.replace("_", "-"): v for k, v in headers.items()}
    )


# --- round trip -----------------------------------------------------------------------------


async def test_put_match_delete_round_trip(caches, services):
    original = resp("feed body", cache_control="public, max-age=300", etag='"v1"')
    assert await caches.default.put(URL, original) is None
    # Production disturbs the body as soon as put() returns.
    assert original.body_used

    hit = await caches.default.match(URL)
    assert hit is not None
    assert hit.status == 200
    assert await hit.text() == "feed body"
    assert hit.headers["etag"] == '"v1"'
    assert hit.headers["content-type"] == "text/plain;charset=UTF-8"
    assert hit.headers["cf-cache-status"] == "HIT"
    assert hit.headers["content-length"] == "9"
    assert stored_rows(services) == 1

    # Each match is a fresh Response: reading one does not use up the next.
    again = await caches.default.match(Request(URL))
    assert await again.text() == "feed body"

    assert await caches.default.delete(URL) is True
    assert await caches.default.match(URL) is None
    assert await caches.default.delete(URL) is False
    assert stored_rows(services) == 0


async def test_entries_survive_a_new_cache_storage_on_the_same_state_dir(caches, services):
    await caches.default.put(URL, resp("kept", cache_control="max-age=600"))
    reopened = CacheStorage(services)
    try:
        hit = await reopened.default.match(URL)
        assert hit is not None and await hit.text() == "kept"
    finally:
        reopened.close()


async def test_put_replaces_an_existing_entry(caches):
    await caches.default.put(URL, resp("old", cache_control="max-age=60"))
    await caches.default.put(URL, resp("new", cache_control="max-age=60"))
    assert await (await caches.default.match(URL)).text() == "new"


async def test_status_and_status_text_are_kept(caches):
    await caches.default.put(
        URL,
        Response("gone", status=410, status_text="Gone", headers={"cache-control": "max-age=60"}),
    )
    hit = await caches.default.match(URL)
    assert (hit.status, hit.status_text) == (410, "Gone")


# --- freshness --------------------------------------------------------------------------------


async def test_s_maxage_60_is_fresh_at_59_seconds_and_gone_at_61(caches, services, clock):
    await caches.default.put(URL, resp(cache_control="s-maxage=60"))
    clock.advance(59 * SECOND_MS)
    assert await caches.default.match(URL) is not None
    clock.advance(2 * SECOND_MS)
    assert await caches.default.match(URL) is None
    # The expired entry was purged from the file, not just hidden.
    assert stored_rows(services) == 0


async def test_s_maxage_takes_precedence_over_max_age(caches, clock):
    await caches.default.put(URL, resp(cache_control="max-age=10, s-maxage=100"))
    await caches.default.put(URL + "?short", resp(cache_control="max-age=100, s-maxage=10"))
    clock.advance(50 * SECOND_MS)
    assert await caches.default.match(URL) is not None
    assert await caches.default.match(URL + "?short") is None


async def test_max_age_alone_sets_the_ttl(caches, clock):
    await caches.default.put(URL, resp(cache_control="public, max-age=120"))
    clock.advance(119 * SECOND_MS)
    assert await caches.default.match(URL) is not None
    clock.advance(1 * SECOND_MS)
    assert await caches.default.match(URL) is None


async def test_expires_relative_to_date_header(caches, clock):
    await caches.default.put(
        URL,
        resp(date="Thu, 01 Jan 2026 00:00:00 GMT", expires="Thu, 01 Jan 2026 00:05:00 GMT"),
    )
    clock.advance(4 * MINUTE_MS)
    assert await caches.default.match(URL) is not None
    clock.advance(2 * MINUTE_MS)
    assert await caches.default.match(URL) is None


async def test_invalid_expires_means_already_expired(caches):
    await caches.default.put(URL, resp(expires="0"))
    assert await caches.default.match(URL) is None


async def test_age_header_uses_up_part_of_the_lifetime(caches, clock):
    await caches.default.put(URL, resp(cache_control="max-age=100", age="90"))
    clock.advance(11 * SECOND_MS)
    assert await caches.default.match(URL) is None


async def test_default_edge_ttl_by_status_when_no_freshness_headers(caches, clock):
    await caches.default.put(URL + "/ok", resp("ok"))  # 200: 120 minutes
    await caches.default.put(URL + "/missing", resp("nope", status=404))  # 404: 3 minutes
    await caches.default.put(URL + "/error", resp("boom", status=500))  # not cached by default
    assert await caches.default.match(URL + "/error") is None
    clock.advance(3 * MINUTE_MS - SECOND_MS)
    assert await caches.default.match(URL + "/missing") is not None
    clock.advance(2 * SECOND_MS)
    assert await caches.default.match(URL + "/missing") is None
    clock.advance(116 * MINUTE_MS)
    assert await caches.default.match(URL + "/ok") is not None
    clock.advance(2 * MINUTE_MS)
    assert await caches.default.match(URL + "/ok") is None


async def test_explicit_max_age_caches_a_status_with_no_default_ttl(caches):
    await caches.default.put(URL, resp("boom", status=500, cache_control="max-age=30"))
    hit = await caches.default.match(URL)
    assert hit is not None and hit.status == 500


async def test_stale_while_revalidate_does_not_extend_a_cache_put_entry(caches, clock):
    await caches.default.put(URL, resp(cache_control="max-age=10, stale-while-revalidate=600"))
    clock.advance(11 * SECOND_MS)
    assert await caches.default.match(URL) is None


# --- what is not stored ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "cache_control",
    [
        "no-store",
        "private",
        "private, max-age=600",
        "public, no-store, max-age=600",
        "no-cache",
        "max-age=0",
        "s-maxage=0, max-age=600",
    ],
)
async def test_uncacheable_cache_control_is_silently_not_stored(caches, services, cache_control):
    assert await caches.default.put(URL, resp(cache_control=cache_control)) is None
    assert await caches.default.match(URL) is None
    assert stored_rows(services) == 0


async def test_set_cookie_responses_are_not_cached(caches, services):
    response = resp(cache_control="public, max-age=600", set_cookie="session=abc; HttpOnly")
    assert await caches.default.put(URL, response) is None
    assert await caches.default.match(URL) is None
    assert stored_rows(services) == 0


async def test_private_set_cookie_stores_the_response_without_the_cookie(caches):
    response = resp(cache_control="private=Set-Cookie, max-age=600", set_cookie="session=abc")
    await caches.default.put(URL, response)
    hit = await caches.default.match(URL)
    assert hit is not None
    assert "set-cookie" not in hit.headers
    assert await hit.text() == "hello"


async def test_authorization_on_the_key_needs_public_or_s_maxage(caches):
    key = Request(URL, headers={"authorization": "Bearer t"})
    await caches.default.put(key, resp(cache_control="max-age=600"))
    assert await caches.default.match(URL) is None
    await caches.default.put(key, resp(cache_control="public, max-age=600"))
    assert await caches.default.match(URL) is not None


async def test_cdn_cache_control_is_not_read_by_cache_put(caches):
    # Documented choice: the Cache API honours Cache-Control/Expires, not the CDN-targeted headers.
    response = resp(cache_control="max-age=600", cdn_cache_control="no-store")
    await caches.default.put(URL, response)
    hit = await caches.default.match(URL)
    assert hit is not None
    assert hit.headers["cdn-cache-control"] == "no-store"


# --- invalid puts ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "HEAD", "DELETE"])
async def test_put_with_a_non_get_request_raises(caches, method):
    with pytest.raises(TypeError, match="Cannot cache response to non-GET request"):
        await caches.default.put(Request(URL, method=method), resp())


async def test_put_of_a_206_raises(caches):
    partial = Response("he", status=206, headers={"content-range": "bytes 0-1/5"})
    with pytest.raises(TypeError, match=r"range request \(206 Partial Content\)"):
        await caches.default.put(URL, partial)


async def test_put_with_vary_star_raises(caches):
    with pytest.raises(TypeError, match="Vary: \\*"):
        await caches.default.put(URL, resp(vary="accept-encoding, *"))


async def test_put_of_a_304_is_silently_discarded(caches, services):
    assert (
        await caches.default.put(URL, Response(None, status=304, headers={"etag": '"v1"'})) is None
    )
    assert await caches.default.match(URL) is None
    assert services.stats.get("cache.puts") == 0


async def test_put_of_a_used_body_raises(caches):
    response = resp(cache_control="max-age=60")
    await response.text()
    with pytest.raises(TypeError, match="Body has already been used"):
        await caches.default.put(URL, response)


async def test_relative_url_is_rejected(caches):
    with pytest.raises(TypeError, match="fully-qualified"):
        await caches.default.put("/feed", resp())


# --- match options and conditional requests -------------------------------------------------


async def test_non_get_match_misses_unless_ignore_method(caches):
    await caches.default.put(URL, resp(cache_control="max-age=60"))
    assert await caches.default.match(Request(URL, method="POST")) is None
    assert await caches.default.match(Request(URL, method="HEAD")) is None
    hit = await caches.default.match(Request(URL, method="POST"), ignoreMethod=True)
    assert hit is not None and await hit.text() == "hello"
    assert await caches.default.delete(Request(URL, method="POST")) is False
    assert await caches.default.delete(Request(URL, method="POST"), ignoreMethod=True) is True


async def test_if_none_match_with_the_stored_etag_gives_304(caches):
    await caches.default.put(URL, resp(cache_control="max-age=60", etag='"v7"'))
    not_modified = await caches.default.match(
        Request(URL, headers={"if-none-match": '"v6", W/"v7"'})
    )
    assert not_modified.status == 304
    assert not_modified.headers["etag"] == '"v7"'
    assert await not_modified.bytes() == b""
    changed = await caches.default.match(Request(URL, headers={"if-none-match": '"v6"'}))
    assert changed.status == 200 and await changed.text() == "hello"
    star = await caches.default.match(Request(URL, headers={"if-none-match": "*"}))
    assert star.status == 304


async def test_if_modified_since_gives_304_when_not_modified(caches):
    await caches.default.put(
        URL, resp(cache_control="max-age=60", last_modified="Wed, 31 Dec 2025 12:00:00 GMT")
    )
    later = Request(URL, headers={"if-modified-since": "Wed, 31 Dec 2025 13:00:00 GMT"})
    earlier = Request(URL, headers={"if-modified-since": "Wed, 31 Dec 2025 11:00:00 GMT"})
    assert (await caches.default.match(later)).status == 304
    assert (await caches.default.match(earlier)).status == 200


async def test_range_request_gives_206(caches):
    await caches.default.put(URL, resp("0123456789", cache_control="max-age=60"))
    part = await caches.default.match(Request(URL, headers={"range": "bytes=2-5"}))
    assert part.status == 206
    assert await part.text() == "2345"
    assert part.headers["content-range"] == "bytes 2-5/10"
    suffix = await caches.default.match(Request(URL, headers={"range": "bytes=-3"}))
    assert await suffix.text() == "789"
    multi = await caches.default.match(Request(URL, headers={"range": "bytes=0-1,8-"}))
    assert multi.status == 206
    assert multi.headers["content-type"].startswith("multipart/byteranges; boundary=")
    body = await multi.bytes()
    assert b"Content-Range: bytes 0-1/10\r\n\r\n01\r\n" in body
    assert b"Content-Range: bytes 8-9/10\r\n\r\n89\r\n" in body
    unsatisfiable = await caches.default.match(Request(URL, headers={"range": "bytes=50-"}))
    assert unsatisfiable.status == 416
    assert unsatisfiable.headers["content-range"] == "bytes */10"


# --- namespaces, counters, latency ----------------------------------------------------------


async def test_named_caches_are_separate(caches):
    posts = await caches.open("posts")
    feeds = await caches.open("feeds")
    await posts.put(URL, resp("from posts", cache_control="max-age=60"))
    assert await caches.default.match(URL) is None
    assert await feeds.match(URL) is None
    # A second open() of the same name sees the same entries.
    assert await (await (await caches.open("posts")).match(URL)).text() == "from posts"
    # A cache literally named "default" is still not caches.default.
    await caches.default.put(URL, resp("from default", cache_control="max-age=60"))
    assert await (await caches.open("default")).match(URL) is None
    assert await (await posts.match(URL)).text() == "from posts"
    assert await (await caches.default.match(URL)).text() == "from default"


async def test_cache_name_length_limit(caches):
    with pytest.raises(TypeError, match="Cache name is too long"):
        await caches.open("x" * 1024)


async def test_counters(caches, services):
    await caches.default.put(URL, resp(cache_control="max-age=60"))
    await caches.default.put(URL + "/private", resp(cache_control="private"))  # reaches the cache
    await caches.default.match(URL)
    await caches.default.match(URL)
    await caches.default.match(URL + "/private")
    await caches.default.match(Request(URL, method="POST"))  # answered without the cache
    await caches.default.delete(URL)
    await caches.default.delete(URL)
    stats = services.stats
    assert stats.get("cache.puts") == 2
    assert stats.get("cache.hits") == 2
    assert stats.get("cache.misses") == 1
    assert stats.get("cache.deletes") == 2


async def test_modelled_latency_is_charged_per_operation(caches, services):
    services.latency = LatencyProfile()
    trace = RequestTrace()
    token = current_trace.set(trace)
    try:
        await caches.default.match(URL)
        await caches.default.put(URL, resp(cache_control="max-age=60"))
        await caches.default.match(URL)
    finally:
        current_trace.reset(token)
    assert trace.ops == {"cache_miss": 2, "cache_hit": 1}
    assert trace.modelled_ms == pytest.approx(1.5)


async def test_cache_operations_open_a_durable_objects_input_gate(caches):
    # Cache calls are I/O other than storage: while one is in flight, a second event may start.
    gate = InputGate()
    order: list[str] = []

    async def first_event() -> None:
        order.append("first: before match")
        await caches.default.match(URL)
        order.append("first: after match")

    async def second_event() -> None:
        order.append("second")

    # Both events are queued; the first takes the gate, the second waits for it.
    await asyncio.gather(gate.run_event(first_event), gate.run_event(second_event))
    assert order == ["first: before match", "second", "first: after match"]


# --- locations and the zone's purge by tag --------------------------------------------------------


async def test_each_location_has_its_own_entries_and_a_zone_purge_reaches_all_of_them(caches, services):
    from local_runtime.zone import ZoneApi
    from workers import fetch

    tagged = {"cache_control": "max-age=3600", "cache_tag": "t-a,P-A-1"}
    for location in ("ams", "sin"):
        services.location = location
        await caches.default.put(URL, resp(location, **tagged))
        await caches.default.put(URL + "/other", resp("untagged", cache_control="max-age=3600"))
    services.location = "ams"
    assert await (await caches.default.match(URL)).text() == "ams"
    services.location = "iad"
    assert await caches.default.match(URL) is None  # never stored in iad

    zone = ZoneApi(caches.purge_tags, zone_id="z1", api_token="tok", base_url="http://zone.test/client/v4")
    zone.open()
    try:
        url = "http://zone.test/client/v4/zones/z1/purge_cache"
        refused = await fetch(url, method="POST", headers={"authorization": "Bearer nope"}, body='{"tags": ["p-a-1"]}')
        assert refused.status == 403 and (await refused.json())["success"] is False
        reply = await fetch(url, method="POST", headers={"authorization": "Bearer tok"}, body='{"tags": ["p-a-1"]}')
        assert reply.status == 200 and (await reply.json())["success"] is True
    finally:
        zone.close()
    assert zone.purged_tags == ["p-a-1"]
    for location in ("ams", "sin"):  # tags compare without case; untagged entries stay
        services.location = location
        assert await caches.default.match(URL) is None
        assert await (await caches.default.match(URL + "/other")).text() == "untagged"
