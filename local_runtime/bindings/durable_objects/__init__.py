"""Durable Object namespaces, stubs and object state for the local runtime.

Production rules reproduced (Cloudflare docs "Durable Objects", the blog post "Durable Objects:
Easy, Fast, Correct: Choose Three", workerd ``actor-state.c++``, the SDK's ``rpc.py``):

- One live instance per id, created on its first event. The constructor runs as part of that
  event; if it started ``ctx.blockConcurrencyWhile(fn)``, nothing else is delivered until that
  has finished.
- Every event (RPC call, ``fetch``, alarm, WebSocket message or close) goes through the
  object's input gate (``local_runtime.gates``, which states the rule and its sources). Events
  do interleave: whenever one awaits something other than storage (I/O, a timer, a future
  another event resolves), another may be delivered and other I/O completions may resume.
  Storage never lets anything in (it is synchronous SQLite and its async methods never
  yield), so a read-modify-write with only storage awaits in between is atomic.
- ``ctx.blockConcurrencyWhile(fn)`` is a critical section: from the call until ``fn``
  finishes no other event is delivered and no other code's I/O completion resumes, not even
  that of the event that called it; ``fn``'s own I/O proceeds. ``storage.transaction(fn)`` is
  one too (workerd implements it with ``blockConcurrencyWhile``). If ``fn`` raises, the object
  is reset.
- ``await stub.method(*args)`` is RPC: arguments and results are structured-cloned with the
  SDK's rules (``local_runtime.conversion``); keyword arguments travel as one trailing dict (how
  Pyodide calls a JS method); an exception raised in the object reaches the caller as a
  ``JsException`` with the same message. For the caller the call is I/O: its own gate opens
  meanwhile, so objects may call each other (or themselves) without deadlock.
- One alarm per object, stored in the object's SQLite file. It is cleared just before
  ``alarm(alarm_info)`` runs; a handler that raises is retried after 2 s, 4 s, ... (6
  retries) unless it set a new alarm itself.
- WebSockets accepted with ``ctx.acceptWebSocket`` belong to the id, not to the instance: after
  eviction the next message wakes a new instance (its constructor runs again) and is
  delivered there, attachments intact.

Stub calls run when awaited (production starts them eagerly): fire-and-forget belongs in
``ctx.waitUntil(stub.method(...))``.
"""

from local_runtime.bindings.durable_objects.ids import DurableObjectId
from local_runtime.bindings.durable_objects.namespace import DurableObjectNamespace
from local_runtime.bindings.durable_objects.state import DurableObjectAbort, DurableObjectState
from local_runtime.bindings.durable_objects.stubs import DurableObjectStub

__all__ = [
    "DurableObjectAbort",
    "DurableObjectId",
    "DurableObjectNamespace",
    "DurableObjectState",
    "DurableObjectStub",
]
