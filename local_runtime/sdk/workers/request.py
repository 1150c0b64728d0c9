"""``workers.Request`` for CPython: same constructor, properties and body methods as the SDK's."""

from __future__ import annotations

from http import HTTPMethod
from typing import Any

from workers.body import BodyMixin, encode_body
from workers.headers import Headers


class Request(BodyMixin):
    def __init__(self, input: Request | str, **options: Any) -> None:
        if isinstance(input, Request):
            base_method, base_headers, base_body = input._method, input._headers, input._body
            url = input.url
            self.cf = input.cf
        else:
            base_method, base_headers, base_body = "GET", Headers(), None
            url = str(input)
            self.cf = None
        method = options.pop("method", base_method)
        if isinstance(method, HTTPMethod):
            method = method.value
        self._method = str(method).upper()
        self._headers = Headers(options.pop("headers")) if "headers" in options else Headers(base_headers)
        body = encode_body(options.pop("body")) if "body" in options else base_body
        if body is not None and self._method in ("GET", "HEAD"):
            raise TypeError("Request with GET/HEAD method cannot have body.")
        self._body = body
        self._body_used = False
        self.cf = options.pop("cf", self.cf)
        self.url = url
        self.redirect = options.pop("redirect", "follow")
        # What the local server saw of the connection (for tests and logging only).
        self.remote_addr: str | None = options.pop("remote_addr", None)

    @property
    def method(self) -> HTTPMethod:
        return HTTPMethod[self._method]

    @property
    def js_object(self) -> Request:
        # In production this is the underlying JS Request; locally the object is its own.
        return self

    def clone(self) -> Request:
        self._raise_if_failed()
        return Request(self)

    def __repr__(self) -> str:
        return f"Request(method={self._method!r}, url={self.url!r})"
