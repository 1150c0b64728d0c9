"""``workers.Response`` for CPython: same constructor, statics and body methods as the SDK's."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from workers.body import BodyMixin, encode_body
from workers.headers import Headers


class Response(BodyMixin):
    def __init__(
        self,
        body: Any = None,
        status: HTTPStatus | int | None = None,
        status_text: str = "",
        headers: Any = None,
        web_socket: Any = None,
    ) -> None:
        if isinstance(body, Response):
            if status is not None or status_text or headers is not None:
                raise ValueError("Expected no options when constructing Response from a js.Response")
            self._copy_from(body)
            return
        code = int(status.value if isinstance(status, HTTPStatus) else (status or 200))
        if code == 101:
            if web_socket is None:
                raise ValueError("a 101 response needs web_socket")
        elif not 200 <= code <= 599:
            raise ValueError(f"Responses may only be constructed with status codes in the range 200 to 599, inclusive (got {code})")
        self.status = code
        self.status_text = status_text
        self._headers = Headers(headers)
        self._body = encode_body(body)
        if self._body is not None and code in (101, 204, 205, 304):
            raise TypeError(f"Response with null body status ({code}) cannot have body")
        if isinstance(body, str) and not self._headers.has("content-type"):
            self._headers.set("content-type", "text/plain;charset=UTF-8")
        self._body_used = False
        self.web_socket = web_socket
        self.url = ""

    def _copy_from(self, other: Response) -> None:
        self.status, self.status_text = other.status, other.status_text
        self._headers = Headers(other._headers)
        self._body, self._body_used = other._body, other._body_used
        self.web_socket, self.url = other.web_socket, other.url

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def js_object(self) -> Response:
        return self

    def clone(self) -> Response:
        self._raise_if_failed()
        return Response(self)

    def replace_body(self, body: Any) -> Response:
        copy = Response(self)
        copy._body, copy._body_used = encode_body(body), False
        return copy

    @staticmethod
    def from_json(
        data: Any, status: HTTPStatus | int = HTTPStatus.OK, status_text: str = "", headers: Any = None
    ) -> Response:
        hdrs = Headers(headers)
        if not hdrs.has("content-type"):
            hdrs.set("content-type", "application/json")
        return Response(json.dumps(data), status=status, status_text=status_text, headers=hdrs.raw_items())

    @staticmethod
    def redirect(url: str, status: HTTPStatus | int = HTTPStatus.FOUND) -> Response:
        code = int(status.value if isinstance(status, HTTPStatus) else status)
        if code not in (301, 302, 303, 307, 308):
            raise ValueError(f"Invalid status code {code} for a redirect")
        return Response(None, status=code, headers={"location": url})

    def json(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # Like the SDK: on an instance, read the body as JSON (awaitable); used statically,
        # `Response.json(data, ...)` builds a JSON response.
        if isinstance(self, Response):
            return BodyMixin.json(self)
        return Response.from_json(self, *args, **kwargs)

    def __repr__(self) -> str:
        return f"Response(status={self.status})"
