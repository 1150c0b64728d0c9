"""Run the Pyodide lane (``make test-pyodide``): set-up, the lane, then the conformance comparison.

1. ``prepare.py``: the pinned Node 24, Pyodide 314 and wheels in ``.cache/pyodide-lane/``.
2. The harness (``harness/lane.mjs`` on that Node): the repository's Workers under real
   Pyodide + SDK + miniflare; pytest inside Pyodide runs ``tests/scenarios/`` (the scenarios
   shared with the CPython lane) and ``pyodide_lane/tests/`` (lane-only: conformance
   observations, the conversion proof). Prints the skip count.
3. The conformance comparison, on CPython: ``tests/conformance/`` runs the same binding
   operations against the local runtime and compares them, field by field, with what the lane
   recorded (allow-list: ``tests/conformance/allowlist.toml``).

Usage: ``.venv/bin/python pyodide_lane/run.py [pytest args for the lane, e.g. -k d1 -x]``
Exit status: non-zero if any step failed.

The lane's work directory (uploaded modules, Durable Object and binding state, the report and the
recorded observations) is ``.cache/pyodide-lane/run`` unless ``GROVE_LANE_WORK`` names another
one: two lane runs at the same time must each have their own. ``GROVE_LANE_MAIN_ISOLATES``
(default 2) sets how many isolates serve the main Worker's requests.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import prepare  # noqa: E402

from local_runtime.invocation_limits import WAIT_UNTIL_AFTER_INVOCATION_MS  # noqa: E402

WORK = Path(os.environ.get("GROVE_LANE_WORK") or prepare.CACHE / "run").resolve()
# How many isolates serve the main Worker's requests (taken in turn, harness/worker.mjs): more
# than one, so module-level state is never shared where production would not share it.
MAIN_ISOLATES = int(os.environ.get("GROVE_LANE_MAIN_ISOLATES") or 2)
REPORT = WORK / "report.json"
OBSERVATIONS = WORK / "conformance-pyodide.json"
CLIENT_WORK = "/lane-work"  # where harness/lane.mjs mounts WORK in the client interpreter
LANE_TESTS = ["tests/scenarios", "pyodide_lane/tests"]


def worker_configs() -> list[Path]:
    """The main Worker, every Worker under workers/, and the lane's proof Worker."""
    return [
        REPO / "wrangler.toml",
        *sorted((REPO / "workers").glob("*/wrangler.toml")),
        HERE / "proof_worker" / "wrangler.toml",
    ]


def run_lane(
    stamp: dict,
    pytest_args: list[str],
    *,
    work: Path = WORK,
    extra_configs: tuple[Path, ...] = (),
    extra_secrets: dict[str, str] | None = None,
) -> int:
    """The harness with every Worker of ``worker_configs()`` (and ``extra_configs``), running
    ``pytest_args`` (default: the lane's tests) in the client; secrets are the scenarios' test
    secrets plus ``extra_secrets``."""
    secrets = runpy.run_path(str(REPO / "tests" / "scenarios" / "scenario_contract.py"))["TEST_SECRETS"]
    report, observations = work / REPORT.name, work / OBSERVATIONS.name
    work.mkdir(parents=True, exist_ok=True)
    report.unlink(missing_ok=True)
    observations.unlink(missing_ok=True)
    command = [
        stamp["node"],
        str(HERE / "harness" / "lane.mjs"),
        "--prepared", str(prepare.STAMP),
        "--work", str(work),
        "--repo", str(REPO),
        "--secrets", json.dumps({**secrets, **(extra_secrets or {})}),
        "--report", str(report),
        "--main-isolates", str(MAIN_ISOLATES),
        "--wait-until-limit-ms", str(WAIT_UNTIL_AFTER_INVOCATION_MS),
        *[arg for config in (*worker_configs(), *extra_configs) for arg in ("--config", str(config))],
        "--",
        "-o", f"conformance_output={CLIENT_WORK}/{observations.name}",
        *(pytest_args or LANE_TESTS),
    ]  # fmt: skip
    return subprocess.run(command, cwd=REPO).returncode


def run_conformance() -> int:
    env = {**os.environ, "GROVE_CONFORMANCE_OBSERVATIONS": str(OBSERVATIONS)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/conformance"]
    return subprocess.run(command, cwd=REPO, env=env).returncode


def main() -> int:
    started = time.monotonic()
    stamp = prepare.prepare()
    pytest_args = sys.argv[1:]
    lane = run_lane(stamp, pytest_args)
    conformance = run_conformance() if OBSERVATIONS.exists() else 0
    if not OBSERVATIONS.exists() and not pytest_args:
        print("[pyodide-lane] no conformance observations were recorded", file=sys.stderr)
        conformance = 1
    summary = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    print(
        f"[pyodide-lane] done in {time.monotonic() - started:.1f} s: lane exit {lane}, conformance exit "
        f"{conformance}, {len(summary.get('skipped', []))} skipped in the Pyodide lane",
        file=sys.stderr,
    )
    return lane or conformance


if __name__ == "__main__":
    sys.exit(main())
