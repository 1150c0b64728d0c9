"""A small path router: ``/blog/{slug}`` patterns to async handlers, per method, and the table
every route declares itself in (what it reads and answers, who may call it).

A GET route also answers HEAD (the server sends the headers without the body). A path that
matches with another method is a 405 whose ``Allow`` header lists the route's methods,
HEAD included where GET is (RFC 9110 §15.5.6 and §9.3.2). Path parameters are checked by
their rule (``grove.path_params``) before the handler runs: a value that can never exist is
a 404 with no storage touched.

The table is also the source of the OpenAPI document (``grove.openapi``) and of the security
tests, which walk it: a new route is documented, fuzzed and isolation-tested by being added.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from grove.errors import method_not_allowed, not_found
from grove.path_params import PATH_PARAMS, invalid_param

if TYPE_CHECKING:  # the router itself never touches a request or response
    from grove.platform import Response

# ``handler(request, env, ctx, **path_params)``; the parameters differ per route.
Handler = Callable[..., Awaitable["Response"]]

# Who may call a route, and whether its body depends on the caller:
# "public": anyone, the same body for everyone (static files, the API document);
# "reader": anyone; the tenant's writers get more (drafts), so public copies carry Vary;
# "client": anyone may send (analytics events);
# "token": any valid token (logout); "writer": owners and authors; "owner": owners.
Access = Literal["public", "reader", "client", "token", "writer", "owner"]
# What a success body is: JSON (described by ``response``), an HTML page, a static file, or a
# document of its own type (a feed, the sitemap, robots.txt, the favicon: ``content_type``).
Media = Literal["json", "html", "asset", "document"]


@dataclass(frozen=True)
class QueryInt:
    """A whole-number query parameter (parsed by ``grove.http.query_int``)."""

    minimum: int
    maximum: int
    description: str


@dataclass(frozen=True)
class QueryText:
    """A text query parameter of at most ``max_chars`` characters (an opaque cursor, say)."""

    max_chars: int
    description: str


@dataclass(frozen=True)
class Operation:
    """One method of a route, as declared in the table."""

    handler: Handler
    access: Access
    summary: str
    request: object = None  # the body's type (a pydantic model), or None
    request_required: bool = True
    response: object = None  # the success body's type (a model or TypedDict) for JSON
    statuses: tuple[int, ...] = (200,)  # success statuses (PUT of a draft: 201 or 200)
    media: Media = "json"
    query: Mapping[str, QueryInt | QueryText] = field(default_factory=dict[str, QueryInt | QueryText])
    content_type: str | None = None  # the body's type, for media "document"


@dataclass(frozen=True)
class Route:
    path: str  # the pattern as written, e.g. "/blog/{slug}"
    pattern: re.Pattern[str]
    operations: dict[str, Operation]

    def allowed_methods(self) -> list[str]:
        methods = set(self.operations)
        if "GET" in methods:
            methods.add("HEAD")
        return sorted(methods)

    def param_names(self) -> list[str]:
        return re.findall(r"\{([a-z_]+)\}", self.path)


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

    def add(
        self,
        method: str,
        path: str,
        handler: Handler,
        *,
        access: Access,
        summary: str,
        request: object = None,
        request_required: bool = True,
        response: object = None,
        statuses: tuple[int, ...] = (200,),
        media: Media = "json",
        query: Mapping[str, QueryInt | QueryText] | None = None,
        content_type: str | None = None,
    ) -> None:
        operation = Operation(
            handler, access, summary, request, request_required, response, statuses, media, dict(query or {}), content_type
        )
        pattern = _compile(path)
        for name in pattern.groupindex:
            if name not in PATH_PARAMS:
                raise ValueError(f"{path}: path parameter {{{name}}} has no rule in grove.path_params")
        for route in self._routes:
            if route.pattern.pattern == pattern.pattern:
                route.operations[method] = operation
                return
        self._routes.append(Route(path, pattern, {method: operation}))

    def routes(self) -> list[Route]:
        return list(self._routes)

    def match(self, method: str, path: str) -> tuple[Route, Operation, dict[str, str]]:
        """The route, its operation and the path parameters; raises 404 or 405 as an
        HttpError (404 too for a parameter that breaks its rule)."""
        for route in self._routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            operation = route.operations.get(method) or (
                route.operations.get("GET") if method == "HEAD" else None
            )
            if operation is None:
                raise method_not_allowed(route.allowed_methods())
            params = found.groupdict()
            refused = invalid_param(params)
            if refused is not None:
                name, rule = refused
                raise not_found(f"No such address: {{{name}}} must be {rule.what}.")
            return route, operation, params
        raise not_found(f"No route for {path}")
