"""A small path router: ``/blog/{slug}`` patterns to async handlers, per method.

A GET route also answers HEAD (the server sends the headers without the body). A path that
matches with another method is a 405 whose ``Allow`` header lists the route's methods,
HEAD included where GET is (RFC 9110 §15.5.6 and §9.3.2)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from grove.errors import method_not_allowed, not_found

if TYPE_CHECKING:  # the router itself never touches a request or response
    from grove.platform import Response

# ``handler(request, env, ctx, **path_params)``; the parameters differ per route.
Handler = Callable[..., Awaitable["Response"]]


@dataclass(frozen=True)
class Route:
    path: str  # the pattern as written, e.g. "/blog/{slug}"
    pattern: re.Pattern[str]
    handlers: dict[str, Handler]

    def allowed_methods(self) -> list[str]:
        methods = set(self.handlers)
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)


def _compile(path: str) -> re.Pattern[str]:
    # `{name}` matches one path segment; everything else is literal.
    parts = re.split(r"(\{[a-z_]+\})", path)
    regex = "".join(
        f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(f"^{regex}$")


class Router:
    def __init__(self) -> None:
        self._routes: list[Route] = []

    def add(self, method: str, path: str, handler: Handler) -> None:
        pattern = _compile(path)
        for route in self._routes:
            if route.pattern.pattern == pattern.pattern:
                route.handlers[method] = handler
                return
        self._routes.append(Route(path, pattern, {method: handler}))

    def routes(self) -> list[Route]:
        return list(self._routes)

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and path parameters; raises 404 or 405 as an HttpError."""
        for route in self._routes:
            match = route.pattern.match(path)
            if match is None:
                continue
            handler = route.handlers.get(method) or (
                route.handlers.get("GET") if method == "HEAD" else None
            )
            if handler is None:
                raise method_not_allowed(route.allowed_methods())
            return handler, match.groupdict()
        raise not_found(f"No route for {path}")
