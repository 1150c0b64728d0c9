"""grove-edge's local edge runtime for CPython.

It runs the same application code that production runs on Pyodide inside workerd, with
bindings backed by SQLite files and plain files: D1, KV, R2, Durable Objects (with real
single-threaded semantics and alarms), the Cache API, cron triggers and an HTTP server.
One module per binding under ``local_runtime.bindings``, each behind the call shapes of
Cloudflare's Python SDK (workers-runtime-sdk 1.9.x). Nothing here is uploaded to Cloudflare.

The CPython implementation of Cloudflare's ``workers`` SDK module (and the few ``js`` globals
the app uses) live in ``local_runtime/sdk/``; ``local_runtime.bootstrap.install_paths`` makes
them importable under their production names. Entry points call it before anything else.
"""
