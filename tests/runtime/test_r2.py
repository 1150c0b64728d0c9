"""The local R2 binding against real files and SQLite: bodies, etags, metadata, conditions,
ranges, listing and persistence."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from local_runtime.bindings.r2 import R2Bucket, R2Error, R2Object, R2ObjectBody
from local_runtime.clock import SimulatedClock
from local_runtime.conversion import JsException
from local_runtime.latency import LatencyProfile, RequestTrace, current_trace
from local_runtime.sdk_types import JsDict
from local_runtime.services import RuntimeServices
from workers import Headers


@pytest.fixture
def bucket(services):
    b = R2Bucket(services, "CONTENT", "grove-content")
    yield b
    b.close()


def body_files(bucket: R2Bucket) -> list[str]:
    return sorted(p.name for p in bucket.objects_dir.iterdir())


async def test_put_and_get_text_and_bytes(bucket, clock):
    put = await bucket.put("posts/hello.md", "# Hello, autumn")
    assert isinstance(put, R2Object) and not isinstance(put, R2ObjectBody)
    assert (put.key, put.size, put.storageClass) == ("posts/hello.md", 15, "Standard")
    assert put.uploaded == dt.datetime(2026, 1, 1)  # naive UTC, like the SDK's datetime
    assert put.range is None

    got = await bucket.get("posts/hello.md")
    assert isinstance(got, R2ObjectBody)
    assert got.version == put.version and len(got.version) == 32
    assert await got.text() == "# Hello, autumn"

    raw = bytes([0, 255, 128, 10]) * 100
    await bucket.put("img/raw.bin", raw)
    got = await bucket.get("img/raw.bin")
    view = await got.arrayBuffer()
    assert isinstance(view, memoryview) and bytes(view) == raw

    empty = await bucket.put("empty", None)
    assert empty.size == 0
    assert await (await bucket.get("empty")).text() == ""

    assert await bucket.get("missing") is None


async def test_etag_forms_and_checksums(bucket):
    body = b"feed item"
    md5 = hashlib.md5(body)
    put = await bucket.put("feed.json", body)
    assert put.etag == md5.hexdigest()
    assert put.httpEtag == f'"{md5.hexdigest()}"'
    assert bytes(put.checksums.md5) == md5.digest()
    assert put.checksums.sha256 is None
    assert put.checksums.toJSON() == {"md5": md5.hexdigest()}

    sha = hashlib.sha256(body).hexdigest()
    with_sha = await bucket.put("feed.json", body, sha256=sha)
    assert with_sha.checksums.toJSON() == {"md5": md5.hexdigest(), "sha256": sha}
    with pytest.raises(R2Error) as refused:
        await bucket.put("feed.json", body, md5="0" * 32)
    assert str(refused.value).startswith(
        "put: The MD5 checksum you specified did not match what we received."
    )
    assert str(refused.value).endswith("(10037)")
    with pytest.raises(TypeError, match="multiple hashing algorithms"):
        await bucket.put("feed.json", body, md5=md5.hexdigest(), sha256=sha)


async def test_body_can_be_read_once(bucket):
    await bucket.put("k", '{"a": [1, 2.0]}')
    got = await bucket.get("k")
    data = await got.json()
    assert isinstance(data, JsDict) and data.a == [1, 2]
    with pytest.raises(TypeError, match="Body has already been used"):
        await got.text()


async def test_head_and_delete(bucket):
    await bucket.put("a.txt", "aaaa")
    await bucket.put("b.txt", "bb")
    await bucket.put("c.txt", "c")
    head = await bucket.head("a.txt")
    assert isinstance(head, R2Object) and not hasattr(head, "text")
    assert (head.size, head.range) == (4, {"offset": 0, "length": 4})
    assert await bucket.head("nope") is None
    assert len(body_files(bucket)) == 3

    await bucket.delete("a.txt")
    await bucket.delete(["b.txt", "never-existed"])
    assert await bucket.head("a.txt") is None
    assert await bucket.get("b.txt") is None
    assert [o.key for o in (await bucket.list())["objects"]] == ["c.txt"]
    assert len(body_files(bucket)) == 1  # bodies go with their rows


async def test_overwrite_replaces_the_body_file_and_leaves_no_temp_files(bucket):
    first = await bucket.put("k", "one")
    second = await bucket.put("k", "two")
    assert first.version != second.version
    files = body_files(bucket)
    assert len(files) == 1 and files[0].endswith(second.version)
    assert await (await bucket.get("k")).text() == "two"


async def test_list_prefix_delimiter_and_cursor_paging(bucket):
    for i in range(1050):
        await bucket.put(f"logs/{i:04d}.txt", "x")
    await bucket.put("logs/archive/2025.txt", "x")
    await bucket.put("logs/archive/2024.txt", "x")
    await bucket.put("img/a.png", "x")
    await bucket.put("readme", "x")

    first = await bucket.list(prefix="logs/")
    assert len(first["objects"]) == 1000 and first["truncated"] is True
    second = await bucket.list(prefix="logs/", cursor=first["cursor"])
    assert len(second["objects"]) == 52 and second["truncated"] is False
    assert "cursor" not in second
    keys = [o.key for o in first["objects"] + second["objects"]]
    assert keys == sorted(keys) and len(set(keys)) == 1052

    root = await bucket.list(delimiter="/")
    assert [o.key for o in root["objects"]] == ["readme"]
    assert root["delimitedPrefixes"] == ["img/", "logs/"]

    # A delimited prefix counts towards the limit like an object and never repeats.
    seen_objects, seen_prefixes, cursor, pages = [], [], None, 0
    while True:
        page = await bucket.list(prefix="logs/", delimiter="/", limit=300, cursor=cursor)
        pages += 1
        assert len(page["objects"]) + len(page["delimitedPrefixes"]) <= 300
        seen_objects += [o.key for o in page["objects"]]
        seen_prefixes += page["delimitedPrefixes"]
        if not page["truncated"]:
            break
        cursor = page["cursor"]
    assert pages == 4
    assert len(seen_objects) == 1050
    assert seen_prefixes == ["logs/archive/"]

    with pytest.raises(R2Error) as refused:
        await bucket.list(limit=1001)
    assert str(refused.value) == "list: MaxKeys params must be positive integer <= 1000. (10022)"


async def test_list_start_after_and_include(bucket):
    for key in ["a", "b", "c"]:
        await bucket.put(key, key, httpMetadata={"contentType": "text/plain"})
    listed = await bucket.list(startAfter="a")
    assert [o.key for o in listed["objects"]] == ["b", "c"]
    # Without `include`, production leaves httpMetadata undefined.
    assert listed["objects"][0].httpMetadata is None
    with pytest.raises(TypeError, match="Did you forget to add 'httpMetadata'"):
        listed["objects"][0].writeHttpMetadata(Headers())
    included = await bucket.list(include=["httpMetadata", "customMetadata"])
    assert included["objects"][0].httpMetadata == {"contentType": "text/plain"}
    assert included["objects"][0].customMetadata == {}
    with pytest.raises(ValueError, match="Unsupported include value size"):
        await bucket.list(include=["size"])


async def test_conditional_get(bucket, clock):
    put = await bucket.put("post", "body")
    stale = await bucket.get("post", onlyIf={"etagMatches": "0" * 32})
    # A failed condition still answers the object's metadata, without a body.
    assert isinstance(stale, R2Object) and not isinstance(stale, R2ObjectBody)
    assert stale.etag == put.etag and not hasattr(stale, "text")

    fresh = await bucket.get("post", onlyIf={"etagMatches": put.etag})
    assert await fresh.text() == "body"
    not_modified = await bucket.get("post", onlyIf={"etagDoesNotMatch": put.etag})
    assert not isinstance(not_modified, R2ObjectBody)

    clock.advance(10_000)
    uploaded = put.uploaded
    after = await bucket.get("post", onlyIf={"uploadedAfter": uploaded - dt.timedelta(seconds=1)})
    assert isinstance(after, R2ObjectBody)
    later = await bucket.get("post", onlyIf={"uploadedAfter": uploaded + dt.timedelta(seconds=1)})
    assert not isinstance(later, R2ObjectBody)

    # The object form takes etags unquoted; Headers take them quoted.
    # A JS TypeError from workerd: a JsException in Python, which `except TypeError` misses.
    with pytest.raises(
        JsException, match=r"^Conditional ETag should not be wrapped in quotes \(\""
    ) as quoted:
        await bucket.get("post", onlyIf={"etagMatches": put.httpEtag})
    assert quoted.value.name == "TypeError" and not isinstance(quoted.value, TypeError)
    headers = Headers({"If-None-Match": put.httpEtag})
    assert not isinstance(await bucket.get("post", onlyIf=headers), R2ObjectBody)


async def test_conditional_put(bucket):
    created = await bucket.put("lock", "first", onlyIf={"etagDoesNotMatch": "*"})
    assert created is not None
    refused = await bucket.put("lock", "second", onlyIf={"etagDoesNotMatch": "*"})
    assert refused is None
    assert await (await bucket.get("lock")).text() == "first"
    assert len(body_files(bucket)) == 1  # the refused body was not kept

    swapped = await bucket.put("lock", "third", onlyIf={"etagMatches": created.etag})
    assert swapped is not None
    assert await bucket.put("lock", "fourth", onlyIf={"etagMatches": created.etag}) is None
    assert await (await bucket.get("lock")).text() == "third"
    # etagMatches on a missing object fails: there is nothing to match.
    assert await bucket.put("absent", "x", onlyIf={"etagMatches": created.etag}) is None


async def test_range_reads(bucket):
    await bucket.put("abc", "abcdefghij")

    async def read(range_):
        got = await bucket.get("abc", range=range_)
        return got.range, await got.text(), got.size

    assert await read({"offset": 2, "length": 3}) == ({"offset": 2, "length": 3}, "cde", 10)
    assert await read({"offset": 7}) == ({"offset": 7, "length": 3}, "hij", 10)
    assert await read({"suffix": 4}) == ({"offset": 6, "length": 4}, "ghij", 10)
    assert await read({"suffix": 50}) == ({"offset": 0, "length": 10}, "abcdefghij", 10)
    assert await read({"offset": 8, "length": 10}) == ({"offset": 8, "length": 2}, "ij", 10)
    assert await read(Headers({"Range": "bytes=0-1"})) == ({"offset": 0, "length": 2}, "ab", 10)
    whole = await bucket.get("abc")
    assert whole.range == {"offset": 0, "length": 10}

    with pytest.raises(R2Error) as refused:
        await bucket.get("abc", range={"offset": 11})
    assert str(refused.value) == "get: The requested range is not satisfiable (10039)"
    with pytest.raises(TypeError, match="Suffix is incompatible with offset"):
        await bucket.get("abc", range={"offset": 1, "suffix": 2})
    with pytest.raises(ValueError, match="must be greater than or equal to 0"):
        await bucket.get("abc", range={"offset": -1})


async def test_http_and_custom_metadata_round_trip(bucket):
    expires = dt.datetime(2026, 3, 1, 12, 0, 0)
    put = await bucket.put(
        "media/cover.jpg",
        b"\xff\xd8",
        httpMetadata={
            "contentType": "image/jpeg",
            "cacheControl": "public, max-age=3600",
            "contentDisposition": 'inline; filename="cover.jpg"',
            "cacheExpiry": expires,
        },
        customMetadata={"tenant": "autumn", "width": 1200},
    )
    assert put.httpMetadata["contentType"] == "image/jpeg"
    assert put.customMetadata == {"tenant": "autumn", "width": "1200"}

    for obj in (await bucket.head("media/cover.jpg"), await bucket.get("media/cover.jpg")):
        assert obj.httpMetadata == {
            "contentType": "image/jpeg",
            "contentDisposition": 'inline; filename="cover.jpg"',
            "cacheControl": "public, max-age=3600",
            "cacheExpiry": expires,
        }
        assert obj.httpMetadata.contentType == "image/jpeg"
        assert obj.customMetadata.tenant == "autumn"

    headers = Headers()
    (await bucket.head("media/cover.jpg")).writeHttpMetadata(headers)
    assert headers.get("content-type") == "image/jpeg"
    assert headers.get("cache-control") == "public, max-age=3600"
    assert headers.get("expires") == "Sun, 01 Mar 2026 12:00:00 GMT"
    with pytest.raises(TypeError, match="not of type 'Headers'"):
        put.writeHttpMetadata({})

    with pytest.raises(R2Error, match="exceed the maximum allowed metadata size. \\(10012\\)"):
        await bucket.put("big-meta", "x", customMetadata={"k": "v" * 2048})


async def test_key_length_limit(bucket):
    await bucket.put("k" * 1024, "ok")
    with pytest.raises(R2Error) as refused:
        await bucket.put("k" * 1025, "no")
    assert str(refused.value) == "put: The specified object name is not valid. (10020)"


async def test_counters_and_modelled_latency(tmp_path, clock):
    services = RuntimeServices(state_dir=tmp_path / "s", clock=clock, latency=LatencyProfile())
    bucket = R2Bucket(services, "CONTENT", "counted")
    trace = RequestTrace()
    token = current_trace.set(trace)
    try:
        await bucket.put("a", "1")
        await bucket.put("b", "2")
        await bucket.get("a")
        await bucket.head("b")
        await bucket.get("missing")
        await bucket.list()
        await bucket.delete(["a", "b"])
    finally:
        current_trace.reset(token)
        bucket.close()
    stats = services.stats
    assert stats.get("r2.class_a") == 3  # 2 puts + 1 list
    assert stats.get("r2.class_b") == 3  # 2 gets + 1 head
    assert stats.get("r2.deletes") == 1
    assert trace.ops == {"r2_put": 4, "r2_get": 3}
    assert trace.modelled_ms == 4 * 40.0 + 3 * 25.0


async def test_data_survives_reopening_the_bucket(tmp_path, bucket):
    put = await bucket.put(
        "keep/me.txt",
        "still here",
        httpMetadata={"contentType": "text/plain"},
        customMetadata={"v": "1"},
    )
    bucket.close()

    later = RuntimeServices(state_dir=tmp_path / "state", clock=SimulatedClock(2_000_000_000_000))
    reopened = R2Bucket(later, "CONTENT", "grove-content")
    try:
        got = await reopened.get("keep/me.txt")
        assert await got.text() == "still here"
        assert (got.etag, got.version, got.uploaded) == (put.etag, put.version, put.uploaded)
        assert got.httpMetadata == {"contentType": "text/plain"}
        assert got.customMetadata == {"v": "1"}
        assert [o.key for o in (await reopened.list())["objects"]] == ["keep/me.txt"]
    finally:
        reopened.close()
