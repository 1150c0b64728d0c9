# The type checker's view of Pyodide's `js` module (pyright reads stubs from typings/).
#
# In production `js` is the JavaScript global scope of the isolate (`js.caches`,
# `js.WebSocketPair`, `js.Response`, ...): JS objects have no Python types, so every name is
# `Any`. This is the JS boundary, and only `grove.platform` imports `js`; what the app relies
# on from those objects is written down as Protocols in `grove.bindings`. The CPython stand-in
# (local_runtime/sdk/js.py) provides the few globals the app uses.
from typing import Any

def __getattr__(name: str) -> Any: ...
