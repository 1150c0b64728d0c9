"""Stand-ins for the HTTP APIs the Worker calls, on 127.0.0.1, recording every request:
Cloudflare's purge API (``purge_api`` fixture in conftest.py) and an email API in Resend's
shape (``email_api``)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ZONE = "zone-0123"
API_TOKEN = "cf-token-for-tests"
EMAIL_API_KEY = "re_test_key"


class RecordingStandIn:
    """Records every POST; answers ``reply(status)`` as JSON with ``fail_with`` or 200."""

    path_prefix = ""

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
                data = json.dumps(stand_in.reply(status)).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}{self.path_prefix}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def reply(self, status: int) -> dict:
        return {}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class PurgeApiStandIn(RecordingStandIn):
    """Cloudflare's purge API: answers like Cloudflare (or with ``fail_with`` status)."""

    path_prefix = "/client/v4"

    def reply(self, status: int) -> dict:
        return {"success": status == 200, "errors": [], "messages": [], "result": {"id": ZONE}}

    def secrets(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` plus the settings that point the Worker's purges here; a module that
        wants them overrides ``platform_secrets`` with this."""
        return {**base, "CF_ZONE_ID": ZONE, "CF_API_TOKEN": API_TOKEN, "CF_API_BASE_URL": self.base_url}


class EmailApiStandIn(RecordingStandIn):
    """An email API taking Resend's ``POST /emails`` request; answers with a message id."""

    def reply(self, status: int) -> dict:
        return {"id": "msg-1"} if status == 200 else {"name": "application_error", "message": "down"}

    def secrets(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "EMAIL_API_KEY": EMAIL_API_KEY, "EMAIL_API_URL": f"{self.base_url}/emails", "EMAIL_FROM": "Grove <hi@grove.test>"}
