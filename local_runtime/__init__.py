"""grove-edge's local edge runtime for CPython.

It runs the same application code that production runs on Pyodide inside workerd, with
bindings backed by SQLite files and plain files: D1, KV, R2, Durable Objects (with real
single-threaded semantics and alarms), the Cache API, cron triggers and an HTTP server.
One module per binding under ``local_runtime.bindings``, each behind the call shapes of
Cloudflare's Python SDK (workers-runtime-sdk 1.9.x). Nothing here is uploaded to Cloudflare.
"""

import sys
from pathlib import Path

# The CPython implementation of Cloudflare's `workers` SDK module (and the few `js` globals the
# app uses) live in local_runtime/sdk/, importable under their production names. Putting that
# folder on sys.path as soon as the runtime is imported means app code and runtime code always
# share one copy of each class.
SDK_DIR = Path(__file__).resolve().parent / "sdk"
if str(SDK_DIR) not in sys.path:
    sys.path.insert(0, str(SDK_DIR))
