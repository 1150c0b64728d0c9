"""Benchmark: `grove dev` over HTTP on loopback, next to a hello-world and to an older commit.

In one run, with autocannon (npm, pinned) as the load generator and every server a subprocess
on 127.0.0.1:

- `grove dev --no-access-log` (this tree): a cached post page, a list page (`/blog`), a 404
  (`/blog/<no such post>`) and a 90/10 mix (nine reads of the post page, then an edit of that
  post through `PUT /api/posts/{slug}`, which purges the page, so reads after it rebuild);
- the same cached page with the access log on (what `grove dev` does by default);
- `bench/http_hello.py` on the same uvicorn stack (httptools + uvloop, no access log): the floor;
- the same cached page served by `grove dev` of a base commit (default 534e12b, before this
  work): a temporary git worktree of it, run with this venv as that commit's own install had it,
  i.e. without uvicorn's `standard` extra (its `grove dev` asked uvicorn for "auto", which would
  otherwise pick up httptools and uvloop from this venv); removed afterwards.

The cached page, the hello-world and the base are measured in `--rounds` alternating rounds
(drift on a shared machine hits them alike); their figures are medians over rounds. Request
rates are completed requests over the measured seconds after a warm-up; latencies are
autocannon's, per request, at `--connections` concurrent connections.

Last line: JSON with `cached_page_rps`, `hello_rps`, `base_cached_page_rps`,
`cached_page_speedup_vs_base` (target >= 2), `cached_page_vs_hello` (the app's rate as a share of
the bare server's), per-target `*_rps`, `*_latency_ms_p50`, `*_latency_ms_p99`, and
`cached_page_d1_queries` (D1 queries the cached page run made: ~0 when it is served from the
edge cache).

    .venv/bin/python bench/http_load.py [--seconds 5] [--rounds 5] [--connections 16] [--base 534e12b]
    .venv/bin/python bench/http_load.py --seconds 1 --rounds 1 --no-base    # the smoke in make test
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from local_runtime.bootstrap import install_paths  # noqa: E402

install_paths(REPO_ROOT)  # the local `workers` SDK and the app's module root, before the app

from bench.servers import free_port, wait_for_health  # noqa: E402
from grove.limits import Rule, var_name  # noqa: E402

NODE_DRIVER = REPO_ROOT / "bench" / "http_load.mjs"
TENANT = "autumn"
MISSING_SLUG = "no-such-post-here"
RAISED_LIMIT = "1000000/60"  # the mix measures the write path, not the rate limiter
# The base commit's `grove dev` as its own install had it: uvicorn without the `standard`
# extra. Blocking the two imports makes uvicorn's "auto" choose h11 and asyncio, as it did.
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
WITHOUT_STANDARD_EXTRA = "import sys; sys.modules['uvloop'] = None; sys.modules['httptools'] = None; "


@dataclass
class Server:
    label: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")

    def cpu_s(self) -> float:
        """CPU time the server process has used so far (user + system, /proc/<pid>/stat)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS_PER_S


@contextlib.contextmanager
def serving(label: str, command: list[str], cwd: Path, log: Path, port: int, health: str) -> Iterator[Server]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    server = Server(label, port, process, log)
    try:
        wait_for_health(f"{server.url}{health}", process, what=label, log=log)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def grove_dev(cwd: Path, state: Path, port: int, *extra: str, python_prefix: str = "") -> list[str]:
    args = ["dev", "--host", "127.0.0.1", "--port", str(port), "--state", str(state), *extra]
    if python_prefix:
        boot = f"{python_prefix}import runpy; sys.argv = ['grove', *{args!r}]; runpy.run_module('grove_dev.cli', run_name='__main__')"
        return [sys.executable, "-c", boot]
    return [sys.executable, "-m", "grove_dev.cli", *args]


@contextlib.contextmanager
def base_worktree(commit: str, tmp: Path) -> Iterator[Path]:
    """A temporary git worktree of ``commit``, removed afterwards."""
    path = tmp / f"base-{commit}"
    subprocess.run(["git", "worktree", "add", "--detach", str(path), commit], cwd=REPO_ROOT, check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=REPO_ROOT, check=False, capture_output=True)


def load(server: Server, requests: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """One autocannon run against ``server``, with the server's CPU time per request: the rate
    depends on how much of a core the server got on a shared machine, the CPU per request
    much less."""
    spec = {
        "url": server.url, "host": f"{TENANT}.localhost:{server.port}", "connections": args.connections,
        "duration_s": args.seconds, "warmup_s": args.warmup, "requests": requests,
    }
    cpu_before = server.cpu_s()
    done = subprocess.run(
        ["node", str(NODE_DRIVER), json.dumps(spec)], cwd=REPO_ROOT, check=True, capture_output=True, text=True,
        timeout=args.seconds + args.warmup + 120,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    # The warm-up's requests are not in result["requests"]: count them at the measured rate.
    requests_served = result["requests"] * (1 + args.warmup / result["duration_s"]) if result["duration_s"] else 0
    result["server_cpu_us_per_request"] = (server.cpu_s() - cpu_before) * 1e6 / requests_served if requests_served else 0.0
    return result


def get(path: str) -> dict[str, Any]:
    return {"method": "GET", "path": path, "headers": {"accept": "text/html"}}


def first_slug(server: Server) -> str:
    reply = httpx.get(f"{server.url}/api/posts", headers={"host": f"{TENANT}.localhost:{server.port}"}, timeout=30)
    reply.raise_for_status()
    return str(reply.json()["posts"][0]["slug"])


def d1_queries(server: Server) -> int:
    return int(httpx.get(f"{server.url}/__stats", timeout=30).json().get("d1", {}).get("queries", 0))


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "latency_ms_p50": statistics.median(r["latency_ms_p50"] for r in runs),
        "latency_ms_p99": statistics.median(r["latency_ms_p99"] for r in runs),
        "server_cpu_us_per_request": statistics.median(r["server_cpu_us_per_request"] for r in runs),
        "statuses": {code: sum(r["statuses"].get(code, 0) for r in runs) for code in {c for r in runs for c in r["statuses"]}},
        "errors": sum(r["errors"] for r in runs),
    }


def account_token(state: Path, tenant: str, role: str) -> str:
    """A token from `grove token`: signed with the secret `grove dev` uses, its account and
    membership created in that server's state (roles come from memberships)."""
    return subprocess.run(
        [sys.executable, "-m", "grove_dev.cli", "token", "--tenant", tenant, "--user", "bench", "--role", role, "--state", str(state)],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True,
    ).stdout.strip()


def run(args: argparse.Namespace) -> dict[str, Any]:
    raised = [f"--var={var_name(rule)}={RAISED_LIMIT}" for rule in Rule]
    with tempfile.TemporaryDirectory(prefix="grove-http-load-") as tmp_name, contextlib.ExitStack() as stack:
        tmp = Path(tmp_name)

        def start(label: str, command: list[str], cwd: Path, port: int, health: str = "/__health") -> Server:
            return stack.enter_context(serving(label, command, cwd, tmp / f"{label}.log", port, health))

        ports = {name: free_port() for name in ("app", "app_log", "hello", "base")}
        app = start("app", grove_dev(REPO_ROOT, tmp / "app", ports["app"], "--no-access-log", *raised), REPO_ROOT, ports["app"])
        app_log = start("app_log", grove_dev(REPO_ROOT, tmp / "app_log", ports["app_log"]), REPO_ROOT, ports["app_log"])
        hello = start("hello", [
            sys.executable, "-m", "uvicorn", "http_hello:app", "--app-dir", str(REPO_ROOT / "bench"), "--port", str(ports["hello"]),
            "--http", "httptools", "--loop", "uvloop", "--no-access-log", "--lifespan", "off", "--log-level", "warning",
        ], REPO_ROOT, ports["hello"], health="/")  # fmt: skip
        base = None
        if args.base:
            tree = stack.enter_context(base_worktree(args.base, tmp))
            command = grove_dev(tree, tmp / "base", ports["base"], python_prefix=WITHOUT_STANDARD_EXTRA)
            base = start("base", command, tree, ports["base"])

        slug = first_slug(app)
        page = [get(f"/blog/{slug}")]
        rounds: dict[str, list[dict[str, Any]]] = {"hello": [], "cached_page": [], "base_cached_page": []}
        queries_before = d1_queries(app)
        for _ in range(args.rounds):
            rounds["hello"].append(load(hello, [get("/")], args))
            rounds["cached_page"].append(load(app, page, args))
            if base is not None:
                rounds["base_cached_page"].append(load(base, [get(f"/blog/{first_slug(base)}")], args))
        cached_page_d1_queries = d1_queries(app) - queries_before
        results = {name: median_of(runs) for name, runs in rounds.items() if runs}
        results["cached_page_access_log"] = load(app_log, page, args)
        results["list"] = load(app, [get("/blog")], args)
        results["not_found"] = load(app, [get(f"/blog/{MISSING_SLUG}")], args)
        token = account_token(tmp / "app", TENANT, "author")
        edit = {
            "method": "PUT", "path": f"/api/posts/{slug}", "body": json.dumps({"markdown": "Edited by the load run, {n}."}),
            "headers": {"authorization": f"Bearer {token}", "content-type": "application/json", "accept": "application/json"},
        }  # fmt: skip
        results["mix_90_10"] = load(app, page * 9 + [edit], args)
        tracebacks = sum(s.tracebacks() for s in (app, app_log, hello, *([base] if base else [])))
    return summarise(results, args, cached_page_d1_queries, tracebacks)


def summarise(results: dict[str, dict[str, Any]], args: argparse.Namespace, d1: int, tracebacks: int) -> dict[str, Any]:
    out: dict[str, Any] = {"seconds": args.seconds, "rounds": args.rounds, "connections": args.connections, "base": args.base or None}
    for name, r in results.items():
        out[f"{name}_rps"] = round(r["rps"], 1)
        out[f"{name}_latency_ms_p50"] = r["latency_ms_p50"]
        out[f"{name}_latency_ms_p99"] = r["latency_ms_p99"]
        out[f"{name}_server_cpu_us_per_request"] = round(r["server_cpu_us_per_request"], 1)
        out[f"{name}_statuses"] = r["statuses"]
        out[f"{name}_errors"] = r["errors"]
    out["cached_page_vs_hello"] = round(results["cached_page"]["rps"] / results["hello"]["rps"], 3)
    out["cached_page_speedup_vs_base"] = (
        round(results["cached_page"]["rps"] / results["base_cached_page"]["rps"], 2) if "base_cached_page" in results else None
    )
    out["cached_page_cpu_ratio_base_vs_this"] = (
        round(results["base_cached_page"]["server_cpu_us_per_request"] / results["cached_page"]["server_cpu_us_per_request"], 2)
        if "base_cached_page" in results else None
    )
    out["access_log_cost_ratio"] = round(results["cached_page"]["rps"] / results["cached_page_access_log"]["rps"], 2)
    out["cached_page_d1_queries"] = d1
    out["server_tracebacks"] = tracebacks
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per load run")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each run")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of hello / cached page / base")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--base", default="534e12b", help="the commit to compare the cached page with")
    parser.add_argument("--no-base", dest="base", action="store_const", const="", help="skip the base commit")
    args = parser.parse_args()
    r = run(args)
    print(f"{'target':<26}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'server CPU us/req':>19}  statuses")
    for name in ("hello", "cached_page", "cached_page_access_log", "base_cached_page", "list", "not_found", "mix_90_10"):
        if f"{name}_rps" in r:
            print(f"{name:<26}{r[f'{name}_rps']:>10.1f}{r[f'{name}_latency_ms_p50']:>9}{r[f'{name}_latency_ms_p99']:>9}"
                  f"{r[f'{name}_server_cpu_us_per_request']:>19.1f}  {r[f'{name}_statuses']}")  # fmt: skip
    print(f"cached page: {r['cached_page_vs_hello']:.1%} of hello-world's rate; "
          f"{r['cached_page_speedup_vs_base']}x the base's rate ({r['base']}), "
          f"{r['cached_page_cpu_ratio_base_vs_this']}x less server CPU per request; access log on costs {r['access_log_cost_ratio']}x; "
          f"{r['cached_page_d1_queries']} D1 queries in the cached page runs; {r['server_tracebacks']} server tracebacks")  # fmt: skip
    print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
