"""``make vendor``: build ``python_modules/`` offline, the tree ``pywrangler deploy`` vendors.

In production ``pywrangler deploy`` runs ``pywrangler sync`` first: uv resolves the root
pyproject's ``[project].dependencies`` plus ``workers-runtime-sdk`` for Pyodide, installs them
into a Pyodide venv and copies its site-packages to ``python_modules/`` at the project root,
which wrangler then uploads under that prefix (workers-py ``sync.py``/``resolve.py``). Its
resolver needs the Pyodide package index, which this machine cannot reach, so this script
builds the same tree from the same pins:

- the registry dependencies come from the Pyodide lane's lock (``lock.json``: hash-checked
  wheels for Pyodide 314, fetched by ``prepare.py``): the closure of the root dependencies and
  the SDK over each wheel's ``Requires-Dist``, so the lane's pytest and its dependencies are
  not vendored;
- local path packages (``name @ file:///${PROJECT_ROOT}/dir``, today ``durable_objects/``) are
  built and installed by uv, as pywrangler does with ``allow-build``.

Wheels are unpacked as an installer does (no bytecode); ``pyvenv.cfg`` marks the folder as
pywrangler's does. The wrangler dry run, the deploy test and the Pyodide lane all use this tree.

Wrangler takes ``python_modules/`` from the folder of the config it deploys (its project root),
so each Worker under ``workers/`` gets a copy beside its ``wrangler.toml``; ``make deploy`` makes
the same copies after ``pywrangler sync``. Without one, the cron Worker would deploy with no
pydantic at all.

Usage: ``.venv/bin/python pyodide_lane/vendor.py [--copy-only]``
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import prepare  # noqa: E402

REPO = prepare.REPO
OUT = REPO / "python_modules"
LOCAL_PREFIX = "file:///${PROJECT_ROOT}/"
# Markers are evaluated for the production interpreter (Pyodide 314 is CPython 3.14 on emscripten).
PYODIDE_ENV = {
    **default_environment(),
    "python_version": "3.14",
    "python_full_version": "3.14.2",
    "sys_platform": "emscripten",
    "platform_system": "Emscripten",
    "platform_machine": "wasm32",
    "os_name": "posix",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "extra": "",
}


def root_dependencies() -> tuple[list[Requirement], list[Path]]:
    """The root project's dependencies: registry pins, and local path packages (folders)."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    registry, local = [], []
    for dep in deps:
        req = Requirement(dep)
        if req.url and req.url.startswith(LOCAL_PREFIX):
            local.append(REPO / req.url.removeprefix(LOCAL_PREFIX))
        elif req.url:
            raise SystemExit(f"pyproject.toml: {dep!r}: only ${{PROJECT_ROOT}} path sources are vendored")
        else:
            registry.append(req)
    return registry, local


def _wheel_requires(wheel: Path) -> list[Requirement]:
    with zipfile.ZipFile(wheel) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(zf.read(meta).decode())
    reqs = [Requirement(r) for r in message.get_all("Requires-Dist") or []]
    return [r for r in reqs if r.marker is None or r.marker.evaluate(PYODIDE_ENV)]


def registry_wheels(wheel_dir: Path, roots: list[Requirement]) -> list[Path]:
    """The locked wheels that ``roots`` need: their closure over Requires-Dist."""
    by_name = {canonicalize_name(prepare._name_version(p.name)[0]): p for p in wheel_dir.glob("*.whl")}
    chosen: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in chosen:
            continue
        wheel = by_name.get(name)
        if wheel is None:
            raise SystemExit(f"{req} is not in the lane's lock: run prepare.py --update-lock")
        version = prepare._name_version(wheel.name)[1]
        if req.specifier and version not in req.specifier:
            raise SystemExit(f"{req}: the lock has {wheel.name}")
        chosen[name] = wheel
        todo.extend(_wheel_requires(wheel))
    return sorted(chosen.values())


def unpack_wheel(wheel: Path, out: Path) -> None:
    """Install a wheel by unpacking it (purelib/platlib at the top, as site-packages holds it)."""
    with zipfile.ZipFile(wheel) as zf:
        for member in zf.namelist():
            if ".data/" in member.split("/", 1)[0] + "/":
                raise SystemExit(f"{wheel.name}: .data directories are not supported")
        zf.extractall(out)


def install_local(package_dir: Path, out: Path) -> None:
    """Build a local path package and install it into ``out``, as uv does for pywrangler."""
    uv = Path(sys.executable).with_name("uv")
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--no-deps", "--reinstall", "--target", str(out), str(package_dir)],
        check=True,
    )
    shutil.rmtree(package_dir / "build", ignore_errors=True)
    for egg_info in package_dir.glob("*.egg-info"):
        shutil.rmtree(egg_info)


def copy_to_workers(tree: Path = OUT) -> list[Path]:
    """Put a copy of ``tree`` beside every ``workers/*/wrangler.toml`` (see the docstring), and
    beside the lane's proof and hello Workers: never deployed, but the lane loads them as
    Cloudflare would, and with ``enable_python_external_sdk`` even ``import workers`` needs
    python_modules/."""
    copies = []
    lane_workers = [HERE / "proof_worker" / "wrangler.toml", HERE / "hello_worker" / "wrangler.toml"]
    configs = [*sorted((REPO / "workers").glob("*/wrangler.toml")), *lane_workers]
    for config in configs:
        dest = config.parent / "python_modules"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(tree, dest)
        copies.append(dest)
    return copies


def vendor(out: Path = OUT) -> list[str]:
    """Rebuild ``out`` from scratch; return the top-level names it holds."""
    stamp = prepare.prepare()
    registry, local = root_dependencies()
    roots = registry + [Requirement(pin) for pin in prepare.LANE_PINS]
    wheels = registry_wheels(Path(stamp["wheels"]), roots)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for wheel in wheels:
        unpack_wheel(wheel, out)
    for package_dir in local:
        install_local(package_dir, out)
    for stray in out.rglob("__pycache__"):
        shutil.rmtree(stray)
    (out / ".lock").unlink(missing_ok=True)  # uv --target's own lock file, not a module
    (out / "pyvenv.cfg").touch()
    return sorted(p.name for p in out.iterdir())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copy-only", action="store_true",
                        help="only copy an existing python_modules/ (pywrangler sync's) to workers/*/")
    args = parser.parse_args()
    if not args.copy_only:
        names = vendor()
        print(f"[vendor] python_modules/: {', '.join(names)}", flush=True)
    for copy in copy_to_workers():
        print(f"[vendor] copied to {copy.relative_to(REPO)}", flush=True)


if __name__ == "__main__":
    main()
