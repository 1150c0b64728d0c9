"""``workers.fetch`` for CPython: outbound HTTP with httpx, as an I/O point of the input gate."""

from __future__ import annotations

from http import HTTPMethod
from typing import Any

from workers.request import Request
from workers.response import Response


async def fetch(resource: str | Request, **options: Any) -> Response:
    # Imported here so that `import workers` stays cheap and free of the runtime's modules.
    import httpx

    from local_runtime.gates import external_io
    from local_runtime.zone import route_for

    request = Request(resource, **options)
    served_locally = route_for(request.url)
    if served_locally is not None:  # the zone API a runtime serves in process (local_runtime.zone)
        async with external_io():
            return await served_locally(request)
    method = request.method.value if isinstance(request.method, HTTPMethod) else str(request.method)
    async with external_io():
        async with httpx.AsyncClient(follow_redirects=request.redirect == "follow") as client:
            reply = await client.request(
                method, request.url, headers=request._headers.raw_items(), content=request._body
            )
    response = Response(
        reply.content if reply.status_code not in (101, 204, 205, 304) else None,
        status=reply.status_code,
        headers=[(k, v) for k, v in reply.headers.multi_items() if k.lower() != "content-encoding"],
    )
    response.url = str(reply.url)
    return response
