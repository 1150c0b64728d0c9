"""Header containers with the SDK's behaviour.

Production hands Python a fresh ``http.client.HTTPMessage`` copy whenever ``.headers`` is read,
so mutating it never changes the request or response; ``Headers`` here is the JS-side store
(case-insensitive, lower-cased names, ``Set-Cookie`` kept apart) and ``to_message`` makes the copy.

Every operation is linear in the number of headers at most: values are indexed by name, and the
combined view (``items()``, what each copy is built from) is computed once per change.
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
        # Arrival order (raw_items) and the values of each name, kept in step.
        self._items: list[tuple[str, str]] = []
        self._by_name: dict[str, list[str]] = {}
        self._combined: list[tuple[str, str]] | None = None
        if init is None:
            return
        if isinstance(init, Headers):
            # A copy of another store (every Request/Response copy makes one): its lists, not
            # a replay of each header. `_combined` is replaced on change, never mutated: shared.
            self._items = init._items.copy()
            self._by_name = {key: values.copy() for key, values in init._by_name.items()}
            self._combined = init._combined
        elif isinstance(init, list | tuple):
            self._extend(init)
        elif isinstance(init, http.client.HTTPMessage):
            self._extend(init.items())
        elif isinstance(init, Mapping):
            self._extend(init.items())
            if len(self._by_name) != len(init):
                # Two keys differ only in case: set semantics, the later one replaces.
                self._items, self._by_name = [], {}
                for key, value in init.items():
                    self.set(key, value)
        elif isinstance(init, Iterable):
            self._extend(init)
        else:
            raise TypeError("Received unexpected type for headers argument")

    def _extend(self, pairs: Iterable[tuple[Any, Any]]) -> None:
        """``append`` each pair, in one loop (request and response headers arrive as lists)."""
        items, by_name = self._items, self._by_name
        for key, value in pairs:
            name, text = key.lower(), str(value).strip()
            items.append((name, text))
            values = by_name.get(name)
            if values is None:
                by_name[name] = [text]
            else:
                values.append(text)
        self._combined = None

    def _add(self, name: str, value: str) -> None:
        self._items.append((name, value))
        self._by_name.setdefault(name, []).append(value)
        self._combined = None

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self._by_name.get(name.lower())
        return ", ".join(values) if values else default

    def get_all(self, name: str) -> list[str]:
        return list(self._by_name.get(name.lower(), ()))

    def has(self, name: str) -> bool:
        return name.lower() in self._by_name

    def set(self, name: str, value: Any) -> None:
        self.delete(name)
        self._add(name.lower(), str(value).strip())

    def append(self, name: str, value: Any) -> None:
        self._add(name.lower(), str(value).strip())

    def delete(self, name: str) -> None:
        key = name.lower()
        if self._by_name.pop(key, None) is not None:
            self._items = [(k, v) for k, v in self._items if k != key]
            self._combined = None

    def items(self) -> list[tuple[str, str]]:
        """Combined view, sorted by name: repeated names joined with ", " except Set-Cookie,
        which keeps one entry per value."""
        return list(self._combined_items())

    def _combined_items(self) -> list[tuple[str, str]]:
        """``items()`` without the copy, for readers that do not keep it."""
        if self._combined is None:
            combined: list[tuple[str, str]] = []
            for key, values in self._by_name.items():
                if key == "set-cookie":
                    combined.extend((key, v) for v in values)
                else:
                    combined.append((key, ", ".join(values)))
            # A stable sort keeps the Set-Cookie values in arrival order.
            combined.sort(key=lambda kv: kv[0])
            self._combined = combined
        return self._combined

    def raw_items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def to_message(self) -> HTTPMessageMapping:
        message = HTTPMessageMapping()
        # The names are already lower-cased and the values stripped: stored as they are
        # (``set_raw``), as ``message[key] = value`` would under the compat32 policy.
        add = message.set_raw
        for key, value in self._combined_items():
            add(key, value)
        return message

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.has(name)

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"
