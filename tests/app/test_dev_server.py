"""The local server for real: uvicorn on a loopback port, HTTP and WebSockets end to end."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from pathlib import Path

import uvicorn
import websockets
from dev_server import free_port, running_dev_server

from local_runtime.bootstrap import install_paths
from local_runtime.clock import RealClock
from local_runtime.runtime import LocalRuntime
from local_runtime.server import LocalServer
from local_runtime.services import RuntimeServices

REPO = Path(__file__).resolve().parents[2]
ECHO_CONFIG = REPO / "tests" / "fixtures" / "echo_worker" / "wrangler.toml"


def _get_json(url: str, host: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_grove_dev_serves_health_and_stats(tmp_path):
    with running_dev_server(tmp_path / "state", tmp_path / "grove-dev.log") as server:
        status, health = _get_json(f"{server.url}/__health")
        assert status == 200 and health["status"] == "ok"
        assert set(health["workers"]) == {"grove-edge", "grove-post-migrator"}
        status, stats = _get_json(f"{server.url}/__stats")
        assert status == 200
        assert stats["d1"]["queries"] >= 2 and stats["worker"]["requests"] == 0
        # Tenants are subdomains: the Host header reaches the Worker intact.
        status, body = _get_json(f"{server.url}/no-such-page", host=server.host("autumn"))
        assert status == 404 and body["error"]["code"] == "not_found"
        status, stats = _get_json(f"{server.url}/__stats")
        assert stats["worker"]["requests"] == 1
    assert '"GET /no-such-page HTTP/1.1" 404' in server.output()  # the access log, on by default


def test_grove_dev_without_access_log(tmp_path):
    with running_dev_server(tmp_path / "state", tmp_path / "grove-dev.log", "--no-seed", "--no-access-log") as server:
        status, _ = _get_json(f"{server.url}/no-such-page", host=server.host("autumn"))
        assert status == 404
    assert "no-such-page" not in server.output() and "Uvicorn running" in server.output()


async def test_websocket_bridge_reaches_a_hibernatable_durable_object(tmp_path):
    install_paths(REPO, ECHO_CONFIG.parent)  # the echo Worker's module root
    runtime = LocalRuntime([ECHO_CONFIG], RuntimeServices(state_dir=tmp_path, clock=RealClock()))
    runtime.load()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(LocalServer(runtime), host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no start event)
            await asyncio.sleep(0.05)
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws/lobby") as ws:
            await ws.send("hello")
            assert await asyncio.wait_for(ws.recv(), 5) == "echo:hello (sockets=1)"
            # Evict the room: the socket survives and the next message wakes a new instance.
            runtime.evict_all()
            await ws.send("again")
            assert await asyncio.wait_for(ws.recv(), 5) == "echo:again (sockets=1)"
        namespace = runtime.namespaces[("echo-worker", "EchoRoom")]
        assert runtime.services.stats.get("do.instances_created") == 2
        assert namespace is not None
    finally:
        server.should_exit = True
        await serving
        runtime.close()
