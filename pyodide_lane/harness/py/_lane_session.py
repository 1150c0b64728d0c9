"""Inside each Worker's Pyodide: the module search path workerd gives a Python Worker.

What workerd does at start-up (cloudflare/workerd, read at 6552d999c7, Aug 2026):

1. ``adjustSysPath`` (``src/pyodide/internal/setupPackages.ts``) *appends* the uploaded
   modules' root ``/session/metadata`` and then the session site-packages
   (``/session/lib/python3.14/site-packages``, where Pyodide-lock packages go: none from
   Pyodide 314 on) to ``sys.path``, after Pyodide's own entries (``''`` = the working directory
   ``/session``, the stdlib zip, the stdlib, ``lib-dynload``, ``/lib/python3.14/site-packages``).
2. ``setup_python_search_path`` (``src/pyodide/internal/setup_python_search_path.py``) inserts
   ``/session/metadata/python_modules`` just before the *first* entry containing
   ``site-packages`` (and ``/session/metadata/vendor`` after it, unless
   ``python_workers_force_new_vendor_path``, on from 2025-08-11), then, with
   ``python_process_pth_files`` (on from 2026-05-26), calls ``site.addsitedir`` on
   ``python_modules`` so its ``.pth`` files run (their paths are appended at the end).
3. ``injectWorkersApi`` (``src/pyodide/python-entrypoint-helper.ts``): with
   ``enable_python_external_sdk`` (on from 2026-04-21) it writes ``workers/__init__.py`` and
   ``asgi.py`` into ``/lib/python3.14/site-packages`` that raise ``ModuleNotFoundError`` with a
   note: the SDK must come from ``python_modules/``, which precedes them on the path.

Resulting order: stdlib, ``python_modules``, Pyodide's site-packages (the lane's ``_lane_*``
helpers), ``/session/metadata`` (the app's own modules), session site-packages, then ``.pth``
additions. A vendored package therefore shadows an app module of the same name; workerd refuses
only one that clashes with the main module (``verifyNoMainModuleInVendor``, ``pyodide.c++``).
"""

from __future__ import annotations

import os
import site
import sys

SESSION_METADATA = "/session/metadata"
PYTHON_MODULES = f"{SESSION_METADATA}/python_modules"
LEGACY_VENDOR = f"{SESSION_METADATA}/vendor"
SESSION_SITE_PACKAGES = f"/session/lib/python{sys.version_info[0]}.{sys.version_info[1]}/site-packages"

_MISSING_SDK_NOTE = "You need to update to workers-py >= 1.9 or to pass disable_python_external_sdk"


def _insert_before_site_packages(*entries: str) -> None:
    for index, entry in enumerate(sys.path):
        if "site-packages" in entry:
            sys.path[index:index] = list(entries)
            return
    raise ValueError("No site-packages found in sys.path")


def _stub_missing_module(path: str, name: str) -> None:
    """A module that raises what workerd's stand-in raises when the SDK is not vendored."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            f"_error = ModuleNotFoundError({f'No module named {name!r}'!r}, name={name!r})\n"
            f"_error.add_note({_MISSING_SDK_NOTE!r})\n"
            "raise _error\n"
        )


def set_up(*, legacy_vendor_path: bool, process_pth_files: bool, external_sdk: bool) -> None:
    sys.path.extend([SESSION_METADATA, SESSION_SITE_PACKAGES])
    os.makedirs(SESSION_SITE_PACKAGES, exist_ok=True)
    _insert_before_site_packages(PYTHON_MODULES, *([LEGACY_VENDOR] if legacy_vendor_path else []))
    if process_pth_files:
        site.addsitedir(PYTHON_MODULES)
    if external_sdk:
        site_packages = site.getsitepackages()[0]
        _stub_missing_module(f"{site_packages}/workers/__init__.py", "workers")
        _stub_missing_module(f"{site_packages}/asgi.py", "asgi")
