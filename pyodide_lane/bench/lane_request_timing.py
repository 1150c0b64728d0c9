"""Per-request times under the Pyodide lane, for ``bench/pyodide_requests.py``.

Runs in the lane's client interpreter (pytest is only the driver): requests go to the Workers
through ``grove_lane.fetch``, whose ``elapsed_ms`` is the Worker's own time for the request
(harness ``lane.mjs``: from the call to the last body byte). Interleaved, after a warm-up that
gets every isolate past its first request:

- the trivial Worker (``pyodide_lane/hello_worker``): ``GET /``, the floor;
- a cached view: ``GET /blog/<slug>`` of a published post, after the page is in the Cache API;
- a post create: ``POST /api/posts`` (the rate limit raised through a var by the benchmark).

Reads its size from ``<lane work>/request-timing-spec.json`` and writes the times, in
milliseconds, to ``<lane work>/request-timing.json``. Each request's status is checked, so a
run that timed errors fails instead of reporting them.
"""

from __future__ import annotations

import json
import os
import sys

import grove_lane
from pyodide.ffi import jsnull, to_js

sys.path.append(os.path.join(os.getcwd(), "tests", "scenarios"))
from scenario_contract import TEST_SECRETS  # noqa: E402
from scenario_seed import add_member, add_tenant, bearer  # noqa: E402

WORK = "/lane-work"
HELLO = "grove-lane-hello"
TENANT = "autumn"


async def _timed(worker: str, method: str, url: str, expect: int, headers: dict[str, str] | None = None, body: str | None = None) -> float:
    js_headers = to_js([[k, v] for k, v in (headers or {}).items()])
    js_body = to_js(body.encode()) if body is not None else None
    reply = await grove_lane.fetch(worker, method, url, js_headers, js_body)
    if reply.error not in (None, jsnull) or int(reply.status) != expect:
        raise AssertionError(f"{method} {url}: {reply.status} {reply.error} {bytes(reply.body.to_bytes())[:300]!r}")
    return float(reply.elapsed_ms)


def _post(n: int) -> str:
    paragraphs = "\n\n".join(f"Paragraph {p} of the timing post, with *emphasis* and a [link](https://example.com/{p})." for p in range(8))
    return json.dumps({"title": f"Timing post {n}", "markdown": f"# Timing {n}\n\n{paragraphs}", "status": "published"})


def _spec() -> dict[str, int]:
    # Emscripten's file system is synchronous and in memory (NODEFS underneath): no event loop to block.
    with open(f"{WORK}/request-timing-spec.json") as f:
        return json.load(f)


def _write(times: dict[str, list[float]]) -> None:
    with open(f"{WORK}/request-timing.json", "w") as f:
        json.dump(times, f)


async def test_request_timing(edge):
    spec = _spec()
    reps, warmup = int(spec["reps"]), int(spec["warmup"])
    await add_tenant(edge.env.DB, TENANT, tier="oak", display_name="Autumn")
    await add_member(edge.env.DB, "ada", TENANT)  # a token must name an account with a membership
    auth = {**bearer(TEST_SECRETS["JWT_SECRET"], edge.now_ms(), tenant=TENANT, ttl_s=3600), "content-type": "application/json"}
    posts = edge.url(TENANT, "/api/posts")
    await _timed(edge.main, "POST", posts, 201, auth, _post(0))
    page = edge.url(TENANT, "/blog/timing-post-0")
    hello_url = "https://hello.example/"
    times: dict[str, list[float]] = {"hello": [], "cached_view": [], "post_create": []}
    for _ in range(warmup):  # every isolate past its first request of each kind
        await _timed(HELLO, "GET", hello_url, 200)
        await _timed(edge.main, "GET", page, 200)
    for _ in range(reps):
        times["hello"].append(await _timed(HELLO, "GET", hello_url, 200))
        times["cached_view"].append(await _timed(edge.main, "GET", page, 200))
    # Creates after the views: a create may purge list pages, never the view measured above.
    for n in range(1, warmup + 1):
        await _timed(edge.main, "POST", posts, 201, auth, _post(n))
    for n in range(warmup + 1, warmup + reps + 1):
        times["post_create"].append(await _timed(edge.main, "POST", posts, 201, auth, _post(n)))
        times["hello"].append(await _timed(HELLO, "GET", hello_url, 200))
    await edge.drain()
    _write(times)
