"""pytest plugin for the lane's client interpreter (loaded with ``-p _lane_pytest``).

- Async tests and async fixtures run to completion with ``pyodide.ffi.run_sync`` (JSPI): in
  Pyodide the event loop is the browser-style WebLoop, which is always running, so
  pytest-asyncio's runner cannot be used. The repository's ``asyncio_*`` ini options are
  accepted so pyproject.toml applies unchanged.
- ``edge``: the Pyodide implementation of the scenario contract, on a fresh platform per test.
- Outcomes (with every skip reason) are handed to the harness, which prints the skip count.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pyodide.ffi import run_sync

_outcomes: dict[str, Any] = {"passed": 0, "failed": 0, "skipped": [], "xfailed": 0, "errors": 0}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("asyncio_mode", "accepted for pyproject.toml (async tests always run here)")
    parser.addini("asyncio_default_fixture_loop_scope", "accepted for pyproject.toml")
    parser.addini("conformance_output", "where the conformance observations are written", default="")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    run_sync(pyfuncitem.obj(**args))
    return True


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Any:
    func = fixturedef.func
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        def run_coroutine(*args: Any, **kwargs: Any) -> Any:
            return run_sync(func(*args, **kwargs))

        fixturedef.func = run_coroutine
    elif inspect.isasyncgenfunction(func):

        @functools.wraps(func)
        def run_generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            gen = func(*args, **kwargs)
            yield run_sync(gen.__anext__())
            try:
                run_sync(gen.__anext__())
            except StopAsyncIteration:
                pass

        fixturedef.func = run_generator
    try:
        return (yield)
    finally:
        fixturedef.func = func


@pytest.fixture
def edge() -> Any:
    import grove_lane
    from _lane_edge import PyodideEdge

    run_sync(grove_lane.reset())
    return PyodideEdge()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        if hasattr(report, "wasxfail"):
            _outcomes["xfailed"] += 1
        else:
            _outcomes["passed"] += 1
    elif report.failed:
        _outcomes["failed" if report.when == "call" else "errors"] += 1
    elif report.skipped:
        if hasattr(report, "wasxfail"):
            _outcomes["xfailed"] += 1
            return
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        _outcomes["skipped"].append({"nodeid": report.nodeid, "reason": reason.removeprefix("Skipped: ")})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import grove_lane

    grove_lane.report(json.dumps(_outcomes))
