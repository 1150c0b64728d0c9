"""Inside each Worker's Pyodide: find the entrypoint classes and call their methods as workerd does.

workerd (``src/pyodide/internal/introspection.py`` and ``python-entrypoint-helper.ts``) lists
the public classes of the main module that subclass the SDK's ``WorkerEntrypoint`` or
``DurableObject`` (honouring ``__all__``), wraps each in a JS class, and calls a method by:

- ``fetch`` and the test handler: relaxed call (extra arguments dropped), arguments through
  ``python_from_rpc``, result through ``python_to_rpc``;
- ``alarm``, ``webSocketMessage``/``Close``/``Error`` on a Durable Object: the raw JS
  arguments, relaxed, result untouched (``call_raw``);
- every other method, including ``scheduled`` and RPC methods: a strict call (a missing
  argument is a TypeError) with ``python_from_rpc`` on each argument and ``python_to_rpc`` on
  the result.

This module reproduces those rules; the harness (``worker.mjs``) decides which one applies.
"""

from __future__ import annotations

from inspect import isawaitable, isclass
from types import FunctionType
from typing import Any

from pyodide.code import relaxed_call

from workers import DurableObject, WorkerEntrypoint, python_from_rpc, python_to_rpc


def _own_function(cls: type, name: str) -> bool:
    for base in cls.__mro__:
        if name in base.__dict__:
            return isinstance(base.__dict__[name], FunctionType)
    return False


def _public_methods(cls: type) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_") and _own_function(cls, n))


def describe(module: Any) -> dict[str, list[dict[str, Any]]]:
    """The entrypoint classes of ``module``: ``{"durableObjects": [...], "workerEntrypoints": [...]}``."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    found: dict[str, list[dict[str, Any]]] = {"durableObjects": [], "workerEntrypoints": []}
    for name in names:
        value = getattr(module, name)
        for key, base in (("durableObjects", DurableObject), ("workerEntrypoints", WorkerEntrypoint)):
            if isclass(value) and issubclass(value, base) and value is not base:
                found[key].append({"className": value.__name__, "methodNames": _public_methods(value)})
    return found


async def call_converted(relaxed: bool, instance: Any, name: str, *args: Any) -> Any:
    """workerd's ``wrapper_func``: convert arguments in, call, convert the result out."""
    method = getattr(instance, name)
    py_args = [python_from_rpc(a) for a in args]
    result = relaxed_call(method, *py_args) if relaxed else method(*py_args)
    if isawaitable(result):
        result = await result
    return python_to_rpc(result)


async def call_raw(instance: Any, name: str, *args: Any) -> Any:
    """Durable Object lifecycle handlers: JS arguments as they are, relaxed call."""
    result = relaxed_call(getattr(instance, name), *args)
    if isawaitable(result):
        result = await result
    return result


def has_method(instance: Any, name: str) -> bool:
    return callable(getattr(instance, name, None))
