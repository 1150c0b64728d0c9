"""The one place that puts grove-edge's code on ``sys.path``, called by each entry point.

Two kinds of folder must be importable before the runtime or the app is imported:

- ``local_runtime/sdk``: the CPython stand-ins for production's ``workers`` and ``js`` modules,
  importable under those names, so app code and runtime code share one copy of each class;
- each Worker's module root, the folder of its ``main`` (``src/`` for this repository's
  Workers): workerd's module names start there (``/session/metadata`` in production).

No module does this as a side effect of being imported: the ``grove`` command, the test suite's
``conftest.py`` and the benchmarks call ``install_paths`` first, explicitly.
"""

from __future__ import annotations

import sys
from pathlib import Path

SDK_DIR = Path(__file__).resolve().parent / "sdk"


def install_paths(repo_root: Path, *module_roots: Path) -> None:
    """Put the local SDK, ``<repo_root>/src`` and any other Worker module roots first on
    ``sys.path`` (each once)."""
    for folder in (SDK_DIR, Path(repo_root) / "src", *module_roots):
        path = str(Path(folder).resolve())
        if path not in sys.path:
            sys.path.insert(0, path)


def on_path(folder: Path) -> bool:
    return str(Path(folder).resolve()) in sys.path
