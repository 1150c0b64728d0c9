"""The local runtime's HTTP server: an ASGI app, served by uvicorn, in front of the main Worker.

Every request goes to the main Worker's ``Default.fetch`` with its Host header intact (tenants
are subdomains: ``autumn.localhost:8787``), except the runtime's own endpoints:
- ``GET /__health``: 200 and the status of every binding (each one is actually touched);
- ``GET /__stats``: the operation counters (``queue.dead_lettered`` counts poison messages)
  and ``queue_depths`` (messages waiting per queue); ``POST /__stats/reset`` zeroes them;
- ``GET /__scheduled?cron=EXPR``: run a ``scheduled`` handler now, as
  ``wrangler dev --test-scheduled`` does (400 for an EXPR no Worker's config has);
- ``GET /__outbox``: the mail the app put in its dev outbox (``grove.mailer``: no email API
  key outside production), newest first, as JSON; ``grove dev`` also prints each message as
  it arrives (``print_outbox``).
The Worker sees the client's address as ``CF-Connecting-IP``, as on Cloudflare: the socket's
address unless the request already carries one. WebSocket upgrades are passed to the Worker too; a 101 response's client end is bridged to the
browser's socket.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import parse_qs

from workers.host import headers as headers_of

from local_runtime.faults import InvocationKilled
from local_runtime.runtime import LocalRuntime
from workers import Request, Response

log = logging.getLogger("grove.server")

Scope = dict[str, Any]


class LocalServer:
    def __init__(self, runtime: LocalRuntime, *, print_outbox: bool = False) -> None:
        self.runtime = runtime
        self.outbox = DevOutbox(runtime, printing=print_outbox)
        self.print_outbox = print_outbox

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    # --- lifespan: the scheduler runs alarms and crons on the real clock --------------------

    async def _lifespan(self, receive: Any, send: Any) -> None:
        task: asyncio.Task[None] | None = None
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if not self.runtime.services.clock.simulated:
                    task = asyncio.create_task(self.runtime.scheduler.run_forever())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if task:
                    task.cancel()
                await self.runtime.drain()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # --- HTTP -------------------------------------------------------------------------------

    async def _http(self, scope: Scope, receive: Any, send: Any) -> None:
        body = bytearray()
        while True:
            message = await receive()
            body.extend(message.get("body", b""))
            if not message.get("more_body"):
                break
        path = scope["path"]
        try:
            if path.startswith("/__"):
                response = await self._internal(scope)
            else:
                request = _request_from_scope(scope, bytes(body))
                response = await self.runtime.fetch(request)
                if self.print_outbox:
                    self.outbox.print_new()
        except Exception as exc:  # the Worker itself crashed: workerd answers 500 too
            log.exception("worker raised")
            response = Response.json(
                {"error": {"code": "worker_exception", "message": f"{type(exc).__name__}: {exc}"}},
                status=500,
            )
        await _send_response(send, response, head_only=scope["method"] == "HEAD")

    async def _internal(self, scope: Scope) -> Response:
        path, method = scope["path"], scope["method"]
        query = parse_qs(scope.get("query_string", b"").decode())
        if path == "/__health" and method == "GET":
            return await self._health()
        if path == "/__stats" and method == "GET":
            queues = self.runtime.queues
            depths = {name: queues.depth(name) for name in queues.queues()}
            return Response.json({**self.runtime.services.stats.grouped(), "queue_depths": depths})
        if path == "/__stats/reset" and method == "POST":
            self.runtime.services.stats.reset()
            return Response.json({"reset": True})
        if path == "/__outbox" and method == "GET":
            return Response.json({"messages": self.outbox.messages()})
        if path == "/__scheduled" and method == "GET":
            cron = (query.get("cron") or [""])[0]
            if not cron:
                return Response.json({"error": {"code": "missing_cron", "message": "give ?cron=EXPR"}}, status=400)
            known = sorted({expr for worker in self.runtime.workers.values() for expr in worker.config.crons})
            if cron not in known:
                # Unlike `wrangler dev --test-scheduled`, only a configured trigger runs: an
                # operator's typo must not start a migrator run the cron would never make.
                message = f"{cron!r} is not a cron trigger of any Worker (known: {', '.join(known) or 'none'})"
                return Response.json({"error": {"code": "unknown_cron", "message": message}}, status=400)
            try:
                result = await self.runtime.scheduled(cron)
            except LookupError as exc:
                return Response.json({"error": {"code": "no_such_cron", "message": str(exc)}}, status=404)
            except InvocationKilled as exc:
                return Response.json({"error": {"code": "invocation_killed", "message": str(exc)}}, status=500)
            return Response.json({"ran": cron, "result": result if _jsonable(result) else repr(result)})
        return Response.json({"error": {"code": "not_found", "message": f"no endpoint {path}"}}, status=404)

    async def _health(self) -> Response:
        checks: dict[str, Any] = {}
        for name, worker in self.runtime.workers.items():
            checks[name] = {b: await _probe(v) for b, v in vars(worker.env).items() if not isinstance(v, str)}
        healthy = all(c["ok"] for bindings in checks.values() for c in bindings.values())
        return Response.json(
            {"status": "ok" if healthy else "degraded", "workers": checks, "now_ms": self.runtime.services.now_ms()},
            status=200 if healthy else 503,
        )

    # --- WebSocket --------------------------------------------------------------------------

    async def _websocket(self, scope: Scope, receive: Any, send: Any) -> None:
        first = await receive()  # websocket.connect
        assert first["type"] == "websocket.connect"
        request = _request_from_scope(scope, None, upgrade=True)
        response = await self.runtime.fetch(request)
        client = getattr(response, "web_socket", None)
        if response.status != 101 or client is None:
            await send({"type": "websocket.close", "code": 1008, "reason": f"worker answered {response.status}"})
            return
        await send({"type": "websocket.accept"})
        await _bridge(client, receive, send)


async def _bridge(client: Any, receive: Any, send: Any) -> None:
    """Pump messages between the browser's socket and the Worker's client end until either closes."""

    async def browser_to_worker() -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.receive":
                data = message.get("text") if message.get("text") is not None else message.get("bytes")
                client.send(data)
            elif message["type"] == "websocket.disconnect":
                client.close(message.get("code", 1000), "")
                return

    async def worker_to_browser() -> None:
        while True:
            event = await client.receive()
            if event is None or event.get("type") == "close":
                code = (event or {}).get("code", 1000)
                await send({"type": "websocket.close", "code": code})
                return
            data = event["data"]
            await send({"type": "websocket.send", **({"text": data} if isinstance(data, str) else {"bytes": data})})

    tasks = [asyncio.create_task(browser_to_worker()), asyncio.create_task(worker_to_browser())]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()


def _request_from_scope(scope: Scope, body: bytes | None, *, upgrade: bool = False) -> Request:
    headers: list[tuple[str, str]] = []
    host: str | None = None
    has_client_ip = False
    for raw_name, raw_value in scope["headers"]:  # one pass: this runs for every request
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        headers.append((name, value))
        lowered = name.lower()
        if lowered == "host":
            host = value if host is None else host
        elif lowered == "cf-connecting-ip":
            has_client_ip = True
    scheme = {"ws": "http", "wss": "https"}.get(scope["scheme"], scope["scheme"])
    url = f"{scheme}://{'localhost' if host is None else host}{scope.get('raw_path', scope['path'].encode()).decode('latin-1').split('?')[0]}"
    if scope.get("query_string"):
        url += "?" + scope["query_string"].decode("latin-1")
    method = "GET" if upgrade else scope["method"]
    client = scope.get("client")
    # Cloudflare sets CF-Connecting-IP on every request; locally a given one is passed through
    # (so tests and load generators can be many clients) and the socket's address fills it in.
    if client and not has_client_ip:
        headers.append(("cf-connecting-ip", client[0]))
    return Request(
        url,
        method=method,
        headers=headers,
        body=body if body and method not in ("GET", "HEAD") else None,
        remote_addr=client[0] if client else None,
    )


async def _send_response(send: Any, response: Response, *, head_only: bool) -> None:
    body = b"" if head_only else await response.bytes()
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers_of(response).raw_items()]
    if not head_only and not any(k == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _probe(binding: Any) -> dict[str, Any]:
    """Touch one binding for real; report what it is and whether it answered."""
    kind = type(binding).__name__
    try:
        if kind == "D1Database":
            await binding.prepare("SELECT 1 AS ok").first()
        elif kind == "KVNamespace":
            await binding.get("__health")
        elif kind == "R2Bucket":
            await binding.head("__health")
        elif kind == "DurableObjectNamespace":
            binding.idFromName("__health")
        return {"kind": kind, "ok": True}
    except Exception as exc:
        return {"kind": kind, "ok": False, "error": f"{type(exc).__name__}: {exc}"}


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
        return True
    except TypeError:
        return False


class DevOutbox:
    """The app's ``dev_outbox`` table in the main Worker's D1, read by the runtime itself
    (through the database engine, so reading it is not counted as the app's D1 work)."""

    COLUMNS = ("id", "to_email", "subject", "text_body", "html_body", "created_at_ms")

    def __init__(self, runtime: LocalRuntime, *, printing: bool = False) -> None:
        self.runtime = runtime
        self._printed_rowid = 0
        if printing:
            # Mail from earlier runs was printed then; print only what arrives from now on.
            rows = self._rows()
            self._printed_rowid = int(rows[0]["rowid"]) if rows else 0

    def _rows(self, where: str = "", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        from local_runtime.bindings.d1.engine import D1Query
        from local_runtime.bindings.d1.errors import D1Error

        sql = f"SELECT rowid, {', '.join(self.COLUMNS)} FROM dev_outbox {where} ORDER BY rowid DESC LIMIT 100"
        if not any(self.runtime.workers[name].config.d1 for name in self.runtime.workers):
            return []  # Workers without a D1 database (test Workers) have no outbox
        try:
            (result,) = self.runtime.d1().engine.run_queries([D1Query(sql, params)])
        except D1Error:  # not migrated yet: no outbox, no mail
            return []
        return [dict(zip(("rowid", *self.COLUMNS), row, strict=True)) for row in result.rows]

    def messages(self) -> list[dict[str, Any]]:
        return [{k: v for k, v in row.items() if k != "rowid"} for row in self._rows()]

    def print_new(self) -> None:
        for row in reversed(self._rows("WHERE rowid > ?1", (self._printed_rowid,))):
            self._printed_rowid = max(self._printed_rowid, int(row["rowid"]))
            print(f"\n--- dev outbox: mail to {row['to_email']} ---\nSubject: {row['subject']}\n\n{row['text_body']}---", flush=True)
