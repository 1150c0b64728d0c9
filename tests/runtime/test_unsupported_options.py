"""Contract: an option of a binding that the local runtime does not implement fails loudly.

Production's bindings silently ignore an unknown key of an options object (JSG drops it), so a
typo or an option the local runtime lacks would pass here and behave differently there. Each
call below names such an option and must raise ``NotImplementedError`` naming it, before any
I/O; the options the runtime honours keep working.
"""

from __future__ import annotations

import pytest

from local_runtime.bindings.cache import CacheStorage
from local_runtime.bindings.d1 import D1Database
from local_runtime.bindings.do_storage import DurableObjectStorage
from local_runtime.bindings.durable_objects import DurableObjectNamespace
from local_runtime.bindings.kv import KVNamespace
from local_runtime.bindings.r2 import R2Bucket
from local_runtime.scheduler import Scheduler
from local_runtime.services import RuntimeServices
from workers import Request, Response

URL = "https://autumn.grove.place/blog/hello"


def refused(option: str) -> pytest.RaisesContext[NotImplementedError]:
    return pytest.raises(NotImplementedError, match=rf"option '{option}' is not supported")


@pytest.fixture
def kv(services: RuntimeServices):
    namespace = KVNamespace(services, "KV", "ns-options")
    yield namespace
    namespace.close()


@pytest.fixture
def bucket(services: RuntimeServices):
    r2 = R2Bucket(services, "BUCKET", "options")
    yield r2
    r2.close()


@pytest.fixture
def storage(services: RuntimeServices, tmp_path):
    store = DurableObjectStorage(services, tmp_path / "object.sqlite")
    yield store
    store.close()


async def test_kv_refuses_unknown_options_and_keeps_known_ones(kv: KVNamespace) -> None:
    with refused("expirationTTL"):  # the real option is expirationTtl
        await kv.put("k", "v", expirationTTL=120)
    assert await kv.get("k") is None  # nothing was written
    await kv.put("k", "v", {"expirationTtl": 120, "metadata": {"a": 1}})
    with refused("cache_ttl"):
        await kv.get("k", cache_ttl=60)
    with refused("cacheTTL"):
        await kv.getWithMetadata("k", {"cacheTTL": 60})
    assert await kv.get("k", type="text", cacheTtl=60) == "v"
    with refused("reverse"):
        await kv.list(prefix="k", reverse=True)
    listed = await kv.list(prefix="k", limit=10)
    assert [key.name for key in listed["keys"]] == ["k"]


async def test_r2_refuses_unknown_options_and_unknown_fields(bucket: R2Bucket) -> None:
    with refused("ssecKey"):  # SSE-C is not provided locally
        await bucket.put("a", "body", ssecKey="0" * 64)
    with refused("contenType"):
        await bucket.put("a", "body", httpMetadata={"contenType": "text/plain"})
    assert await bucket.head("a") is None  # nothing was written
    put = await bucket.put("a", "body", httpMetadata={"contentType": "text/plain"})
    with refused("etagMatch"):
        await bucket.put("a", "body", onlyIf={"etagMatch": put.etag})
    with refused("etagMatch"):
        await bucket.get("a", onlyIf={"etagMatch": put.etag})
    with refused("end"):
        await bucket.get("a", range={"offset": 0, "end": 2})
    with refused("ssecKey"):
        await bucket.get("a", ssecKey="0" * 64)
    with refused("prefixes"):
        await bucket.list(prefixes=["a"])
    body = await bucket.get("a", onlyIf={"etagMatches": put.etag}, range={"offset": 1, "length": 2})
    assert await body.text() == "od"


async def test_d1_raw_refuses_unknown_options(services: RuntimeServices) -> None:
    db = D1Database(services, "DB", "options")
    try:
        stmt = db.prepare("SELECT 1 AS one")
        with refused("columnName"):
            await stmt.raw(columnName=True)
        assert await stmt.raw({"columnNames": True}) == [["one"], [1]]
    finally:
        db.close()


async def test_do_storage_refuses_unknown_options_and_accepts_no_op_ones(
    storage: DurableObjectStorage,
) -> None:
    with refused("allowConcurency"):
        await storage.put("k", 1, allowConcurency=True)
    # Options that make no difference on a SQLite-backed object are honoured by doing nothing.
    await storage.put("k", 1, allowUnconfirmed=True, noCache=True)
    assert await storage.get("k", allowConcurrency=True) == 1
    with refused("startsWith"):
        await storage.list(startsWith="k")
    with refused("limt"):
        storage.kv.list(limt=1)
    assert dict(await storage.list(prefix="k", noCache=True)) == {"k": 1}
    with refused("force"):
        await storage.delete("k", force=True)
    with refused("allowUnconfirmd"):
        await storage.deleteAlarm(allowUnconfirmd=True)
    assert await storage.delete("k", allowUnconfirmed=True) is True


def test_do_namespace_refuses_unknown_options(services: RuntimeServices) -> None:
    namespace = DurableObjectNamespace(
        services, Scheduler(services.clock), "Thing", lambda: object, lambda: None
    )
    try:
        with refused("locationHnt"):
            namespace.getByName("a", locationHnt="weur")
        with refused("region"):
            namespace.newUniqueId(region="eu")
        # One location locally: a hint or a jurisdiction always holds.
        assert namespace.getByName("a", locationHint="weur").name == "a"
        assert len(namespace.newUniqueId(jurisdiction="eu").toString()) == 64
    finally:
        namespace.close()


async def test_cache_query_options_refuse_all_but_ignore_method(services: RuntimeServices) -> None:
    caches = CacheStorage(services)
    try:
        await caches.default.put(URL, Response("hi", headers={"cache-control": "max-age=60"}))
        with refused("ignoreSearch"):
            await caches.default.match(URL, ignoreSearch=True)
        with refused("ignoreVary"):
            await caches.default.delete(URL, {"ignoreVary": True})
        post = Request(URL, method="POST")
        assert await caches.default.match(post) is None
        # The options object may also come positionally, as in JS.
        hit = await caches.default.match(post, {"ignoreMethod": True})
        assert hit is not None and await hit.text() == "hi"
    finally:
        caches.close()
