"""Benchmark: a post's content versions (PostContentDO, issue 11).

1. Saves: ``--edits`` edits of one published post through ``PUT /api/posts/{slug}``, each
   changing one line of a ~3 KB markdown text (a new version each), next to as many saves that
   change only the title (no version: the same write path without the version's work). Per
   save: D1 queries and Durable Object requests (counted by the runtime, the save's
   ``waitUntil`` work included), CPU time on the local runtime (CPython, not production) and
   the modelled latency with the published Cloudflare figures
   (``local_runtime.latency.LatencyProfile``, as ``bench/post_meta.py`` models a toggle): p50/p95.
2. Storage: what the post's versions take after those edits: the bytes of the versions' rows
   (markdown plus HTML, UTF-8) and the object's SQLite file, per post and per version. Every
   version keeps its whole text (no deltas), so this grows linearly with edits.
3. History: ``--reps`` calls each of the list (``GET .../versions``, first page), the diff of
   the oldest version against the current one (``GET .../versions/1``) and a restore
   (``POST .../versions/{n}/restore``): the same four figures.

Everything runs through ``Default.fetch`` on the local runtime with a simulated clock.

    .venv/bin/python bench/versions.py [--edits 200] [--reps 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from grove_dev import REPO_ROOT
from local_runtime.bootstrap import install_paths

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from grove.versions import VERSIONS_PAGE_SIZE  # noqa: E402
from grove_dev import bench_kit as kit  # noqa: E402
from grove_dev.platform import Platform  # noqa: E402
from grove_dev.seed import create_tenant  # noqa: E402
from local_runtime.clock import SimulatedClock  # noqa: E402
from local_runtime.latency import RequestTrace  # noqa: E402

SLUG = "compost-notes"
POST_URL = f"http://autumn.localhost/api/posts/{SLUG}"
LINES = 40  # of the post's markdown: about 3 KB
# The simulated time between two saves (the editor saves 2 s after typing stops).
SAVE_GAP_MS = 30_000


def _text(edit: int) -> str:
    """The post after ``edit`` edits: one line (which one rotates) says which edit it is."""
    lines = [f"Line {n}: brown and green layers, turned every *two* weeks, kept as damp as a wrung sponge." for n in range(LINES)]
    lines[0] = "# Compost notes"
    if edit:
        lines[1 + edit % (LINES - 1)] = f"Edit {edit}: the heap reached **60 °C** today; turned it again."
    return "\n\n".join(lines) + "\n"


class Costs:
    """Per-request figures of one kind of call: CPU, modelled latency, D1 queries, DO requests."""

    def __init__(self) -> None:
        self.cpu_ms: list[float] = []
        self.modelled_ms: list[float] = []
        self.d1_queries: list[int] = []
        self.do_requests: list[int] = []

    def summary(self, warmup: int) -> dict[str, float]:
        warm = slice(min(warmup, len(self.cpu_ms) // 10), None)  # the first calls import and warm caches
        return {
            "cpu_ms_p50": round(kit.pct(self.cpu_ms[warm], 50), 3),
            "cpu_ms_p95": round(kit.pct(self.cpu_ms[warm], 95), 3),
            "modelled_ms_p50": round(kit.pct(self.modelled_ms[warm], 50), 2),
            "modelled_ms_p95": round(kit.pct(self.modelled_ms[warm], 95), 2),
            "d1_queries": round(statistics.mean(self.d1_queries), 2),
            "do_requests": round(statistics.mean(self.do_requests), 2),
        }


class Bench:
    def __init__(self, platform: Platform, clock: SimulatedClock) -> None:
        self.platform, self.clock = platform, clock
        token = kit.account_token(platform, clock, "ada", tenant="autumn", role="owner", ttl_s=24 * 3600)
        self.headers = kit.bearer(token, json_body=True)

    async def call(self, costs: Costs | None, method: str, url: str, body: dict[str, Any] | None, status: int) -> Any:
        runtime, stats = self.platform.runtime, self.platform.services.stats
        d1_before, do_before = stats.get("d1.queries"), stats.get("do.requests")
        trace = RequestTrace()
        started = time.process_time_ns()
        reply = await runtime.fetch(url, method=method, headers=self.headers, body=None if body is None else json.dumps(body), trace=trace)
        text = await reply.text()
        cpu_ms = (time.process_time_ns() - started) / 1e6
        await runtime.drain()  # the call's waitUntil work (cache invalidation) counts too
        if reply.status != status:
            raise RuntimeError(f"{method} {url}: expected {status}, got {reply.status}: {text}")
        if costs is not None:
            costs.cpu_ms.append(cpu_ms)
            costs.modelled_ms.append(trace.modelled_ms)
            costs.d1_queries.append(stats.get("d1.queries") - d1_before)
            costs.do_requests.append(stats.get("do.requests") - do_before)
        return json.loads(text)

    async def gap(self) -> None:
        await self.platform.runtime.advance(SAVE_GAP_MS)

    async def storage(self) -> dict[str, int]:
        runtime = self.platform.runtime
        post_id = (await runtime.d1().prepare("SELECT id FROM posts WHERE slug = ?").bind(SLUG).first())["id"]
        namespace = runtime.namespaces[("grove-edge", "PostContentDO")]
        stub = runtime.worker().env.POST_CONTENT.getByName(f"post-content:autumn:{post_id}")
        instance = await namespace.instance_for_test(stub)
        row = instance.sql.exec(
            "SELECT COUNT(*) AS n, SUM(length(CAST(markdown AS BLOB)) + length(CAST(html AS BLOB))) AS bytes FROM content_versions"
        ).one()
        main = self.platform.services.path("do", "PostContentDO", f"{stub.id._hex}.sqlite")
        wal = main.with_name(main.name + "-wal")
        return {
            "versions": row["n"], "row_bytes": row["bytes"], "file_bytes": main.stat().st_size,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        }


async def run(edits: int, reps: int) -> dict[str, Any]:
    async with kit.bench_platform("versions", latency=True) as (platform, clock):
        await create_tenant(platform.runtime, "autumn", "Autumn")
        bench = Bench(platform, clock)
        await bench.call(None, "POST", "http://autumn.localhost/api/posts", {"title": "Compost Notes", "slug": SLUG, "markdown": _text(0), "status": "published"}, 201)
        saves, titles = Costs(), Costs()
        for n in range(1, edits + 1):
            await bench.gap()
            await bench.call(saves, "PUT", POST_URL, {"markdown": _text(n)}, 200)
            await bench.gap()
            await bench.call(titles, "PUT", POST_URL, {"title": f"Compost Notes ({n})"}, 200)
        stored = await bench.storage()
        if stored["versions"] != edits + 1:
            raise RuntimeError(f"{stored['versions']} versions after {edits} edits of a new post")
        listed, diffed, restored = Costs(), Costs(), Costs()
        for n in range(reps):
            page = await bench.call(listed, "GET", f"{POST_URL}/versions", None, 200)
            if len(page["versions"]) != VERSIONS_PAGE_SIZE or not page["versions"][0]["current"]:
                raise RuntimeError(f"unexpected first page: {page['versions'][:1]}")
            compared = await bench.call(diffed, "GET", f"{POST_URL}/versions/1", None, 200)
            if not any(line["op"] == "removed" for line in compared["diff"]):
                raise RuntimeError("the diff of version 1 against the current text shows no change")
            await bench.gap()
            source = 2 + n % edits  # never version 1: the diff above compares against it
            back = await bench.call(restored, "POST", f"{POST_URL}/versions/{source}/restore", None, 200)
            if back["restored_from"] != source or back["post"]["markdown"] != _text(source - 1):
                raise RuntimeError(f"restore of version {source} did not bring its text back")
        return {"saves": saves, "titles": titles, "stored": stored, "list": listed, "diff": diffed, "restore": restored}


def summarise(edits: int, reps: int, measured: dict[str, Any], wall_s: float) -> dict[str, Any]:
    save, title = measured["saves"].summary(20), measured["titles"].summary(20)
    stored = measured["stored"]
    out: dict[str, Any] = {"edits": edits, "reps": reps, "markdown_bytes": len(_text(1).encode())}
    for key, value in save.items():
        out[f"save_with_version_{key}"] = value
    for key, value in title.items():
        out[f"save_without_version_{key}"] = value
    out["versions_per_post"] = stored["versions"]
    out["versions_row_bytes_per_post"] = stored["row_bytes"]
    out["versions_row_bytes_per_version"] = round(stored["row_bytes"] / stored["versions"])
    out["do_sqlite_file_bytes_per_post"] = stored["file_bytes"]
    out["do_sqlite_wal_bytes_per_post"] = stored["wal_bytes"]
    for name in ("list", "diff", "restore"):
        for key, value in measured[name].summary(10).items():
            out[f"{name}_{key}"] = value
    out["wall_s"] = round(wall_s, 1)
    return out


def table(s: dict[str, Any]) -> str:
    def row(label: str, prefix: str) -> str:
        return (
            f"{label:<28} {s[prefix + 'd1_queries']:>6} {s[prefix + 'do_requests']:>6} {s[prefix + 'cpu_ms_p50']:>8} "
            f"{s[prefix + 'cpu_ms_p95']:>8} {s[prefix + 'modelled_ms_p50']:>8} {s[prefix + 'modelled_ms_p95']:>8}"
        )

    return "\n".join([
        f"{s['edits']} edits of a {s['markdown_bytes']}-byte post, {s['reps']} history calls of each kind (local runtime, simulated clock)",
        f"{'per call':<28} {'D1 q':>6} {'DO req':>6} {'CPU p50':>8} {'CPU p95':>8} {'mod p50':>8} {'mod p95':>8}  (ms)",
        row("save, text (a version)", "save_with_version_"),
        row("save, title only (none)", "save_without_version_"),
        row("list versions (1st page)", "list_"),
        row("diff version 1 to current", "diff_"),
        row("restore a version", "restore_"),
        f"storage after {s['edits']} edits: {s['versions_per_post']} versions, {s['versions_row_bytes_per_post']} bytes of rows "
        f"({s['versions_row_bytes_per_version']} per version: markdown + HTML), "
        f"the object's SQLite file {s['do_sqlite_file_bytes_per_post']} bytes (+ {s['do_sqlite_wal_bytes_per_post']} of write-ahead log, local runtime)",
    ])


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    measured = await run(args.edits, args.reps)
    return summarise(args.edits, args.reps, measured, time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    options = kit.parser(__doc__)
    options.add_argument("--edits", type=int, default=200)
    options.add_argument("--reps", type=int, default=100)
    return kit.run(main_async, options.parse_args(argv), table)


if __name__ == "__main__":
    sys.exit(main())
