"""The caller's side: ``DurableObjectStub`` (``ns.get(id)``) and its RPC methods.

A stub reaches its object only through ``StubTarget``: one RPC call or one ``fetch``.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol
from urllib.parse import urlsplit

from local_runtime.bindings.durable_objects.ids import DurableObjectId
from local_runtime.conversion import to_rpc
from workers import Request, Response


class StubTarget(Protocol):
    class_name: str

    def call_method(self, object_id: DurableObjectId, method: str, wire_args: list[Any]) -> Awaitable[Any]: ...

    def call_fetch(self, object_id: DurableObjectId, request: Request) -> Awaitable[Response]: ...


# --- the caller's view: stubs ----------------------------------------------------------------


class _RpcMethod:
    def __init__(self, stub: DurableObjectStub, name: str) -> None:
        self._stub = stub
        self._name = name

    def __call__(self, *args: Any, **kwargs: Any) -> Awaitable[Any]:
        # The SDK converts arguments before the call is made: a refused value is a TypeError
        # right here, not a failed call.
        wire_args = [to_rpc(arg) for arg in args]
        if kwargs:
            wire_args.append(to_rpc(dict(kwargs)))
        return self._stub._namespace.call_method(self._stub.id, self._name, wire_args)

    def __repr__(self) -> str:
        return f"<RPC method {self._name!r} of {self._stub!r}>"


class DurableObjectStub:
    """``ns.get(id)``: ``await stub.method(...)`` (RPC) and ``await stub.fetch(...)``."""

    _rpc_by_reference = True  # a stub crosses RPC as a capability, not a copy

    def __init__(self, namespace: StubTarget, object_id: DurableObjectId) -> None:
        self._namespace = namespace
        self.id = object_id

    @property
    def name(self) -> str | None:
        return self.id.name

    def __getattr__(self, name: str) -> _RpcMethod:
        if name.startswith("__"):
            raise AttributeError(name)
        return _RpcMethod(self, name)

    async def fetch(self, input: Request | str, **init: Any) -> Response:  # noqa: A002 (SDK name)
        request = Request(input, **init)
        parts = urlsplit(request.url)
        if not parts.scheme or not parts.netloc:
            raise TypeError(f"Fetch API cannot load: {request.url}")
        return await self._namespace.call_fetch(self.id, request)

    def __repr__(self) -> str:
        return f"<DurableObjectStub {self._namespace.class_name} {self.id}>"

