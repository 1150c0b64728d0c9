"""The proof: Python/JS conversions broken on purpose fail in the Pyodide lane.

The proof Worker (pyodide_lane/proof_worker/) has one broken route per conversion and a fixed
twin. Each test passes when the lane catches the break, i.e. the broken route fails here the
way it would on Cloudflare while its fixed twin works. What the CPython lane does with the
same routes is shown by tests/proof/test_conversion_proof.py.
"""

from __future__ import annotations

import pytest

PROOF = "grove-conversion-proof"


async def get(edge, path):
    reply = await edge.fetch("GET", f"https://proof.example{path}", worker=PROOF)
    return reply.status, reply.json()


async def test_a_tuple_returned_over_do_rpc_fails(edge):
    status, body = await get(edge, "/tuple")
    assert status == 500
    assert "cannot be sent over RPC" in body["error"]
    assert await get(edge, "/list") == (200, {"ok": True, "value": ["grove", 1]})


async def test_kv_array_buffer_used_as_bytes_fails(edge):
    status, body = await get(edge, "/kv-bytes")
    assert status == 500
    assert "decode" in body["error"]
    assert await get(edge, "/kv-bytes-fixed") == (200, {"ok": True, "value": "grove"})


async def test_a_dict_bound_into_d1_escapes_except_type_error(edge):
    status, body = await get(edge, "/d1-dict")
    assert status == 500
    assert "D1_TYPE_ERROR" in body["error"] and body["error"].startswith("JsException")
    assert await get(edge, "/d1-dict-fixed") == (200, {"ok": True, "value": '{"tenant": "autumn"}'})


async def test_scheduled_reading_bindings_from_its_env_argument_fails(edge):
    with pytest.raises(Exception, match="'NoneType' object has no attribute 'PROOF_KV'"):
        await edge.scheduled("* * * * *", worker=PROOF)


async def test_a_dev_only_import_fails(edge):
    status, body = await get(edge, "/dev-only-import")
    assert status == 500
    assert body["error"].startswith("ModuleNotFoundError") and "httpx" in body["error"]
    assert await get(edge, "/dependency-import") == (200, {"ok": True, "value": "pydantic"})
