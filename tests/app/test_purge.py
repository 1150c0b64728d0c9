"""Zone CDN purge by tag: what the Worker sends to Cloudflare's API, asserted on a real HTTP
stand-in for that API listening on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.usefixtures("tenants")

ZONE = "zone-0123"
API_TOKEN = "cf-token-for-tests"


class PurgeApiStandIn:
    """Records every request; answers like Cloudflare (or with ``fail_with`` status)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.fail_with: int | None = None
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                stand_in.requests.append(
                    {"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "json": json.loads(body)}
                )
                status = stand_in.fail_with or 200
                reply = {"success": status == 200, "errors": [], "messages": [], "result": {"id": ZONE}}
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/client/v4"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def purge_api():
    stand_in = PurgeApiStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture
def platform_secrets(platform_secrets, purge_api) -> dict[str, str]:
    return {**platform_secrets, "CF_ZONE_ID": ZONE, "CF_API_TOKEN": API_TOKEN, "CF_API_BASE_URL": purge_api.base_url}


async def test_publishing_purges_the_post_and_list_tags(create_post, purge_api):
    post = await create_post("Purge Me")
    (request,) = purge_api.requests
    assert request["path"] == f"/client/v4/zones/{ZONE}/purge_cache"
    assert request["headers"]["authorization"] == f"Bearer {API_TOKEN}"
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {"tags": [f"p-autumn-{post['id']}", "l-autumn"]}


async def test_rename_update_and_delete_purge(create_post, client, auth, purge_api):
    post = await create_post("Moving")
    tags = {"tags": [f"p-autumn-{post['id']}", "l-autumn"]}
    await client.put("/api/posts/moving", json={"slug": "moved"}, headers=auth())
    await client.put("/api/posts/moved", json={"status": "draft"}, headers=auth())  # unpublish
    await client.delete("/api/posts/moved", headers=auth())
    assert [r["json"] for r in purge_api.requests] == [tags] * 4


async def test_a_draft_nobody_has_seen_purges_nothing(create_post, client, auth, purge_api):
    await create_post("Quiet Draft", status="draft")
    await client.put("/api/posts/quiet-draft", json={"markdown": "more"}, headers=auth())
    assert purge_api.requests == []


async def test_a_failed_purge_is_logged_and_the_write_still_succeeds(client, auth, purge_api, caplog):
    purge_api.fail_with = 500
    with caplog.at_level(logging.ERROR, logger="grove.purge"):
        reply = await client.post("/api/posts", json={"title": "Resilient", "status": "published"}, headers=auth())
    assert reply.status_code == 201
    assert len(purge_api.requests) == 1
    assert any("refused" in record.getMessage() for record in caplog.records)
