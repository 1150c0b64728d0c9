"""The conversion proof on the CPython lane: which deliberate breaks the local runtime catches.

Same proof Worker and routes as pyodide_lane/tests/test_conversion_proof_pyodide.py, where every break
fails as it would on Cloudflare. Here:

- a tuple returned over Durable Object RPC: caught (the local runtime applies the SDK's rule);
- bytes from KV ``type="arrayBuffer"`` used as ``bytes``: caught (the local KV returns a
  ``memoryview``, as production does, and it has no ``.decode()``);
- a dict bound into a D1 statement, the refusal caught with ``except TypeError``: caught
  (the local D1 raises a ``JsException``, not a ``TypeError``, as production does);
- a class-based ``scheduled`` handler reading bindings from its ``env`` argument: caught
  (the local runtime passes None, as production does: cloudflare/cloudflare-docs#30383).
- a Worker importing a dev-only package (``httpx``): NOT caught, and it cannot be: the CPython
  lane runs in the dev venv, where the package exists. Production vendors only the project's
  ``dependencies``; the Pyodide lane installs only those, so it fails there
  (pyodide_lane/tests/test_conversion_proof_pyodide.py::test_a_dev_only_import_fails).

The first four were found by the Pyodide lane; the local runtime now reproduces them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths
from local_runtime.clock import SimulatedClock
from local_runtime.runtime import LocalRuntime
from local_runtime.services import RuntimeServices
from workers import Request

PROOF_CONFIG = Path(__file__).resolve().parents[2] / "pyodide_lane" / "proof_worker" / "wrangler.toml"


@pytest.fixture
def proof(tmp_path):
    install_paths(REPO_ROOT, PROOF_CONFIG.parent / "src")  # the proof Worker's module root
    services = RuntimeServices(state_dir=tmp_path, clock=SimulatedClock())
    runtime = LocalRuntime([PROOF_CONFIG], services)
    runtime.load()
    yield runtime
    runtime.close()


async def get(runtime, path):
    response = await runtime.fetch(Request(f"https://proof.example{path}"))
    return response.status, json.loads(await response.text())


async def test_tuple_over_do_rpc_is_caught(proof):
    status, body = await get(proof, "/tuple")
    assert status == 500 and "cannot be sent over RPC" in body["error"]
    assert await get(proof, "/list") == (200, {"ok": True, "value": ["grove", 1]})


async def test_kv_array_buffer_used_as_bytes_is_caught(proof):
    status, body = await get(proof, "/kv-bytes")
    assert status == 500 and "decode" in body["error"]
    assert await get(proof, "/kv-bytes-fixed") == (200, {"ok": True, "value": "grove"})


async def test_dict_bound_into_d1_caught_as_type_error_is_caught(proof):
    status, body = await get(proof, "/d1-dict")
    assert status == 500 and "D1_TYPE_ERROR" in body["error"]
    assert await get(proof, "/d1-dict-fixed") == (200, {"ok": True, "value": '{"tenant": "autumn"}'})


async def test_scheduled_env_argument_is_caught(proof):
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute"):
        await proof.scheduled("* * * * *")


async def test_dev_only_import_is_not_caught(proof):
    # The blind spot that needs the Pyodide lane: this succeeds here and fails on the edge.
    assert await get(proof, "/dev-only-import") == (200, {"ok": True, "value": "httpx"})
