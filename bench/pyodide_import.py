"""Benchmark: how long production's interpreter takes to import the main Worker, and the app's share.

A Python Worker's cold start includes importing its main module (workerd snapshots after
import, but every deploy and every isolate without a snapshot pays it). Under the Pyodide lane's
interpreter (Pyodide 314 on Node 24, ``pyodide_lane/``) this measures, in fresh interpreters:

- ``deps_ms``: ``import workers`` and ``from pydantic import BaseModel`` alone: the SDK and the one
  heavy dependency, loaded as any user of them pays (a bare ``import pydantic`` is lazy and
  defers ~0.5 s of pydantic's own machinery to whoever first imports ``BaseModel``);
- ``main_ms``: ``import entry``, the main module, cold;
- ``app_ms``: ``import entry`` right after the deps in the same interpreter, i.e. the app's own
  share of the import (its modules, its pydantic model classes, markdown-it, ...);

for this tree and for a base commit (default 534e12b, before the import-time work), in the same
run, trees alternating. Both trees import third-party packages from the same ``python_modules/``
(``make vendor``), so the difference is the app's code. Medians of ``--reps`` runs.

Last line: JSON with ``main_import_ms``, ``deps_import_ms``, ``app_import_ms``, the same for the
base, and ``app_import_ratio_vs_base`` (target: <= 0.5).

    .venv/bin/python bench/pyodide_import.py [--reps 5] [--base 534e12b] [--profile]

``--profile`` also prints, sorted, the modules of the app's share by their own import time
(CPython's ``-X importtime`` under Pyodide): where to look next.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "pyodide_lane"))
import prepare  # noqa: E402
import vendor  # noqa: E402

WRANGLER = REPO / "node_modules" / "wrangler" / "bin" / "wrangler.js"


def dry_run(tree: Path, outdir: Path) -> None:
    """What wrangler would upload for the tree's main Worker (its python_modules/ included)."""
    subprocess.run(
        ["node", str(WRANGLER), "deploy", "--dry-run", "--outdir", str(outdir)],
        cwd=tree, check=True, capture_output=True, env={"PATH": "/usr/bin:/bin", "CI": "1", "HOME": str(tree)},
    )  # fmt: skip


def export_commit(commit: str, dest: Path) -> None:
    archive = subprocess.run(["git", "archive", commit], cwd=REPO, check=True, capture_output=True).stdout
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)


def tree_spec(label: str, tree: Path, outdir: Path) -> dict:
    config = tomllib.loads((tree / "wrangler.toml").read_text())
    return {
        "label": label,
        "dir": str(outdir),
        "main": Path(config["main"]).stem,
        "compatibilityDate": config["compatibility_date"],
        "flags": config.get("compatibility_flags", []),
    }


def print_profile(stderr: str, top: int = 25) -> None:
    rows = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            own_us, total_us, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
            rows.append((int(own_us), int(total_us), name))
    print(f"{'own ms':>8} {'total ms':>9}  module (the app's share of the import, under Pyodide)")
    for own_us, total_us, name in sorted(rows, reverse=True)[:top]:
        print(f"{own_us / 1000:8.1f} {total_us / 1000:9.1f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--base", default="534e12b", help="the commit to compare with")
    parser.add_argument("--profile", action="store_true", help="print the app's imports by their own time")
    args = parser.parse_args()

    stamp = prepare.prepare()
    vendor.vendor()
    with tempfile.TemporaryDirectory(prefix="pyodide-import-") as tmp:
        work = Path(tmp)
        base = work / "base"
        export_commit(args.base, base)
        # The base tree gets the same third-party packages; its DOs are still under src/ and
        # come first on sys.path, so the vendored copy of durable_objects is never imported there.
        shutil.copytree(REPO / "python_modules", base / "python_modules")
        dry_run(REPO, work / "head-out")
        dry_run(base, work / "base-out")
        spec = {
            "pyodideDir": stamp["pyodide"],
            "reps": args.reps,
            "profile": args.profile,
            "trees": [tree_spec("head", REPO, work / "head-out"), tree_spec("base", base, work / "base-out")],
        }
        done = subprocess.run(
            [stamp["node"], str(REPO / "bench" / "pyodide_import.mjs"), json.dumps(spec)],
            check=True, capture_output=True, text=True, cwd=REPO,
        )  # fmt: skip
    if args.profile:
        print_profile(done.stderr)
    raw = json.loads(done.stdout.strip().splitlines()[-1])
    med = {label: {k: round(statistics.median(v), 1) for k, v in figures.items()} for label, figures in raw.items()}
    for label, figures in med.items():
        name = "this tree" if label == "head" else f"base {args.base}"
        print(
            f"{name:>16}: import entry {figures['main_ms']:7.1f} ms cold | workers + pydantic {figures['deps_ms']:7.1f} ms"
            f" | app's share {figures['app_ms']:7.1f} ms   (medians of {args.reps} fresh interpreters)"
        )
    ratio = med["head"]["app_ms"] / med["base"]["app_ms"]
    print(f"app's import share vs base: {ratio:.2f}x (target <= 0.5)")
    summary = {
        "reps": args.reps,
        "base_commit": args.base,
        "main_import_ms": med["head"]["main_ms"],
        "deps_import_ms": med["head"]["deps_ms"],
        "app_import_ms": med["head"]["app_ms"],
        "base_main_import_ms": med["base"]["main_ms"],
        "base_deps_import_ms": med["base"]["deps_ms"],
        "base_app_import_ms": med["base"]["app_ms"],
        "app_import_ratio_vs_base": round(ratio, 3),
    }
    print(json.dumps(summary, separators=(",", ":")))


if __name__ == "__main__":
    main()
