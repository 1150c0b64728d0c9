"""The differential conformance table: binding operations run against both implementations.

Each case is ``async def case(b) -> observation`` over ``b.db`` (D1), ``b.kv`` (KV), ``b.r2``
(R2), ``b.queue`` (a queue producer) and ``b.now_ms()``, written once against the SDK's call shapes. The Pyodide lane runs it
on miniflare's bindings through the real SDK (``pyodide_lane/tests/test_conformance_observe.py``);
``tests/conformance/test_conformance.py`` runs it on the local runtime and compares the two
observations field by field. Each case uses its own table / key prefix, so cases are
independent. Add a case: a function below, decorated with ``@case``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from observe import attempt, error, observe

Case = Callable[[Any], Awaitable[Any]]
CASES: dict[str, Case] = {}


def case(fn: Case) -> Case:
    name = fn.__name__.replace("__", ".")
    CASES[name] = fn
    return fn


async def _table(b: Any, name: str, columns: str = "v") -> str:
    await b.db.prepare(f"CREATE TABLE {name} ({columns})").run()
    return name


async def _round_trip(b: Any, table: str, value: Any, column_type: str = "") -> Any:
    await _table(b, table, f"v {column_type}".strip())
    wrote = await attempt(lambda: b.db.prepare(f"INSERT INTO {table} (v) VALUES (?)").bind(value).run())
    if isinstance(wrote, dict) and "$error" in wrote:
        return {"bind": wrote}
    row = await b.db.prepare(f"SELECT v, typeof(v) AS t FROM {table}").first()
    return {"row": observe(row)}


# --- D1: type round trips ------------------------------------------------------------------------


@case
async def d1__null(b):
    return await _round_trip(b, "c_null", None)


@case
async def d1__int_small(b):
    return await _round_trip(b, "c_int_small", 42)


@case
async def d1__int_into_text_column(b):
    return await _round_trip(b, "c_int_text", 42, "TEXT")


@case
async def d1__int_2_53_minus_2(b):
    return await _round_trip(b, "c_int_safe2", 2**53 - 2, "INTEGER")


@case
async def d1__int_2_53_minus_1(b):
    # Number.MAX_SAFE_INTEGER itself: Pyodide already makes it a BigInt.
    return await _round_trip(b, "c_int_safe1", 2**53 - 1, "INTEGER")


@case
async def d1__int_above_2_53_bound(b):
    return await _round_trip(b, "c_int_big", 2**53 + 1, "INTEGER")


@case
async def d1__int64_read_back(b):
    await _table(b, "c_int64", "v INTEGER")
    await b.db.prepare("INSERT INTO c_int64 (v) VALUES (9223372036854775807), (9007199254740993)").run()
    rows = (await b.db.prepare("SELECT v FROM c_int64 ORDER BY rowid").all())["results"]
    return observe(rows)


@case
async def d1__real(b):
    return await _round_trip(b, "c_real", 1.5, "REAL")


@case
async def d1__real_integral_bound(b):
    return await _round_trip(b, "c_real2", 2.0, "REAL")


@case
async def d1__real_integral_read_back(b):
    await _table(b, "c_real3", "v REAL")
    await b.db.prepare("INSERT INTO c_real3 (v) VALUES (2.0)").run()
    return observe(await b.db.prepare("SELECT v, typeof(v) AS t FROM c_real3").first())


@case
async def d1__blob_from_bytes(b):
    return await _round_trip(b, "c_blob", b"\x00\x01\xfe\xff", "BLOB")


@case
async def d1__blob_from_list_of_ints(b):
    return await _round_trip(b, "c_blob_list", [1, 2, 255], "BLOB")


@case
async def d1__bool_true(b):
    return await _round_trip(b, "c_bool", True)


@case
async def d1__text_unicode(b):
    return await _round_trip(b, "c_text", "héllo ✓ 🌳", "TEXT")


@case
async def d1__dict_refused(b):
    return await _round_trip(b, "c_dict", {"a": 1})


@case
async def d1__tuple_refused(b):
    return await _round_trip(b, "c_tuple", (1, 2))


@case
async def d1__nested_list_refused(b):
    return await _round_trip(b, "c_nested", [[1], [2]])


# --- D1: what the authorizer refuses -------------------------------------------------------------


async def _statement(b: Any, sql: str) -> Any:
    return await attempt(lambda: b.db.prepare(sql).all())


def _results(observation: Any) -> Any:
    # Statement results keep only the rows: meta (durations, sizes, served_by) differs by design.
    if isinstance(observation, dict) and "results" in observation:
        return {"results": observation["results"], "success": observation.get("success")}
    return observation


@case
async def d1__refused_sqlite_version(b):
    return await _statement(b, "SELECT sqlite_version()")


@case
async def d1__refused_attach(b):
    return await _statement(b, "ATTACH DATABASE ':memory:' AS other")


@case
async def d1__refused_begin(b):
    return await _statement(b, "BEGIN TRANSACTION")


@case
async def d1__refused_savepoint(b):
    return await _statement(b, "SAVEPOINT sp1")


@case
async def d1__refused_pragma_journal_mode(b):
    return await _statement(b, "PRAGMA journal_mode")


@case
async def d1__refused_cf_table(b):
    return await _statement(b, "CREATE TABLE _cf_mine (v)")


@case
async def d1__refused_temp_table(b):
    return await _statement(b, "CREATE TEMP TABLE tmp_t (v)")


@case
async def d1__allowed_pragma_table_info(b):
    await _table(b, "c_pragma", "a INTEGER PRIMARY KEY, b TEXT NOT NULL")
    return _results(await _statement(b, "PRAGMA table_info(c_pragma)"))


@case
async def d1__allowed_json_functions(b):
    return _results(await _statement(b, "SELECT json_extract('{\"a\": [1, 2]}', '$.a[1]') AS v"))


# --- D1: statement API -----------------------------------------------------------------------------


@case
async def d1__first_variants(b):
    await _table(b, "c_first", "a INTEGER, t TEXT")
    await b.db.prepare("INSERT INTO c_first VALUES (1, 'x'), (2, 'y')").run()
    stmt = b.db.prepare("SELECT a, t FROM c_first ORDER BY a")
    return {
        "first": observe(await stmt.first()),
        "first_column": observe(await stmt.first("t")),
        "first_missing_column": await attempt(lambda: stmt.first("nope")),
        "first_no_row": observe(await b.db.prepare("SELECT a FROM c_first WHERE a > 9").first()),
    }


@case
async def d1__run_meta(b):
    await _table(b, "c_meta", "id INTEGER PRIMARY KEY, v TEXT")
    result = await b.db.prepare("INSERT INTO c_meta (v) VALUES (?), (?)").bind("a", "b").run()
    meta = result["meta"]
    return {
        "keys": sorted(k for k in result if k != "meta"),
        "success": result["success"],
        "changes": meta["changes"],
        "last_row_id": meta["last_row_id"],
        "rows_written": meta["rows_written"],
        "changed_db": meta["changed_db"],
        "results": observe(result.get("results")),
    }


@case
async def d1__raw(b):
    await _table(b, "c_raw", "a INTEGER, t TEXT")
    await b.db.prepare("INSERT INTO c_raw VALUES (1, 'x')").run()
    stmt = b.db.prepare("SELECT a, t FROM c_raw")
    return {"raw": observe(await stmt.raw()), "with_names": observe(await stmt.raw(columnNames=True))}


@case
async def d1__batch_is_atomic(b):
    await _table(b, "c_batch", "v TEXT UNIQUE")
    outcome = await attempt(
        lambda: b.db.batch(
            [
                b.db.prepare("INSERT INTO c_batch VALUES (?)").bind("one"),
                b.db.prepare("INSERT INTO c_batch VALUES (?)").bind("one"),
            ]
        )
    )
    count = await b.db.prepare("SELECT COUNT(*) AS n FROM c_batch").first("n")
    return {"outcome": outcome, "rows_after": count}


@case
async def d1__batch_results(b):
    await _table(b, "c_batch2", "v TEXT")
    results = await b.db.batch(
        [b.db.prepare("INSERT INTO c_batch2 VALUES ('a')"), b.db.prepare("SELECT v FROM c_batch2")]
    )
    return [_results(observe(r)) for r in results]


@case
async def d1__exec_multi_line(b):
    result = await b.db.exec("CREATE TABLE c_exec (v);\nINSERT INTO c_exec VALUES (1);\nINSERT INTO c_exec VALUES (2);")
    return {"count": result["count"], "rows": await b.db.prepare("SELECT COUNT(*) AS n FROM c_exec").first("n")}


@case
async def d1__wrong_parameter_count(b):
    await _table(b, "c_params")
    return await attempt(lambda: b.db.prepare("INSERT INTO c_params VALUES (?)").bind(1, 2).run())


@case
async def d1__too_many_parameters(b):
    await _table(b, "c_many")
    values = list(range(101))
    sql = "SELECT " + ", ".join("?" for _ in values)
    return await attempt(lambda: b.db.prepare(sql).bind(*values).all())


@case
async def d1__unique_violation_message(b):
    await _table(b, "c_unique", "v TEXT UNIQUE")
    await b.db.prepare("INSERT INTO c_unique VALUES ('a')").run()
    return await attempt(lambda: b.db.prepare("INSERT INTO c_unique VALUES ('a')").run())


@case
async def d1__syntax_error_message(b):
    return await _statement(b, "SELEC 1")


# --- KV --------------------------------------------------------------------------------------------


@case
async def kv__text_round_trip(b):
    await b.kv.put("c/text", "héllo")
    return {"get": observe(await b.kv.get("c/text")), "missing": observe(await b.kv.get("c/nope"))}


@case
async def kv__json_type(b):
    await b.kv.put("c/json", '{"a": [1, 2.5, null, true]}')
    return observe(await b.kv.get("c/json", type="json"))


@case
async def kv__array_buffer_type(b):
    await b.kv.put("c/bytes", b"\x00\x01\xff")
    return observe(await b.kv.get("c/bytes", type="arrayBuffer"))


@case
async def kv__metadata(b):
    await b.kv.put("c/meta", "v", metadata={"author": "autumn", "n": 2})
    return observe(await b.kv.getWithMetadata("c/meta"))


@case
async def kv__ttl_below_60_refused(b):
    return await attempt(lambda: b.kv.put("c/ttl59", "v", expirationTtl=59))


@case
async def kv__ttl_60(b):
    before_s = b.now_ms() // 1000
    await b.kv.put("c/ttl60", "v", expirationTtl=60)
    listed = await b.kv.list(prefix="c/ttl60")
    expiration = listed["keys"][0].get("expiration")
    return {
        "value": observe(await b.kv.get("c/ttl60")),
        "expiration_in_s": None if expiration is None else 59 <= expiration - before_s <= 61,
    }


@case
async def kv__expiration_in_the_past_refused(b):
    return await attempt(lambda: b.kv.put("c/past", "v", expiration=1_000_000_000))  # 2001


@case
async def kv__list_paging(b):
    for i in range(5):
        await b.kv.put(f"c/page/{i}", str(i), metadata={"i": i})
    first = await b.kv.list(prefix="c/page/", limit=2)
    second = await b.kv.list(prefix="c/page/", limit=2, cursor=first["cursor"])
    third = await b.kv.list(prefix="c/page/", limit=2, cursor=second["cursor"])
    return [
        {
            "keys": observe(page["keys"]),
            "list_complete": page["list_complete"],
            "has_cursor": isinstance(page.get("cursor"), str) and page.get("cursor") != "",
        }
        for page in (first, second, third)
    ]


@case
async def kv__list_limit_above_1000_refused(b):
    return await attempt(lambda: b.kv.list(limit=1001))


@case
async def kv__key_too_long_refused(b):
    return await attempt(lambda: b.kv.put("k" * 513, "v"))


@case
async def kv__metadata_too_large_refused(b):
    return await attempt(lambda: b.kv.put("c/bigmeta", "v", metadata={"m": "x" * 1100}))


@case
async def kv__dict_value_refused(b):
    return await attempt(lambda: b.kv.put("c/dict", {"a": 1}))


@case
async def kv__delete(b):
    await b.kv.put("c/del", "v")
    deleted = await b.kv.delete("c/del")
    return {"delete_returns": observe(deleted), "after": observe(await b.kv.get("c/del"))}


# --- R2 --------------------------------------------------------------------------------------------

BODY = "hello, grove"
BODY_MD5 = hashlib.md5(BODY.encode()).hexdigest()


def _object(obj: Any) -> Any:
    if obj is None:
        return None
    return {
        "key": obj.key,
        "size": obj.size,
        "etag": obj.etag,
        "httpEtag": obj.httpEtag,
        "uploaded": observe(obj.uploaded),
        "version_is_str": isinstance(obj.version, str),
        "httpMetadata": observe(obj.httpMetadata),
        "customMetadata": observe(obj.customMetadata),
        "storageClass": obj.storageClass,
        "has_body": hasattr(obj, "text"),
    }


async def _put(b: Any, key: str, **options: Any) -> Any:
    return await b.r2.put(key, BODY, **options)


@case
async def r2__put_result(b):
    obj = await _put(b, "c/put", httpMetadata={"contentType": "text/plain"}, customMetadata={"by": "autumn"})
    return {"object": _object(obj), "etag_is_md5": obj.etag == BODY_MD5}


@case
async def r2__get_head_missing(b):
    await _put(b, "c/get")
    got = await b.r2.get("c/get")
    return {
        "get": _object(got),
        "text": await got.text(),
        "head": _object(await b.r2.head("c/get")),
        "missing_get": observe(await b.r2.get("c/nope")),
        "missing_head": observe(await b.r2.head("c/nope")),
    }


@case
async def r2__array_buffer(b):
    await _put(b, "c/ab")
    return observe(await (await b.r2.get("c/ab")).arrayBuffer())


async def _ranged(b: Any, key: str, rng: Any) -> Any:
    await _put(b, key)
    got = await attempt(lambda: b.r2.get(key, range=rng))
    if not isinstance(got, dict) or "$error" not in got:
        obj = await b.r2.get(key, range=rng)
        return {"text": await obj.text(), "range": observe(obj.range), "size": obj.size}
    return got


@case
async def r2__range_offset_length(b):
    return await _ranged(b, "c/r1", {"offset": 1, "length": 4})


@case
async def r2__range_offset_only(b):
    return await _ranged(b, "c/r2", {"offset": 7})


@case
async def r2__range_suffix(b):
    return await _ranged(b, "c/r3", {"suffix": 5})


@case
async def r2__only_if_etag_matches(b):
    obj = await _put(b, "c/if1")
    out = {}
    for label, etag in (("unquoted", obj.etag), ("quoted", obj.httpEtag), ("other", "0" * 32)):
        try:
            got = await b.r2.get("c/if1", onlyIf={"etagMatches": etag})
        except Exception as exc:
            out[label] = error(exc)
            continue
        out[label] = {"has_body": hasattr(got, "text"), "is_none": got is None}
    return out


@case
async def r2__only_if_etag_does_not_match(b):
    obj = await _put(b, "c/if2")
    out = {}
    for label, etag in (("same", obj.etag), ("other", "0" * 32)):
        got = await b.r2.get("c/if2", onlyIf={"etagDoesNotMatch": etag})
        out[label] = {"has_body": hasattr(got, "text"), "is_none": got is None}
    return out


@case
async def r2__only_if_uploaded_before(b):
    await _put(b, "c/if3")
    past = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    future = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    out = {}
    for label, when in (("past", past), ("future", future)):
        got = await b.r2.get("c/if3", onlyIf={"uploadedBefore": when})
        out[label] = {"has_body": hasattr(got, "text"), "is_none": got is None}
    return out


@case
async def r2__conditional_put(b):
    obj = await _put(b, "c/cput")
    refused = await b.r2.put("c/cput", "new", onlyIf={"etagMatches": "0" * 32})
    accepted = await b.r2.put("c/cput", "new", onlyIf={"etagMatches": obj.etag})
    return {
        "refused": observe(refused),
        "accepted_size": None if accepted is None else accepted.size,
        "text": await (await b.r2.get("c/cput")).text(),
    }


@case
async def r2__list_delimiter_and_paging(b):
    for key in ("c/l/a/1", "c/l/a/2", "c/l/b", "c/l/c", "c/l/d"):
        await b.r2.put(key, "x")
    grouped = await b.r2.list(prefix="c/l/", delimiter="/")
    first = await b.r2.list(prefix="c/l/", limit=2)
    second = await b.r2.list(prefix="c/l/", limit=2, cursor=first["cursor"])
    return {
        "grouped_keys": [o.key for o in grouped["objects"]],
        "grouped_prefixes": observe(grouped["delimitedPrefixes"]),
        "grouped_truncated": grouped["truncated"],
        "first_keys": [o.key for o in first["objects"]],
        "first_truncated": first["truncated"],
        "second_keys": [o.key for o in second["objects"]],
    }


@case
async def r2__delete_many(b):
    for key in ("c/d/1", "c/d/2"):
        await b.r2.put(key, "x")
    result = await b.r2.delete(["c/d/1", "c/d/2", "c/d/missing"])
    return {"returns": observe(result), "left": [o.key for o in (await b.r2.list(prefix="c/d/"))["objects"]]}


@case
async def r2__custom_metadata_too_large_refused(b):
    return await attempt(lambda: b.r2.put("c/bigmeta", "x", customMetadata={"m": "x" * 3000}))


def all_cases() -> dict[str, Case]:
    return dict(CASES)


__all__ = ["CASES", "all_cases", "error"]


# --- Queues: the producer (miniflare has no consumer for the lane's Workers; see scenarios) ----


async def _send_outcome(call: Callable[[], Awaitable[Any]]) -> Any:
    """Whether a send is accepted, and if not whether as a TypeError (the two runtimes word
    their refusals differently; what the app can rely on is acceptance and the error's kind)."""
    seen = await attempt(call)
    if isinstance(seen, dict) and "$error" in seen:
        return {"accepted": False, "type_error": seen["$error"]["type_error"]}
    # The backlog's numbers are the queue's own state (miniflare reports 0): compare the shape.
    metrics = seen["metadata"]["metrics"] if isinstance(seen, dict) and "metadata" in seen else seen
    shape = {k: type(v).__name__ for k, v in metrics.items()} if isinstance(metrics, dict) else metrics
    return {"accepted": True, "metrics": shape}


@case
async def queue__send_json(b):
    return await _send_outcome(lambda: b.queue.send({"kind": "post", "n": [1, 2.5, None]}, contentType="json"))


@case
async def queue__send_default_content_type(b):
    return await _send_outcome(lambda: b.queue.send({"kind": "post"}))


@case
async def queue__send_text_and_bytes(b):
    text = await _send_outcome(lambda: b.queue.send("hello", contentType="text"))
    raw = await _send_outcome(lambda: b.queue.send(b"\x00\x01", contentType="bytes"))
    return {"text": text, "bytes": raw}


@case
async def queue__send_with_delay(b):
    return await _send_outcome(lambda: b.queue.send({"later": True}, delaySeconds=30))


@case
async def queue__send_text_content_type_needs_a_string(b):
    return await _send_outcome(lambda: b.queue.send({"not": "text"}, contentType="text"))


@case
async def queue__send_too_large(b):
    return await _send_outcome(lambda: b.queue.send("x" * (128 * 1024 + 1), contentType="text"))


@case
async def queue__send_batch(b):
    return await _send_outcome(lambda: b.queue.sendBatch([{"body": {"n": n}, "contentType": "json"} for n in range(100)]))


@case
async def queue__send_batch_over_100_messages(b):
    return await _send_outcome(lambda: b.queue.sendBatch([{"body": {"n": n}} for n in range(101)]))


@case
async def queue__send_batch_over_256_kb(b):
    big = "x" * 100_000
    return await _send_outcome(lambda: b.queue.sendBatch([{"body": big, "contentType": "text"} for _ in range(3)]))
