"""The local KV binding against real SQLite files: limits, expiry on the clock, types, paging."""

from __future__ import annotations

import pytest

from local_runtime.bindings.kv import KVError, KVNamespace
from local_runtime.conversion import JsException
from local_runtime.latency import LatencyProfile, RequestTrace, current_trace
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices


@pytest.fixture
def kv(services):
    namespace = KVNamespace(services, "CACHE_KV", "ns-test")
    yield namespace
    namespace.close()


async def test_data_lives_in_a_sqlite_file_and_survives_reopening(services, kv, tmp_path):
    await kv.put("greeting", "hello", metadata={"lang": "en"})
    assert (tmp_path / "state" / "kv" / "ns-test.sqlite3").is_file()
    again = KVNamespace(services, "CACHE_KV", "ns-test")
    try:
        assert await again.get("greeting") == "hello"
        assert (await again.getWithMetadata("greeting"))["metadata"] == {"lang": "en"}
    finally:
        again.close()


async def test_expiration_ttl_below_60_is_refused_with_productions_message(kv):
    with pytest.raises(KVError) as refused:
        await kv.put("k", "v", expirationTtl=59)
    assert str(refused.value) == (
        "KV PUT failed: 400 Invalid expiration_ttl of 59. Expiration TTL must be at least 60."
    )
    assert await kv.get("k") is None  # nothing was written
    await kv.put("k", "v", expirationTtl=60)
    assert await kv.get("k") == "v"


async def test_absolute_expiration_must_be_60_s_ahead(kv, clock):
    now_s = clock.now_ms() // 1000
    with pytest.raises(KVError, match="Expiration times must be at least 60 seconds in the future"):
        await kv.put("k", "v", expiration=now_s + 59)
    with pytest.raises(KVError, match="greater than the current number of seconds"):
        await kv.put("k", "v", expiration=now_s)
    await kv.put("k", "v", expiration=now_s + 60)
    listed = await kv.list()
    assert listed["keys"] == [{"name": "k", "expiration": now_s + 60}]


async def test_a_key_expires_on_the_simulated_clock(kv, clock):
    start_s = clock.now_ms() // 1000
    await kv.put("session:1", "alive", expirationTtl=60)
    await kv.put("forever", "here")

    clock.advance(59_000)
    assert await kv.get("session:1") == "alive"
    listed = await kv.list(prefix="session:")
    assert listed["keys"] == [{"name": "session:1", "expiration": start_s + 60}]

    clock.advance(2_000)
    assert await kv.get("session:1") is None
    assert await kv.getWithMetadata("session:1") == {
        "value": None,
        "metadata": None,
        "cacheStatus": None,
    }
    assert [k["name"] for k in (await kv.list())["keys"]] == ["forever"]


async def test_json_type_round_trip_gives_jsdicts(kv):
    await kv.put("post", '{"title": "Autumn", "tags": ["a", "b"], "score": 2.0, "meta": {"n": 1}}')
    post = await kv.get("post", type="json")
    assert isinstance(post, JsDict)
    assert post.title == "Autumn"
    assert post.meta.n == 1
    assert post["tags"] == ["a", "b"]
    # JSON.parse gives a JS number; Pyodide turns an integral one into int.
    assert post.score == 2 and isinstance(post.score, int)
    # The positional JS form get(key, "json") and an options dict work too.
    assert await kv.get("post", "json") == post
    assert await kv.get("post", {"type": "json"}) == post
    assert await kv.get("missing", "json") is None

    await kv.put("broken", "{not json")
    with pytest.raises(ValueError, match="SyntaxError"):
        await kv.get("broken", type="json")


async def test_array_buffer_comes_back_as_a_memoryview(kv):
    blob = bytes(range(256))
    await kv.put("blob", blob)
    view = await kv.get("blob", type="arrayBuffer")
    assert isinstance(view, memoryview)
    assert bytes(view) == blob
    assert not hasattr(view, "decode")  # what production code cannot do either
    with pytest.raises(TypeError, match="Unknown response type"):
        await kv.get("blob", type="blob")


async def test_values_must_be_strings_or_bytes(kv):
    # workerd throws a JS TypeError for an object value: a JsException in Python, not a
    # Python TypeError, with production's message word for word.
    for value in ({"a": 1}, ["a"]):
        with pytest.raises(JsException) as refused:
            await kv.put("obj", value)
        assert str(refused.value) == (
            "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams "
            "as values."
        )
        assert refused.value.name == "TypeError" and not isinstance(refused.value, TypeError)
    # Production would store String(5) = "5"; the local runtime refuses, and says why.
    with pytest.raises(JsException, match=r"as values \(got int; production would store"):
        await kv.put("num", 5)
    with pytest.raises(TypeError, match="cannot be sent over RPC"):
        await kv.put("ba", bytearray(b"x"))
    too_big = b"x" * (25 * 1024 * 1024 + 1)
    with pytest.raises(KVError) as refused:
        await kv.put("big", too_big)
    assert (
        str(refused.value)
        == "KV PUT failed: 413 Value length of 26214401 exceeds limit of 26214400."
    )


async def test_metadata_round_trip_and_its_1024_byte_limit(kv):
    await kv.put("k", "v", metadata={"author": "ana", "draft": False, "rev": [1, 2]})
    got = await kv.getWithMetadata("k")
    assert got == {
        "value": "v",
        "metadata": {"author": "ana", "draft": False, "rev": [1, 2]},
        "cacheStatus": None,
    }
    assert got.metadata.author == "ana"
    listed = await kv.list()
    assert listed["keys"][0]["metadata"] == {"author": "ana", "draft": False, "rev": [1, 2]}

    # {"p":"xxx..."} is 8 bytes of JSON around the string.
    await kv.put("fits", "v", metadata={"p": "x" * (1024 - 8)})
    with pytest.raises(KVError) as refused:
        await kv.put("over", "v", metadata={"p": "x" * (1024 - 7)})
    assert str(refused.value) == "KV PUT failed: 413 Metadata length of 1025 exceeds limit of 1024."
    assert await kv.get("over") is None
    # Only the JS name exists in production's SDK, so only it exists here.
    assert not hasattr(kv, "get_with_metadata")


async def test_key_limits(kv):
    key_512 = "é" * 256  # 512 bytes of UTF-8
    await kv.put(key_512, "ok")
    assert await kv.get(key_512) == "ok"
    with pytest.raises(KVError) as refused:
        await kv.put(key_512 + "a", "no")
    assert str(refused.value) == (
        "KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512."
    )
    with pytest.raises(KVError, match="KV GET failed: 414"):
        await kv.get("k" * 513)
    with pytest.raises(TypeError, match="Key name cannot be empty"):
        await kv.get("")
    with pytest.raises(TypeError, match='"\\.\\." is not allowed as a key name'):
        await kv.put("..", "v")


async def test_cache_ttl_is_validated_then_ignored(kv):
    await kv.put("k", "v")
    assert await kv.get("k", cacheTtl=30) == "v"
    with pytest.raises(KVError, match="Invalid cache_ttl of 29. Cache TTL must be at least 30."):
        await kv.get("k", cacheTtl=29)


async def test_list_pages_through_2500_keys_with_a_cursor(kv):
    names = [f"item:{i:05d}" for i in range(2500)]
    for name in names:
        await kv.put(name, "v")
    for i in range(5):
        await kv.put(f"other:{i}", "v")

    pages = []
    cursor = None
    while True:
        page = await kv.list(prefix="item:", cursor=cursor)
        pages.append(page)
        if page["list_complete"]:
            assert "cursor" not in page
            break
        cursor = page["cursor"]
        assert isinstance(cursor, str) and cursor
    assert [len(p["keys"]) for p in pages] == [1000, 1000, 500]
    assert [k["name"] for p in pages for k in p["keys"]] == names

    small = await kv.list(prefix="other:", limit=2)
    # `small.keys` is dict.keys, in production's JsDict as here: index the "keys" field.
    assert [k.name for k in small["keys"]] == ["other:0", "other:1"]
    assert small.list_complete is False
    rest = await kv.list(prefix="other:", limit=2, cursor=small.cursor)
    assert [k.name for k in rest["keys"]] == ["other:2", "other:3"]

    with pytest.raises(KVError, match="Invalid key_count_limit of 1001"):
        await kv.list(limit=1001)


async def test_list_orders_by_utf8_bytes(kv):
    for name in ["é", "a", "B", "z", "Z"]:
        await kv.put(name, "v")
    assert [k["name"] for k in (await kv.list())["keys"]] == ["B", "Z", "a", "z", "é"]


async def test_delete_removes_the_key(kv):
    await kv.put("k", "v")
    await kv.delete("k")
    await kv.delete("never-there")
    assert await kv.get("k") is None
    assert (await kv.list())["keys"] == []


async def test_counters_and_modelled_latency(tmp_path, clock):
    services = RuntimeServices(state_dir=tmp_path / "s", clock=clock, latency=LatencyProfile())
    kv = KVNamespace(services, "KV", "counted")
    trace = RequestTrace()
    token = current_trace.set(trace)
    try:
        start_ms = clock.now_ms()
        await kv.put("k", "v")
        await kv.get("k")
        await kv.getWithMetadata("missing")
        await kv.list()
        services.location = "sin"
        await kv.get("k")  # cold: sin has no copy yet, so the central store answers
        await kv.get("k")  # hot: sin's copy
        await kv.delete("k")
    finally:
        current_trace.reset(token)
        kv.close()
    stats = services.stats
    assert (stats.get("kv.reads"), stats.get("kv.writes")) == (4, 1)
    assert (stats.get("kv.read_hits"), stats.get("kv.location_hits")) == (3, 2)
    assert (stats.get("kv.lists"), stats.get("kv.deletes")) == (1, 1)
    # A read answered by the location's own copy (its write, or an earlier read) is a hot read.
    assert trace.ops == {"kv_write": 2, "kv_read_hit": 2, "kv_read_miss": 3}
    # 2 writes x 30 + 2 hot reads x 1 + 3 cold reads x 30, charged to the simulated clock too.
    assert trace.modelled_ms == 152.0
    assert clock.now_ms() - start_ms == 152


# --- locations: KV's documented eventual consistency ---------------------------------------------


async def test_a_write_is_visible_at_once_where_it_was_made_and_within_60_s_elsewhere(services, kv, clock):
    # KV docs ("How KV works", Consistency): a location that recently read a key keeps its copy
    # until the copy times out (cacheTtl, 60 s by default); the writing location sees the write.
    services.location = "ams"
    await kv.put("k", "one")
    services.location = "sin"
    assert await kv.get("k") == "one"  # sin's copy, read at t=0
    services.location = "ams"
    await kv.put("k", "two")
    assert await kv.get("k") == "two"  # the writing location: at once
    services.location = "sin"
    clock.advance(59_000)
    assert await kv.get("k") == "one"  # sin still answers from its copy...
    clock.advance(1_000)
    assert await kv.get("k") == "two"  # ...until it is 60 s old
    services.location = "iad"
    assert await kv.get("k") == "two"  # a location that never read it goes to the central store


async def test_negative_lookups_are_cached_per_location_too(services, kv, clock):
    services.location = "sin"
    assert await kv.get("new") is None
    services.location = "ams"
    await kv.put("new", "here")
    services.location = "sin"
    assert await kv.get("new") is None  # "the same delay exists noticing a value is created"
    clock.advance(60_000)
    assert await kv.get("new") == "here"


async def test_deletes_propagate_like_writes(services, kv, clock):
    await kv.put("k", "v")
    services.location = "sin"
    assert await kv.get("k") == "v"
    services.location = ""
    await kv.delete("k")
    assert await kv.get("k") is None
    services.location = "sin"
    assert await kv.get("k") == "v"
    clock.advance(60_000)
    assert await kv.get("k") is None


async def test_cache_ttl_sets_how_long_a_location_answers_from_its_copy(services, kv, clock):
    services.location = "sin"
    await kv.put("k", "one")
    services.location = "ams"
    assert await kv.get("k", cacheTtl=300) == "one"
    services.location = "sin"
    await kv.put("k", "two")
    services.location = "ams"
    clock.advance(120_000)
    assert await kv.get("k", cacheTtl=300) == "one"  # a longer cacheTtl: staler for longer
    # "The effective cacheTtl of an already cached item can be reduced by getting it again
    # with a lower cacheTtl" (docs "Read key-value pairs"): the default 60 s makes it refresh.
    assert await kv.get("k") == "two"


async def test_a_locations_copy_never_outlives_the_values_expiration(services, kv, clock):
    await kv.put("k", "v", expirationTtl=60)
    services.location = "sin"
    clock.advance(30_000)
    assert await kv.get("k", cacheTtl=300) == "v"
    clock.advance(30_000)
    assert await kv.get("k", cacheTtl=300) is None
