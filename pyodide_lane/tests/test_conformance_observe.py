"""Pyodide lane only: run the conformance table (tests/conformance/cases.py) on miniflare's
bindings through the real SDK and record the observations for the CPython-side comparison."""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "conformance"))

from cases import all_cases  # noqa: E402


def write(path: Path, text: str) -> None:
    path.write_text(text)


async def test_record_conformance_observations(edge, pytestconfig):
    env = edge.env
    bindings = SimpleNamespace(
        db=env.DB, kv=env.CACHE_KV, r2=env.CONTENT, queue=env.MEADOW_FANOUT, now_ms=lambda: int(time.time() * 1000)
    )
    observations = {}
    for name, run in all_cases().items():
        try:
            observations[name] = await run(bindings)
        except Exception as exc:  # a crash is an observation too: the comparison reports it
            observations[name] = {"$crash": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()}
    out = pytestconfig.getini("conformance_output")
    if out:
        write(Path(out), json.dumps(observations, indent=1, sort_keys=True, ensure_ascii=False))
    crashed = sorted(n for n, o in observations.items() if isinstance(o, dict) and "$crash" in o)
    assert not crashed, f"cases crashed in the Pyodide lane: {crashed}"
