"""The body-reading half shared by ``Request`` and ``Response`` (Fetch API ``Body`` mixin)."""

from __future__ import annotations

import json
from typing import Any

from workers.headers import Headers, HTTPMessageMapping


class BodyMixin:
    _body: bytes | None
    _body_used: bool
    _headers: Headers

    @property
    def headers(self) -> HTTPMessageMapping:
        """A copy, as in production: changing it does not change this object."""
        return self._headers.to_message()

    @property
    def body_used(self) -> bool:
        return self._body_used

    def _raise_if_failed(self) -> None:
        if self._body_used:
            raise OSError("Body already used")

    def _consume(self) -> bytes:
        self._raise_if_failed()
        self._body_used = self._body is not None
        return self._body or b""

    async def bytes(self) -> bytes:
        return self._consume()

    async def text(self) -> str:
        return self._consume().decode("utf-8", errors="replace")

    async def json(self, **kwargs: Any) -> Any:
        return json.loads(await self.text(), **kwargs)

    async def buffer(self) -> bytes:
        # Production returns an ArrayBuffer JsProxy; `.bytes()` is the portable spelling.
        return self._consume()


def encode_body(body: Any) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise TypeError(f"Unsupported type in body: {type(body).__name__}")
