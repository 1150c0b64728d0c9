"""Differential conformance: the local runtime's D1/KV/R2/queue producers against production's (miniflare through
the real SDK, as recorded by the Pyodide lane), case by case and field by field.

The Pyodide lane (``make test-pyodide``) records its observations and then runs this file with
``GROVE_CONFORMANCE_OBSERVATIONS`` pointing at them. Without that file (a plain ``pytest``)
these tests skip: there is nothing to compare against.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cases import all_cases

from local_runtime.bindings.d1 import D1Database
from local_runtime.bindings.kv import KVNamespace
from local_runtime.bindings.queues import QueueBroker
from local_runtime.bindings.r2 import R2Bucket
from local_runtime.clock import RealClock
from local_runtime.scheduler import Scheduler
from local_runtime.services import RuntimeServices

HERE = Path(__file__).resolve().parent
ALLOWLIST = tomllib.loads((HERE / "allowlist.toml").read_text())["difference"]
CASES = all_cases()


OBSERVATIONS = os.environ.get("GROVE_CONFORMANCE_OBSERVATIONS")
NO_OBSERVATIONS = "no Pyodide-lane observations to compare with (run `make test-pyodide`)"


if not OBSERVATIONS or not Path(OBSERVATIONS).exists():
    pytest.skip(NO_OBSERVATIONS, allow_module_level=True)


def _observations() -> dict[str, Any]:
    return json.loads(Path(OBSERVATIONS).read_text())


def differences(local: Any, remote: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every field where the two observations disagree: (dotted path, local, production)."""
    if isinstance(local, dict) and isinstance(remote, dict):
        out = []
        for key in sorted(set(local) | set(remote), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in local or key not in remote:
                out.append((sub, local.get(key, "<missing>"), remote.get(key, "<missing>")))
            else:
                out += differences(local[key], remote[key], sub)
        return out
    if isinstance(local, list) and isinstance(remote, list) and len(local) == len(remote):
        return [d for i, (a, b) in enumerate(zip(local, remote, strict=True)) for d in differences(a, b, f"{path}.{i}" if path else str(i))]
    same = local == remote and type(local) is type(remote)
    return [] if same else [(path, local, remote)]


def _allowed(case: str, path: str) -> dict[str, str] | None:
    for entry in ALLOWLIST:
        prefix = entry["path"]
        if entry["case"] == case and (prefix == "" or path == prefix or path.startswith(prefix + ".")):
            return entry
    return None


@pytest.fixture
def local_bindings(tmp_path) -> Any:
    services = RuntimeServices(state_dir=tmp_path, clock=RealClock())
    db = D1Database(services, "conformance", "conformance-db")
    queues = QueueBroker(services, Scheduler(services.clock))
    bindings = SimpleNamespace(
        queue=queues.producer("conformance-queue"),
        db=db,
        kv=KVNamespace(services, "CACHE_KV", "conformance-kv"),
        r2=R2Bucket(services, "CONTENT", "conformance-bucket"),
        now_ms=services.now_ms,
    )
    yield bindings
    db.close()
    queues.close()


@pytest.mark.parametrize("name", sorted(CASES))
async def test_local_runtime_matches_production(name, local_bindings):
    remote = _observations().get(name)
    if remote is None:
        pytest.skip(f"the Pyodide lane recorded no observation for {name}")
    local = await CASES[name](local_bindings)
    local = json.loads(json.dumps(local))  # the same JSON round trip the recorded side went through
    found = differences(local, remote)
    unexplained = [(p, a, b) for p, a, b in found if _allowed(name, p) is None]
    assert not unexplained, "\n".join(
        f"{name}: {p or '<observation>'}: local {a!r} != production {b!r}" for p, a, b in unexplained
    )
    used = {id(_allowed(name, p)) for p, _, _ in found}
    stale = [e["path"] for e in ALLOWLIST if e["case"] == name and id(e) not in used]
    assert not stale, f"{name}: allow-list entries that no longer differ (remove them): {stale}"


def test_allowlist_has_no_stale_entries():
    observations = _observations()
    stale = []
    for entry in ALLOWLIST:
        if entry["case"] not in CASES or entry["case"] not in observations:
            stale.append(f"{entry['case']}: no such case")
    assert not stale, stale
