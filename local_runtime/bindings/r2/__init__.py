"""R2 for the local runtime: object bodies as files, metadata in SQLite, production's call shapes.

Layout under the state dir: ``r2/<bucket>/meta.sqlite3`` holds one row per object and
``r2/<bucket>/objects/<sha256(key)>-<version>`` its body (``store``). What Python code sees
follows workerd's ``r2-bucket.c++`` seen through the SDK's ``_BindingWrapper``: ``R2Object``
attributes keep their JS names, JS objects become ``JsDict``, a JS Date becomes a naive
``datetime`` in UTC (``python_from_rpc`` calls ``datetime.fromtimestamp`` and workerd runs in
UTC), an ArrayBuffer becomes a ``memoryview``. Errors read like production's
``"put: <message> (<code>)"``; the R2-side checks (key length, limits, conditions, ranges)
follow miniflare's R2 simulator. Modules: ``bucket`` (the binding), ``objects`` (results),
``values`` (keys, bodies, metadata), ``conditions`` (onlyIf, ranges), ``store``, ``errors``.

Known differences: bodies are read eagerly (``body`` is ``bytes``, not a ReadableStream);
``blob()``, multipart uploads and SSE-C are not provided (an ``ssecKey`` option fails loudly);
objects in ``list()`` results are the same ``R2Object`` as ``head()`` returns, whereas
production hands them over unwrapped (a JsProxy whose ``uploaded`` is a JS Date): rely only on
key/size/etag/httpEtag/version there.
"""

from local_runtime.bindings.r2.bucket import R2Bucket
from local_runtime.bindings.r2.errors import R2Error
from local_runtime.bindings.r2.objects import R2Checksums, R2Object, R2ObjectBody

__all__ = ["R2Bucket", "R2Checksums", "R2Error", "R2Object", "R2ObjectBody"]
