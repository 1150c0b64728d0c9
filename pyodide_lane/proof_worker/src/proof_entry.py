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
- ``scheduled``: reads bindings from the ``env`` argument, which production passes as None
  to a class-based handler; ``self.env`` is the fix (the ``/env-arg`` route runs the same
  code path on demand).

Every route answers 200 ``{"ok": true, "value": ...}`` or 500 ``{"ok": false, "error": ...}``.
"""

import json
from urllib.parse import urlsplit

from workers import DurableObject, Response, WorkerEntrypoint


class PairDO(DurableObject):
    """Also the lane's input-gate probe: ``trace`` records how two concurrent events interleave."""

    def __init__(self, ctx, env):
        super().__init__(ctx, env)
        self.events = []

    async def trace(self, tag, kind):
        self.events.append(f"{tag}:start")
        if kind == "io":
            await self.env.PROOF_KV.get("nothing")  # external I/O: another event may start
        else:
            await self.ctx.storage.get("nothing")  # storage: the gate stays closed
        self.events.append(f"{tag}:end")
        return list(self.events)

    async def pair(self):
        return ("grove", 1)  # broken on purpose: tuples are not structured-cloneable

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
        if path == "/d1-dict-fixed":
            return await self.env.PROOF_DB.prepare("SELECT ? AS v").bind(json.dumps({"tenant": "autumn"})).first("v")
        raise LookupError(path)

    async def scheduled(self, controller, env, ctx):
        return await count_keys(env)  # broken on purpose: env is None in production
