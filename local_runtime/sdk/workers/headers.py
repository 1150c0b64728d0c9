"""Header containers with the SDK's behaviour.

Production hands Python a fresh ``http.client.HTTPMessage`` copy whenever ``.headers`` is read,
so mutating it never changes the request or response; ``Headers`` here is the JS-side store
(case-insensitive, lower-cased names, ``Set-Cookie`` kept apart) and ``to_message`` makes the copy.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterable, Mapping
from typing import Any


class HTTPMessageMapping(http.client.HTTPMessage, Mapping):  # type: ignore[misc]
    pass


class Headers:
    """An ordered, case-insensitive multimap like the Fetch API's ``Headers``."""

    def __init__(self, init: Any = None) -> None:
        self._items: list[tuple[str, str]] = []
        if init is None:
            return
        if isinstance(init, Headers):
            self._items = list(init._items)
        elif isinstance(init, http.client.HTTPMessage):
            for key, value in init.items():
                self.append(key, value)
        elif isinstance(init, Mapping):
            for key, value in init.items():
                self.set(key, value)
        elif isinstance(init, Iterable):
            for key, value in init:
                self.append(key, value)
        else:
            raise TypeError("Received unexpected type for headers argument")

    def get(self, name: str, default: str | None = None) -> str | None:
        values = [v for k, v in self._items if k == name.lower()]
        return ", ".join(values) if values else default

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self._items if k == name.lower()]

    def has(self, name: str) -> bool:
        return any(k == name.lower() for k, _ in self._items)

    def set(self, name: str, value: Any) -> None:
        self.delete(name)
        self._items.append((name.lower(), str(value).strip()))

    def append(self, name: str, value: Any) -> None:
        self._items.append((name.lower(), str(value).strip()))

    def delete(self, name: str) -> None:
        self._items = [(k, v) for k, v in self._items if k != name.lower()]

    def items(self) -> list[tuple[str, str]]:
        """Combined view: repeated names joined with ", " except Set-Cookie."""
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key, _ in self._items:
            if key == "set-cookie":
                continue
            if key not in seen:
                seen.add(key)
                out.append((key, self.get(key) or ""))
        out.extend((k, v) for k, v in self._items if k == "set-cookie")
        return sorted(out, key=lambda kv: kv[0])

    def raw_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def to_message(self) -> HTTPMessageMapping:
        message = HTTPMessageMapping()
        for key, value in self.items():
            message[key] = value
        return message

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"
