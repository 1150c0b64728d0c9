"""Deploy checks: what `wrangler deploy` would upload, and the D1 schema wrangler migrates to.

- Both Worker configs pass `wrangler deploy --dry-run --outdir`, and the uploaded module list is
  the application's modules and nothing else: every `*.py` of `src/` tracked by git, for the
  main Worker also every file of `src/grove/static/` (the pages' CSS and JavaScript, as Text
  modules, byte for byte: `grove.pages.assets` reads them where workerd puts them), plus the
  `python_modules/` tree that `make vendor` builds as `pywrangler deploy` does, in which the
  Durable Objects are `python_modules/durable_objects/*.py` (the top-level `durable_objects/`
  path package, byte for byte); no tests, local runtime, dev tooling, benchmarks, Pyodide lane,
  node_modules, `__pycache__`/bytecode or other stray files.
- `wrangler d1 migrations apply DB --local` applies `migrations/` cleanly, and the schema it
  produces (`sqlite_master`) equals the one the local runtime migrates to.

Needs Node and the repository's node_modules (`npm ci`), like `make test-deploy`.
"""

from __future__ import annotations

import difflib
import os
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from grove_dev.platform import start_platform
from local_runtime.clock import SimulatedClock

REPO = Path(__file__).resolve().parents[2]
WRANGLER = REPO / "node_modules" / "wrangler" / "bin" / "wrangler.js"
CONFIGS = {
    "grove-edge": REPO / "wrangler.toml",
    "grove-post-migrator": REPO / "workers" / "post_migrator" / "wrangler.toml",
}
WRANGLER_README = "This folder contains the built output assets"
FORBIDDEN_PARTS = (
    "tests", "local_runtime", "grove_dev", "bench", "node_modules", "__pycache__", "pyodide_lane", ".venv",
)  # fmt: skip

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not WRANGLER.exists(), reason="needs node and npm ci (wrangler)"
)


def wrangler(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["node", str(WRANGLER), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "CI": "1", "NO_COLOR": "1", "WRANGLER_SEND_METRICS": "false"},
        timeout=180,
    )
    assert done.returncode == 0, f"wrangler {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


def tracked_modules(folder: Path, pattern: str = "*.py") -> set[str]:
    """Every file matching ``pattern`` under ``folder`` that git tracks (or sees as new),
    relative to it."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", pattern],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return set(listed)


def static_files() -> set[str]:
    """The pages' CSS and JavaScript, as module names (relative to `src/`)."""
    names = {f"grove/static/{name}" for name in tracked_modules(REPO / "src" / "grove" / "static", "*")}
    assert {f"grove/static/{name}" for name in ("reader.css", "workspace.css", "editor.css", "workspace.js", "editor.js")} <= names
    return names


@pytest.fixture(scope="module")
def vendored() -> Path:
    """`make vendor`: python_modules/ (and its copies beside workers/*/wrangler.toml)."""
    done = subprocess.run(
        [sys.executable, str(REPO / "pyodide_lane" / "vendor.py")], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return REPO / "python_modules"


def uploaded(outdir: Path) -> set[str]:
    files = {p.relative_to(outdir).as_posix() for p in outdir.rglob("*") if p.is_file()}
    readme = outdir / "README.md"
    if readme.exists() and readme.read_text().startswith(WRANGLER_README):
        files.discard("README.md")  # wrangler's own note about the folder, not an upload
    return files


@pytest.mark.parametrize("worker", sorted(CONFIGS))
def test_dry_run_uploads_the_app_modules_and_nothing_else(worker, tmp_path, vendored):
    config = CONFIGS[worker]
    out = wrangler("deploy", "--dry-run", "--outdir", str(tmp_path / "out"), "--config", str(config), cwd=config.parent)
    assert "--dry-run: exiting now." in out
    files = uploaded(tmp_path / "out")
    stray = sorted(f for f in files if any(part in FORBIDDEN_PARTS for part in f.split("/")))
    assert not stray, f"{worker} would upload files that are not app modules: {stray}"
    app = {f for f in files if not f.startswith("python_modules/")}
    expected = tracked_modules(REPO / "src") | (static_files() if worker == "grove-edge" else set())
    assert app == expected, (
        f"{worker}: uploaded but not app modules: {sorted(app - expected)}; "
        f"app modules not uploaded: {sorted(expected - app)}"
    )
    # The static files are uploaded unchanged (a Text module's bytes are the file's bytes).
    for name in expected - tracked_modules(REPO / "src"):
        assert (tmp_path / "out" / name).read_bytes() == (REPO / "src" / name).read_bytes(), name
    vendored_files = {
        f"python_modules/{p.relative_to(vendored).as_posix()}"
        for p in vendored.rglob("*")
        if p.is_file() and p.suffix != ".pyc"
    }
    assert files - app == vendored_files
    # The Durable Objects reach production as the vendored path package, byte for byte.
    do_sources = tracked_modules(REPO / "durable_objects")
    assert {"__init__.py", "base.py", "buffered_flush.py", "tenant.py"} <= do_sources
    for module in do_sources:
        uploaded_do = tmp_path / "out" / "python_modules" / "durable_objects" / module
        assert uploaded_do.read_bytes() == (REPO / "durable_objects" / module).read_bytes(), module


def _schema(path: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name"
        ).fetchall()
    return [tuple(r) for r in rows]


def test_wrangler_migrations_apply_and_match_the_local_schema(tmp_path):
    out = wrangler("d1", "migrations", "apply", "DB", "--local", "--persist-to", str(tmp_path / "wrangler"), cwd=REPO)
    assert "✅" in out
    databases = [p for p in (tmp_path / "wrangler" / "v3" / "d1").rglob("*.sqlite") if p.name != "metadata.sqlite"]
    assert len(databases) == 1, databases
    wrangler_schema = _schema(databases[0])

    platform = start_platform(tmp_path / "local", clock=SimulatedClock(), env_name=None, secrets={})
    try:
        local_schema = _schema(platform.runtime.d1().path)
    finally:
        platform.runtime.close()
    assert [r[:3] for r in wrangler_schema] == [r[:3] for r in local_schema]
    changed = [
        "\n".join(
            difflib.unified_diff(
                (mine[3] or "").splitlines(), (theirs[3] or "").splitlines(),
                f"local {mine[1]}", f"wrangler {theirs[1]}", lineterm="",
            )
        )  # fmt: skip
        for theirs, mine in zip(wrangler_schema, local_schema, strict=True)
        if theirs != mine
    ]
    assert not changed, "sqlite_master.sql differs:\n" + "\n".join(changed)


def test_pywrangler_resolves_the_durable_objects_path_dependency(tmp_path):
    """pywrangler's resolver (workers-py ``resolve.py``) writes ``[project].dependencies`` to a
    temporary requirements file and runs ``uv pip compile`` on it from the project root. The
    path line must resolve there to the durable_objects/ folder (checked with the pinned uv; the
    registry lines need Pyodide's index, which this machine cannot reach)."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    local = [d for d in deps if "${PROJECT_ROOT}" in d]
    assert local == ["grove-durable-objects @ file:///${PROJECT_ROOT}/durable_objects"]
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("\n".join(local))
    done = subprocess.run(
        [str(Path(sys.executable).with_name("uv")), "pip", "compile", str(requirements), "--no-header", "--quiet"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "grove-durable-objects @ file:///${PROJECT_ROOT}/durable_objects" in done.stdout
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pywrangler"]
    assert config["allow-build"] is True  # without it pywrangler passes --no-build and refuses a directory
