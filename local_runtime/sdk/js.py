"""The JavaScript globals grove-edge uses directly, for CPython (``from js import caches``).

Production's ``js`` module is the whole JS global scope; locally only what the app needs is
here, bound by the running runtime. Anything else fails loudly rather than pretending.
"""

from typing import Any

# Set by local_runtime.runtime: the Cache API (`caches.default`, `await caches.open(name)`),
# `WebSocketPair` (`WebSocketPair.new().object_values()`) and `console`.
caches: Any = None
WebSocketPair: Any = None


class _Console:
    def log(self, *args: Any) -> None:
        print(*args)

    error = warn = info = debug = log


console = _Console()


def __getattr__(name: str) -> Any:
    raise AttributeError(f"js.{name} is not provided by grove-edge's local runtime")
