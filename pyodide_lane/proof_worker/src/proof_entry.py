"""Conversions broken on purpose (and their fixes), each behind one route.

- ``/tuple``: a Durable Object RPC method returns a tuple. Structured clone has no tuple;
  production's SDK refuses it (``TypeError: <class 'tuple'> cannot be sent over RPC.``).
  ``/list`` returns the same pair as a list.
- ``/kv-bytes``: bytes read back from KV with ``type="arrayBuffer"`` and used as ``bytes``
  (``.decode()``). Production hands Python a buffer converted from a JS ArrayBuffer, not
  ``bytes``. ``/kv-bytes-fixed`` goes through ``bytes(...)`` first.
- ``/d1-dict``: a dict bound into a D1 statement, the refusal caught as ``TypeError``. D1
  refuses it in both runtimes, but production's refusal reaches Python as a ``JsException``
  (a JS TypeError), which ``except TypeError`` does not catch. ``/d1-dict-fixed`` binds the
  dict as JSON text.
- ``/dev-only-import``: the Worker imports ``httpx``, a package of the dev extra only. On
  CPython it imports fine (the venv has it); production vendors only the project's
  ``dependencies``, so the import fails there. ``/dependency-import`` imports ``pydantic``, a
  real dependency. The CPython lane cannot see this break: only the Pyodide lane can.
- ``scheduled``: reads bindings from the ``env`` argument, which production passes as None
  to a class-based handler; ``self.env`` is the fix (the ``/env-arg`` route runs the same
  code path on demand).
- ``/isolate``: not a conversion: which isolate answered, the Worker's and its Durable
  Object's (a token each interpreter draws on first use), for the lane's isolation self-test.

Every route answers 200 ``{"ok": true, "value": ...}`` or 500 ``{"ok": false, "error": ...}``.
"""

import asyncio
import json
import secrets
from urllib.parse import urlsplit

from workers import DurableObject, Response, WorkerEntrypoint

_isolate_token: list[str] = []  # drawn on first use: no entropy at import (memory snapshot)


def isolate_token():
    if not _isolate_token:
        _isolate_token.append(secrets.token_hex(8))
    return _isolate_token[0]


class PairDO(DurableObject):
    """Also the lane's input-gate probe (pyodide_lane/tests/test_lane_semantics.py): ``trace``
    and the methods after it record how concurrent events of one object interleave."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.events = []
        self.log = []
        self.steps = []
        self._ready = None
        self._arrived = 0
        self._all_here = None

    async def trace(self, tag, kind):
        self.events.append(f"{tag}:start")
        if kind == "io":
            await self.env.PROOF_KV.get("nothing")  # external I/O: another event may start
        else:
            await self.ctx.storage.get("nothing")  # storage: the gate stays closed
        self.events.append(f"{tag}:end")
        return list(self.events)

    # --- input-gate probes (mirroring tests/runtime/test_durable_objects.py's GateDO) ---------

    def get_log(self):
        return list(self.log)

    def get_steps(self):
        return list(self.steps)

    def _signal(self):
        if self._ready is None:
            self._ready = asyncio.get_running_loop().create_future()
        return self._ready

    async def leader(self):
        ready = self._signal()
        await self.env.PROOF_KV.get("nothing")  # I/O: its completion must get back in
        ready.set_result("done")
        return "leader"

    async def follower(self):
        return await self._signal()  # resolved by another event of this object

    async def pause(self, tag, how):
        self.log.append(f"{tag}:start")
        if how == "sleep":
            await asyncio.sleep(0)
        else:
            future = asyncio.get_running_loop().create_future()
            asyncio.get_running_loop().call_soon(future.set_result, None)
            await future
        self.log.append(f"{tag}:end")

    async def _meet(self, parties):
        """Wait until ``parties`` events got here (a future the last one resolves), so that
        they go on together whatever their I/O took."""
        if self._all_here is None:
            self._all_here = asyncio.get_running_loop().create_future()
        self._arrived += 1
        if self._arrived == parties:
            self._all_here.set_result(None)
        await self._all_here

    async def tally(self, tag, rounds, parties):
        await self.env.PROOF_KV.get("nothing")  # an I/O point: the other events start meanwhile
        await self._meet(parties)
        for _ in range(rounds):
            self.steps.append(f"{tag}:read")
            value = await self.ctx.storage.get("n") or 0
            await self.ctx.storage.put("n", value + 1)
            self.steps.append(f"{tag}:write")
            await asyncio.sleep(0)  # a non-storage await: here others may run

    async def spin(self, rounds, parties):
        await self._meet(parties)
        for _ in range(rounds):
            self.steps.append("spin")
            await asyncio.sleep(0)

    async def count(self):
        return await self.ctx.storage.get("n")

    async def slow_io(self, tag):
        self.log.append(f"{tag}:start")
        await self.env.PROOF_KV.get("nothing")
        self.log.append(f"{tag}:end")

    async def slow_block(self, tag):
        async def block():
            self.log.append(f"{tag}:block-start")
            await self.env.PROOF_KV.get("nothing")  # the section's own I/O proceeds
            await asyncio.sleep(0.05)  # long enough for the other event's I/O to complete
            await self.env.PROOF_KV.get("nothing")
            self.log.append(f"{tag}:block-end")

        await self.ctx.blockConcurrencyWhile(block)

    async def exclusive(self, tag):
        async def block():
            self.log.append(f"{tag}:block-start")
            await self.env.PROOF_KV.get("nothing")  # I/O: still no other event gets in
            await self.env.PROOF_KV.get("nothing")
            self.log.append(f"{tag}:block-end")

        blocked = self.ctx.blockConcurrencyWhile(block)
        # This event's own I/O would let it resume, but not while the callback runs.
        await self.env.PROOF_KV.get("nothing")
        self.log.append(f"{tag}:own-io-done")
        await blocked

    def quick(self, tag):
        self.log.append(f"{tag}:quick")

    async def two_blocks(self):
        async def block(tag):
            self.log.append(f"{tag}:start")
            await self.env.PROOF_KV.get("nothing")
            self.log.append(f"{tag}:end")

        first = self.ctx.blockConcurrencyWhile(lambda: block("first"))
        second = self.ctx.blockConcurrencyWhile(lambda: block("second"))
        await asyncio.gather(first, second)

    async def failing_block(self):
        async def block():
            raise RuntimeError("load failed")

        await self.ctx.blockConcurrencyWhile(block)

    async def txn(self, fail):
        async def body(txn):
            self.log.append("txn:start")
            await txn.put("k", "from txn")
            await self.env.PROOF_KV.get("nothing")  # I/O inside the transaction
            self.log.append("txn:end")
            if fail:
                raise RuntimeError("undo")

        try:
            await self.ctx.storage.transaction(body)
        except Exception:
            self.log.append("txn:rolled-back")

    async def other_write(self):
        self.log.append("other")
        await self.ctx.storage.put("other", 1)

    async def read(self, key):
        return await self.ctx.storage.get(key)

    async def pair(self):
        return ("grove", 1)  # broken on purpose: tuples are not structured-cloneable

    def isolate(self):
        return isolate_token()

    async def pair_as_list(self):
        return ["grove", 1]


def as_bytes(value):
    """Bytes from a binding's buffer, whichever form it arrives in (as grove.platform.to_bytes)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return bytes(value.to_bytes())


async def count_keys(env):
    listed = await env.PROOF_KV.list()
    return len(listed["keys"])


class Default(WorkerEntrypoint):
    async def fetch(self, request):
        path = urlsplit(request.url).path
        try:
            value = await self.route(path)
        except Exception as exc:
            body = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
            return Response(json.dumps(body), status=500, headers={"content-type": "application/json"})
        return Response(json.dumps({"ok": True, "value": value}), headers={"content-type": "application/json"})

    async def route(self, path):
        stub = self.env.PAIRS.getByName("pair")
        if path == "/tuple":
            return await stub.pair()
        if path == "/list":
            return await stub.pair_as_list()
        if path == "/kv-bytes":
            await self.env.PROOF_KV.put("blob", b"grove")
            data = await self.env.PROOF_KV.get("blob", type="arrayBuffer")
            return data.decode()  # broken on purpose: only bytes has .decode()
        if path == "/kv-bytes-fixed":
            await self.env.PROOF_KV.put("blob", b"grove")
            data = await self.env.PROOF_KV.get("blob", type="arrayBuffer")
            return as_bytes(data).decode()
        if path == "/d1-dict":
            try:
                return await self.env.PROOF_DB.prepare("SELECT ? AS v").bind({"tenant": "autumn"}).first("v")
            except TypeError:  # broken on purpose: production raises a JsException here
                return "refused"
        if path == "/dev-only-import":
            import httpx  # broken on purpose: a dev-only package is never uploaded with the Worker

            return httpx.__name__
        if path == "/dependency-import":
            import pydantic

            return pydantic.__name__
        if path == "/isolate":
            return {"worker": isolate_token(), "object": await stub.isolate()}
        if path == "/d1-dict-fixed":
            return await self.env.PROOF_DB.prepare("SELECT ? AS v").bind(json.dumps({"tenant": "autumn"})).first("v")
        raise LookupError(path)

    async def scheduled(self, controller, env, ctx):
        return await count_keys(env)  # broken on purpose: env is None in production
