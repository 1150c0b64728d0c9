"""Cloudflare Queues for the local runtime: producers, consumer batches, retries, a dead-letter
queue, on the runtime's clock, with production's call shapes.

Production (Queues docs "JavaScript APIs", "Batching, Retries and Delays", "Dead Letter
Queues", "Limits"; workers-types ``Queue``/``MessageBatch``/``Message``):

- producer ``env.Q.send(body, contentType=, delaySeconds=)`` and
  ``sendBatch([{"body", "contentType"?, "delaySeconds"?}, ...], delaySeconds=)``; a message is
  at most 128 KB, a batch at most 100 messages and 256 KB; a delay at most 43,200 s (12 h).
  Content types ``text`` (a str), ``bytes``, ``json`` and ``v8`` (structured clone, the default);
  the SDK passes keyword arguments as the trailing options object, as for KV. A send resolves
  to ``{"metadata": {"metrics": {"backlogCount", "backlogBytes"}}}`` (what workerd returns, seen
  in the Pyodide lane); refusals are JS errors (``JsException``), as through the SDK.
- a consumer (``[[queues.consumers]]``) gets batches of at most ``max_batch_size`` messages
  (default 10, 1-100), delivered when that many are ready or ``max_batch_timeout`` seconds
  (default 5, 0-60) after the first of them became ready. Its ``queue(batch, env, ctx)``
  handler sees ``batch.queue``, ``batch.messages`` (``id``, ``timestamp``, ``body``,
  ``attempts`` from 1) and calls ``msg.ack()``, ``msg.retry(delaySeconds=)``,
  ``batch.ackAll()``, ``batch.retryAll(delaySeconds=)``; a message's first call wins.
  Without a call, a message is acknowledged when the handler returns and retried when it
  raises (the whole batch, except messages already acknowledged).
- a retried message comes back after ``delaySeconds`` (default: the consumer's
  ``retry_delay``, 0); once it has been retried ``max_retries`` times (default 3, 0-100) a
  further failure sends it to ``dead_letter_queue`` if one is configured, or deletes it.
- at-least-once: a message lives in the queue until it is acknowledged.

Messages are kept in ``<state>/queues.sqlite3`` (an acknowledged send survives a restart).
One delivery of a queue runs at a time (``max_concurrency`` 1; production scales consumers
out, which changes throughput, not what a handler sees). The fault point
``queue.consumer_exception`` makes a delivery's handler raise before it runs.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from local_runtime.conversion import JsException, deserialize, serialize
from local_runtime.faults import FaultPoint, InjectedFault
from local_runtime.js_values import js_json_dumps, js_json_loads, ms_to_datetime, options_object
from local_runtime.scheduler import Scheduler
from local_runtime.services import RuntimeServices
from local_runtime.sqlite_policy import immediate_transaction, open_state_database

log = logging.getLogger("grove.queues")

# Queues limits (docs "Queues limits").
MAX_MESSAGE_BYTES = 128 * 1024
MAX_BATCH_MESSAGES = 100
MAX_BATCH_BYTES = 256 * 1024
MAX_DELAY_S = 43_200
# Consumer settings: defaults and ranges (docs "Configure Queues", wrangler's validation).
DEFAULT_MAX_BATCH_SIZE = 10
DEFAULT_MAX_BATCH_TIMEOUT_S = 5
DEFAULT_MAX_RETRIES = 3
MAX_BATCH_SIZE_LIMIT = 100
MAX_BATCH_TIMEOUT_LIMIT_S = 60
MAX_RETRIES_LIMIT = 100

CONTENT_TYPES = ("text", "bytes", "json", "v8")
DEFAULT_CONTENT_TYPE = "v8"
_SEND_OPTIONS = frozenset({"contentType", "delaySeconds"})
_BATCH_OPTIONS = frozenset({"delaySeconds"})
_RETRY_OPTIONS = frozenset({"delaySeconds"})
_REQUEST_KEYS = frozenset({"body", "contentType", "delaySeconds"})

_SCHEMA = """CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  queue TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  sent_at_ms INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,   -- deliveries so far
  ready_at_ms INTEGER NOT NULL,          -- when it may be delivered (sends, delays, retries)
  leased INTEGER NOT NULL DEFAULT 0      -- 1 while a delivery holds it
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages (queue, leased, ready_at_ms, seq)"""


@dataclass(frozen=True)
class ConsumerSettings:
    """One ``[[queues.consumers]]`` entry (seconds as wrangler spells them)."""

    queue: str
    max_batch_size: int = DEFAULT_MAX_BATCH_SIZE
    max_batch_timeout_s: float = DEFAULT_MAX_BATCH_TIMEOUT_S
    max_retries: int = DEFAULT_MAX_RETRIES
    dead_letter_queue: str | None = None
    retry_delay_s: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.max_batch_size <= MAX_BATCH_SIZE_LIMIT:
            raise ValueError(f"queue {self.queue}: max_batch_size must be 1-{MAX_BATCH_SIZE_LIMIT}")
        if not 0 <= self.max_batch_timeout_s <= MAX_BATCH_TIMEOUT_LIMIT_S:
            raise ValueError(f"queue {self.queue}: max_batch_timeout must be 0-{MAX_BATCH_TIMEOUT_LIMIT_S} s")
        if not 0 <= self.max_retries <= MAX_RETRIES_LIMIT:
            raise ValueError(f"queue {self.queue}: max_retries must be 0-{MAX_RETRIES_LIMIT}")
        if not 0 <= self.retry_delay_s <= MAX_DELAY_S:
            raise ValueError(f"queue {self.queue}: retry_delay must be 0-{MAX_DELAY_S} s")
        if self.dead_letter_queue == self.queue:
            raise ValueError(f"queue {self.queue}: a queue cannot be its own dead-letter queue")


# What send/sendBatch resolve to (workerd QueueSendResponse, as python_from_rpc hands it over).
SendResponse = dict[str, dict[str, dict[str, int]]]

# A consumer's handler, as the runtime calls it: (queue name, batch) -> the handler's result.
Dispatch = Callable[[str, "MessageBatch"], Awaitable[Any]]


def _delay_s(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise JsException(f"{what}: delaySeconds must be a number", name="TypeError")
    if not 0 <= value <= MAX_DELAY_S:
        raise JsException(f"{what}: delaySeconds must be between 0 and {MAX_DELAY_S}")
    return int(value)


def _encode_body(body: Any, content_type: str) -> bytes:
    if content_type == "text":
        if not isinstance(body, str):
            raise JsException('Content Type "text" requires a value of type string', name="TypeError")
        return body.encode("utf-8")
    if content_type == "bytes":
        if not isinstance(body, (bytes, memoryview)):
            raise JsException('Content Type "bytes" requires a value of type ArrayBuffer or ArrayBufferView', name="TypeError")
        return bytes(body)
    if content_type == "json":
        return js_json_dumps(body).encode("utf-8")
    return serialize(body)


def _decode_body(data: bytes, content_type: str) -> Any:
    if content_type == "text":
        return data.decode("utf-8")
    if content_type == "bytes":
        return memoryview(data)  # an ArrayBuffer through python_from_rpc
    if content_type == "json":
        return js_json_loads(data.decode("utf-8"))
    return deserialize(data)


@dataclass(frozen=True)
class _Outgoing:
    content_type: str
    body: bytes
    delay_s: int | None


def _outgoing(body: Any, content_type: Any, delay: Any, what: str) -> _Outgoing:
    kind = DEFAULT_CONTENT_TYPE if content_type is None else content_type
    if kind not in CONTENT_TYPES:
        raise JsException(f'{what}: Unknown Content Type "{kind}" (one of {", ".join(CONTENT_TYPES)})', name="TypeError")
    data = _encode_body(body, kind)
    if len(data) > MAX_MESSAGE_BYTES:
        raise JsException(f"{what}: message too large ({len(data)} bytes; the limit is {MAX_MESSAGE_BYTES})")
    return _Outgoing(kind, data, _delay_s(delay, what))


class Message:
    """One delivered message (workers-types ``Message``)."""

    def __init__(self, batch: MessageBatch, message_id: str, sent_at_ms: int, body: Any, attempts: int) -> None:
        self._batch = batch
        self.id = message_id
        self.timestamp = ms_to_datetime(sent_at_ms)
        self.body = body
        self.attempts = attempts

    def ack(self) -> None:
        self._batch.decide(self.id, "ack", 0)

    def retry(self, options: Any = None, **kwargs: Any) -> None:
        opts = options_object(options, kwargs, "Message.retry", _RETRY_OPTIONS)
        self._batch.decide(self.id, "retry", _delay_s(opts.get("delaySeconds"), "Message.retry"))


class MessageBatch:
    """What a consumer's ``queue()`` handler receives (workers-types ``MessageBatch``)."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self.messages: list[Message] = []
        # message id -> ("ack" | "retry", delay seconds or None for the consumer's
        # retry_delay); the first call on a message wins.
        self.decisions: dict[str, tuple[str, int | None]] = {}

    def decide(self, message_id: str, outcome: str, delay_s: int | None) -> None:
        self.decisions.setdefault(message_id, (outcome, delay_s))

    def ackAll(self) -> None:  # noqa: N802 (JS name)
        for message in self.messages:
            self.decide(message.id, "ack", 0)

    def retryAll(self, options: Any = None, **kwargs: Any) -> None:  # noqa: N802 (JS name)
        opts = options_object(options, kwargs, "MessageBatch.retryAll", _RETRY_OPTIONS)
        delay = _delay_s(opts.get("delaySeconds"), "MessageBatch.retryAll")
        for message in self.messages:
            self.decide(message.id, "retry", delay)


class QueueProducer:
    """``env.<BINDING>`` of a ``[[queues.producers]]`` entry (workers-types ``Queue``)."""

    def __init__(self, broker: QueueBroker, queue: str) -> None:
        self._broker = broker
        self.queue = queue

    async def send(self, body: Any, options: Any = None, **kwargs: Any) -> SendResponse:
        opts = options_object(options, kwargs, "Queue.send", _SEND_OPTIONS)
        message = _outgoing(body, opts.get("contentType"), opts.get("delaySeconds"), "Queue.send")
        async with self._broker.services.io():
            self._broker.enqueue(self.queue, [message])
        return self._broker.send_response(self.queue)

    async def sendBatch(self, messages: Sequence[Mapping[str, Any]], options: Any = None, **kwargs: Any) -> SendResponse:  # noqa: N802 (JS name)
        opts = options_object(options, kwargs, "Queue.sendBatch", _BATCH_OPTIONS)
        batch_delay = opts.get("delaySeconds")
        if not isinstance(messages, (list, Sequence)) or isinstance(messages, (str, bytes)):
            raise JsException("Queue.sendBatch: messages must be an array of MessageSendRequest", name="TypeError")
        if not 0 < len(messages) <= MAX_BATCH_MESSAGES:
            raise JsException(f"Queue.sendBatch: a batch holds 1-{MAX_BATCH_MESSAGES} messages, got {len(messages)}")
        outgoing: list[_Outgoing] = []
        for request in messages:
            if not isinstance(request, Mapping) or "body" not in request:
                raise JsException("Queue.sendBatch: each message must be an object with a body", name="TypeError")
            unknown = sorted(str(k) for k in request if k not in _REQUEST_KEYS)
            if unknown:
                raise NotImplementedError(f"Queue.sendBatch: unknown message field(s) {', '.join(unknown)}")
            delay = request.get("delaySeconds", batch_delay)
            outgoing.append(_outgoing(request["body"], request.get("contentType"), delay, "Queue.sendBatch"))
        total = sum(len(m.body) for m in outgoing)
        if total > MAX_BATCH_BYTES:
            raise JsException(f"Queue.sendBatch: batch too large ({total} bytes; the limit is {MAX_BATCH_BYTES})")
        async with self._broker.services.io():
            self._broker.enqueue(self.queue, outgoing)
        return self._broker.send_response(self.queue)


class QueueBroker:
    """Every queue of one runtime: the message store, the delivery timers, the dead-lettering."""

    _ids = itertools.count()

    def __init__(self, services: RuntimeServices, scheduler: Scheduler) -> None:
        self.services = services
        self.scheduler = scheduler
        self._db = open_state_database(services.path("queues.sqlite3"), synchronous="FULL")
        self._db.executescript(_SCHEMA)
        # A restart finds no delivery running: what was leased is ready again (at-least-once).
        self._db.execute("UPDATE messages SET leased = 0")
        self._consumers: dict[str, tuple[ConsumerSettings, Dispatch]] = {}
        self._running: set[str] = set()

    def close(self) -> None:
        self._db.close()

    def producer(self, queue: str) -> QueueProducer:
        return QueueProducer(self, queue)

    def consume(self, settings: ConsumerSettings, dispatch: Dispatch) -> None:
        """Attach ``dispatch`` as the one consumer of ``settings.queue`` and arm its timer."""
        if settings.queue in self._consumers:
            raise ValueError(f"queue {settings.queue!r} has two consumers; Cloudflare allows one")
        self._consumers[settings.queue] = (settings, dispatch)
        self._arm(settings.queue)

    # --- inspection (tests, /__stats) -------------------------------------------------------

    def depth(self, queue: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM messages WHERE queue = ?", (queue,)).fetchone()
        return int(row[0])

    def bodies(self, queue: str) -> list[Any]:
        """The bodies waiting in ``queue`` (oldest first): how a test reads a dead-letter queue."""
        rows = self._db.execute(
            "SELECT content_type, body FROM messages WHERE queue = ? ORDER BY seq", (queue,)
        ).fetchall()
        return [_decode_body(bytes(body), kind) for kind, body in rows]

    def send_response(self, queue: str) -> SendResponse:
        """What a send resolves to: the queue's backlog after it (workerd's QueueSendResponse;
        miniflare always reports 0, see tests/conformance/allowlist.toml)."""
        row = self._db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM messages WHERE queue = ?", (queue,)).fetchone()
        return {"metadata": {"metrics": {"backlogCount": int(row[0]), "backlogBytes": int(row[1])}}}

    def queues(self) -> list[str]:
        rows = self._db.execute("SELECT DISTINCT queue FROM messages").fetchall()
        return sorted({*self._consumers, *(str(r[0]) for r in rows)})

    # --- producing --------------------------------------------------------------------------

    def enqueue(self, queue: str, messages: Sequence[_Outgoing]) -> None:
        now = self.services.now_ms()
        with immediate_transaction(self._db):
            for message in messages:
                self._db.execute(
                    "INSERT INTO messages (id, queue, content_type, body, sent_at_ms, ready_at_ms) VALUES (?, ?, ?, ?, ?, ?)",
                    (self._new_id(), queue, message.content_type, message.body, now, now + (message.delay_s or 0) * 1000),
                )
        self.services.stats.incr("queue.messages_sent", len(messages))
        self._arm(queue)

    def _new_id(self) -> str:
        return f"{self.services.now_ms():013x}{next(self._ids):08x}"

    # --- delivering -------------------------------------------------------------------------

    def _arm(self, queue: str) -> None:
        """Set the queue's one timer to its next delivery: now when a full batch is ready, else
        ``max_batch_timeout`` after the oldest ready message became ready (or when a delayed
        one becomes ready)."""
        consumer = self._consumers.get(queue)
        if consumer is None or queue in self._running:
            return
        settings = consumer[0]
        now = self.services.now_ms()
        rows = self._db.execute(
            "SELECT ready_at_ms FROM messages WHERE queue = ? AND leased = 0 ORDER BY ready_at_ms, seq LIMIT ?",
            (queue, settings.max_batch_size),
        ).fetchall()
        key = f"queue:{queue}"
        if not rows:
            self.scheduler.cancel(key)
            return
        ready = [int(r[0]) for r in rows if int(r[0]) <= now]
        if len(ready) >= settings.max_batch_size:
            at_ms = now
        elif ready:
            at_ms = max(now, ready[0] + int(settings.max_batch_timeout_s * 1000))
        else:
            at_ms = int(rows[0][0]) + int(settings.max_batch_timeout_s * 1000)
        if self.scheduler.scheduled_at(key) != at_ms:
            self.scheduler.schedule(key, at_ms, lambda: self._deliver(queue))

    async def _deliver(self, queue: str) -> None:
        settings, dispatch = self._consumers[queue]
        now = self.services.now_ms()
        rows = self._db.execute(
            "SELECT id, content_type, body, sent_at_ms, attempts FROM messages"
            " WHERE queue = ? AND leased = 0 AND ready_at_ms <= ? ORDER BY ready_at_ms, seq LIMIT ?",
            (queue, now, settings.max_batch_size),
        ).fetchall()
        if not rows:
            self._arm(queue)
            return
        batch = MessageBatch(queue)
        with immediate_transaction(self._db):
            for message_id, kind, body, sent_at_ms, attempts in rows:
                self._db.execute("UPDATE messages SET leased = 1, attempts = attempts + 1 WHERE id = ?", (message_id,))
                batch.messages.append(Message(batch, message_id, int(sent_at_ms), _decode_body(bytes(body), kind), int(attempts) + 1))
        self.services.stats.incr("queue.batches")
        self._running.add(queue)
        failed = False
        try:
            if self.services.faults.trips(FaultPoint.QUEUE_CONSUMER_EXCEPTION, queue):
                raise InjectedFault(f"queue consumer of {queue} failed (fault injected)")
            await dispatch(queue, batch)
        except Exception:
            failed = True
            log.exception("queue consumer of %s raised; %d message(s) retried", queue, len(batch.messages))
        finally:
            self._running.discard(queue)
            self._settle(settings, batch, failed)
            self._arm(queue)

    def _settle(self, settings: ConsumerSettings, batch: MessageBatch, failed: bool) -> None:
        now = self.services.now_ms()
        with immediate_transaction(self._db):
            for message in batch.messages:
                outcome, delay_s = batch.decisions.get(message.id, ("retry" if failed else "ack", None))
                if delay_s is None:
                    delay_s = settings.retry_delay_s
                if outcome == "ack":
                    self._db.execute("DELETE FROM messages WHERE id = ?", (message.id,))
                    self.services.stats.incr("queue.acks")
                elif message.attempts > settings.max_retries:
                    self._dead_letter(settings, message)
                else:
                    self._db.execute(
                        "UPDATE messages SET leased = 0, ready_at_ms = ? WHERE id = ?", (now + delay_s * 1000, message.id)
                    )
                    self.services.stats.incr("queue.retries")
        if settings.dead_letter_queue is not None:
            self._arm(settings.dead_letter_queue)

    def _dead_letter(self, settings: ConsumerSettings, message: Message) -> None:
        if settings.dead_letter_queue is None:
            log.error("queue %s: message %s failed %d times; deleted (no dead-letter queue)", settings.queue, message.id, message.attempts)
            self._db.execute("DELETE FROM messages WHERE id = ?", (message.id,))
            self.services.stats.incr("queue.dropped")
            return
        log.error(
            "queue %s: message %s failed %d times; moved to %s", settings.queue, message.id, message.attempts, settings.dead_letter_queue
        )
        # A new message in the dead-letter queue: its own attempts start again.
        self._db.execute(
            "UPDATE messages SET queue = ?, leased = 0, attempts = 0, ready_at_ms = ? WHERE id = ?",
            (settings.dead_letter_queue, self.services.now_ms(), message.id),
        )
        self.services.stats.incr("queue.dead_lettered")

