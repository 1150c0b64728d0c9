"""Reading a JSON request body: size cap, JSON syntax and limits, then a pydantic model.

413 over the cap (1 MiB unless the route says otherwise; checked on Content-Length before
reading, and on the bytes read), 400 for JSON that ``grove.json_reader`` refuses (malformed,
too deep, numbers out of range; its code says which), 422 naming the first invalid field.
"""

from __future__ import annotations

from email.message import Message
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ValidationError

from grove import json_reader
from grove.errors import bad_request, payload_too_large, validation_error
from grove.numbers import is_ascii_number, parse_bounded_int

if TYPE_CHECKING:  # only for annotations: parse_model is used by platform-free rule modules
    from grove.platform import Request

MAX_BODY_BYTES = 1024 * 1024

M = TypeVar("M", bound=BaseModel)


async def read_body(request: Request, headers: Message, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    declared = headers.get("content-length")
    # A declared length that is not a plain number is left to the body read below.
    if declared is not None and is_ascii_number(declared) and parse_bounded_int(declared, 0, max_bytes) is None:
        raise payload_too_large(max_bytes)
    body = await request.bytes()
    if len(body) > max_bytes:
        raise payload_too_large(max_bytes)
    return body


async def read_json(request: Request, headers: Message, max_bytes: int = MAX_BODY_BYTES) -> object:
    return parse_json(await read_body(request, headers, max_bytes))


def parse_json(body: bytes) -> object:
    try:
        return json_reader.loads(body)
    except json_reader.JsonRefused as exc:
        raise bad_request(exc.code, f"The request body was refused: {exc.message}") from None


def parse_model(model: type[M], data: object, *, wrapped_in: str | None = None) -> M:
    """Validate ``data``; a 422 names the first invalid field by its path in the body.
    ``wrapped_in``: the model's field that holds the whole body (a list body, say), left out of
    the paths so the client reads them as positions in what it sent."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = list(first["loc"])
        if wrapped_in is not None and loc[:1] == [wrapped_in]:
            loc = loc[1:]
        field = ".".join(str(part) for part in loc) or "body"
        raise validation_error(field, f"{field}: {first['msg']}") from None
