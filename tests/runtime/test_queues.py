"""Cloudflare Queues in the local runtime, through the production interface: a Worker's
producer binding (``send``, ``sendBatch``) and its ``queue(batch, env, ctx)`` handler, fed in
batches by ``max_batch_size`` / ``max_batch_timeout`` on the simulated clock, with
``ack``/``retry``/``ackAll``/``retryAll``, ``attempts``, ``max_retries`` and a dead-letter
queue (semantics and sources: ``local_runtime/bindings/queues.py``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from local_runtime.bindings.queues import ConsumerSettings
from local_runtime.bootstrap import install_paths
from local_runtime.conversion import JsException
from local_runtime.faults import FaultPoint
from local_runtime.runtime import LocalRuntime

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "queue_worker"


def open_queue_runtime(services) -> LocalRuntime:
    install_paths(REPO_ROOT, FIXTURE)
    runtime = LocalRuntime([FIXTURE / "wrangler.toml"], services)
    runtime.load()
    return runtime


@pytest.fixture
def runtime(services):
    runtime = open_queue_runtime(services)
    yield runtime
    runtime.close()


@pytest.fixture
def worker(runtime):
    module = runtime.worker().module
    module.BATCHES.clear()
    module.ACTIONS.clear()
    return module


@pytest.fixture
def env(runtime):
    return runtime.worker().env


def bodies(worker) -> list[list]:
    return [batch["bodies"] for batch in worker.BATCHES]


async def test_a_full_batch_is_delivered_at_once_and_a_partial_one_after_the_timeout(runtime, worker, env):
    sent_at = dt.datetime.fromtimestamp(runtime.services.now_ms() / 1000, tz=dt.UTC).replace(tzinfo=None)
    for n in range(4):
        await env.JOBS.send({"do": "ack", "n": n})
    await runtime.advance(0)
    assert bodies(worker) == [[{"do": "ack", "n": 0}, {"do": "ack", "n": 1}, {"do": "ack", "n": 2}]]
    first = worker.BATCHES[0]
    assert first["queue"] == "jobs" and first["attempts"] == [1, 1, 1] and len(set(first["ids"])) == 3
    assert first["timestamps"] == [sent_at] * 3
    assert first["env_ctx"] == (None, None)  # called as workerd calls an entrypoint class
    await runtime.advance(1_999)
    assert len(worker.BATCHES) == 1  # the fourth waits for max_batch_timeout (2 s)
    await runtime.advance(1)
    assert bodies(worker)[1] == [{"do": "ack", "n": 3}]
    assert runtime.queues.depth("jobs") == 0
    assert runtime.services.stats.get("queue.acks") == 4


async def test_a_fetch_handler_produces_through_its_binding(runtime, worker):
    response = await runtime.fetch("https://queue.example/")
    assert await response.text() == "sent"
    await runtime.advance(2_000)
    assert bodies(worker) == [[{"do": "ack", "from": "fetch"}]]


async def test_delays_hold_messages_back(runtime, worker, env):
    await env.JOBS.sendBatch(
        [{"body": {"n": 1}}, {"body": {"n": 2}, "delaySeconds": 60}], delaySeconds=10
    )
    await runtime.advance(11_999)
    assert bodies(worker) == []  # ready at 10 s, then the 2 s batch timeout
    await runtime.advance(1)
    assert bodies(worker) == [[{"n": 1}]]
    await env.JOBS.send({"n": 3}, delaySeconds=5)
    await runtime.advance(50_000)
    assert bodies(worker)[1:] == [[{"n": 3}], [{"n": 2}]]


async def test_content_types_round_trip(runtime, worker, env):
    await env.PLAIN.send("hello", contentType="text")
    await env.PLAIN.send(b"\x00\x01", contentType="bytes")
    await env.PLAIN.send({"a": [1, 2.5, None]}, contentType="json")
    await env.PLAIN.send({"when": b"raw"})  # v8, the default: structured clone keeps bytes
    await runtime.advance(5_000)  # the defaults: batches of 10, 5 s
    [seen] = bodies(worker)
    assert seen[0] == "hello" and bytes(seen[1]) == b"\x00\x01"
    assert seen[2] == {"a": [1, 2.5, None]} and seen[3] == {"when": b"raw"}


async def test_a_send_resolves_to_the_backlog(env):
    assert await env.JOBS.send("a", contentType="text") == {"metadata": {"metrics": {"backlogCount": 1, "backlogBytes": 1}}}
    reply = await env.JOBS.sendBatch([{"body": "bb", "contentType": "text"}, {"body": "ccc", "contentType": "text"}])
    assert reply == {"metadata": {"metrics": {"backlogCount": 3, "backlogBytes": 6}}}


async def test_sends_outside_the_limits_are_refused(env, runtime):
    with pytest.raises(JsException, match="text") as refused:
        await env.JOBS.send({"not": "text"}, contentType="text")
    assert refused.value.name == "TypeError"
    with pytest.raises(JsException, match="Unknown Content Type"):
        await env.JOBS.send("x", contentType="xml")
    with pytest.raises(JsException, match="too large"):
        await env.JOBS.send("x" * (128 * 1024 + 1), contentType="text")
    with pytest.raises(JsException, match="delaySeconds"):
        await env.JOBS.send("x", delaySeconds=43_201)
    with pytest.raises(JsException, match="1-100 messages"):
        await env.JOBS.sendBatch([{"body": n} for n in range(101)])
    with pytest.raises(JsException, match="batch too large"):
        await env.JOBS.sendBatch([{"body": "x" * 100_000, "contentType": "text"} for _ in range(3)])
    with pytest.raises(NotImplementedError, match="priority"):
        await env.JOBS.send("x", priority=1)
    assert runtime.queues.depth("jobs") == 0  # a refused batch sends nothing


async def test_retry_redelivers_with_attempts_counted_and_the_first_call_wins(runtime, worker, env):
    await env.JOBS.send({"do": "retry"})
    await runtime.advance(2_000)
    await runtime.advance(2_000)
    assert [b["attempts"] for b in worker.BATCHES] == [[1], [2]]
    await env.PLAIN.send({"do": "retry_later"})
    await runtime.advance(5_000)
    await runtime.advance(29_999)
    assert [b["attempts"] for b in worker.BATCHES if b["queue"] == "plain"] == [[1]]
    await runtime.advance(5_001)  # back after 30 s, then the batch timeout
    assert [b["attempts"] for b in worker.BATCHES if b["queue"] == "plain"] == [[1], [2]]


async def test_a_raising_handler_retries_the_unacked_and_dead_letters_after_max_retries(runtime, worker, env):
    await env.JOBS.sendBatch([{"body": {"do": "ack", "n": 1}}, {"body": {"do": "raise", "n": 2}}])
    for _ in range(4):
        await runtime.advance(2_000)
    # 1 delivery + max_retries (2) retries; the acked message is not redelivered.
    assert bodies(worker) == [[{"do": "ack", "n": 1}, {"do": "raise", "n": 2}], [{"do": "raise", "n": 2}], [{"do": "raise", "n": 2}]]
    assert [b["attempts"] for b in worker.BATCHES] == [[1, 1], [2], [3]]
    assert runtime.queues.depth("jobs") == 0
    assert runtime.queues.bodies("jobs-dlq") == [{"do": "raise", "n": 2}]
    assert runtime.services.stats.get("queue.dead_lettered") == 1


async def test_without_a_dead_letter_queue_a_failing_message_is_deleted_after_max_retries(runtime, worker, env):
    await env.PLAIN.send({"do": "raise"})
    for _ in range(6):
        await runtime.advance(5_000)
    assert [b["attempts"] for b in worker.BATCHES] == [[1], [2], [3], [4]]  # default max_retries 3
    assert runtime.queues.depth("plain") == 0
    assert runtime.services.stats.get("queue.dropped") == 1


async def test_ack_all_and_retry_all(runtime, worker, env):
    worker.ACTIONS.extend(["retryAll", "ackAll"])
    await env.JOBS.sendBatch([{"body": {"do": "raise"}}, {"body": {"do": "raise"}}])
    await runtime.advance(2_000)
    await runtime.advance(11_999)
    assert len(worker.BATCHES) == 1  # retryAll(delaySeconds=10), then the 2 s timeout
    await runtime.advance(1)
    assert [b["attempts"] for b in worker.BATCHES] == [[1, 1], [2, 2]]
    assert runtime.queues.depth("jobs") == 0  # ackAll overrode the raise bodies


async def test_the_consumer_exception_fault_retries_the_batch(runtime, worker, env):
    runtime.services.faults.arm(FaultPoint.QUEUE_CONSUMER_EXCEPTION, times=1)
    await env.JOBS.send({"do": "ack"})
    await runtime.advance(2_000)
    assert worker.BATCHES == []  # the handler never ran
    await runtime.advance(2_000)
    assert [b["attempts"] for b in worker.BATCHES] == [[2]]
    assert runtime.services.faults.fired(FaultPoint.QUEUE_CONSUMER_EXCEPTION) == 1


async def test_messages_outlive_a_restart(services, worker):
    first = open_queue_runtime(services)
    await first.worker().env.JOBS.send({"do": "ack", "kept": True})
    first.close()
    second = open_queue_runtime(services)
    try:
        await second.advance(2_000)
        assert bodies(worker) == [[{"do": "ack", "kept": True}]]
    finally:
        second.close()


def test_consumer_settings_are_checked():
    assert ConsumerSettings("q").max_batch_size == 10
    assert ConsumerSettings("q").max_batch_timeout_s == 5 and ConsumerSettings("q").max_retries == 3
    for bad in ({"max_batch_size": 101}, {"max_batch_timeout_s": 61}, {"max_retries": 101}, {"dead_letter_queue": "q"}):
        with pytest.raises(ValueError):
            ConsumerSettings("q", **bad)
