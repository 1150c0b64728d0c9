"""A stand-in for Cloudflare's purge API on 127.0.0.1, for tests that check what the Worker
asks the zone CDN to purge (``purge_api`` fixture in conftest.py)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

    def secrets(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` plus the settings that point the Worker's purges here; a module that
        wants them overrides ``platform_secrets`` with this."""
        return {**base, "CF_ZONE_ID": ZONE, "CF_API_TOKEN": API_TOKEN, "CF_API_BASE_URL": self.base_url}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
