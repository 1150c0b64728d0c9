"""The OpenAPI 3.1 document of the API, generated from the router's table and the pydantic
models each route declares (never written by hand), served at ``/api/openapi.json``.

Schemas come from pydantic's JSON Schema generator (draft 2020-12, the dialect OpenAPI 3.1
uses), all in ``components.schemas``. Every operation documents its success body, and ``4XX``
with the one error shape (``grove.models.ErrorBody``); page routes answer an HTML page
instead when the client prefers HTML (``grove.negotiation``).

pydantic's schema generator is imported on first use: only this route needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from grove.models import ErrorBody
from grove.pages.assets import CONTENT_TYPES
from grove.path_params import PATH_PARAMS
from grove.router import Operation, QueryInt, QueryText, Route

if TYPE_CHECKING:
    from pydantic import TypeAdapter
    from pydantic.json_schema import JsonSchemaMode

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
_JSON = "application/json"
_HTML = "text/html"
_AUTHENTICATED = frozenset({"token", "writer", "owner"})
_OPTIONAL_TOKEN = frozenset({"reader", "client"})


def _types(routes: list[Route]) -> list[object]:
    """Every type a route names, once each (the document's components)."""
    seen: list[object] = [ErrorBody]
    for route in routes:
        for op in route.operations.values():
            for declared in (op.request, op.response):
                if declared is not None and declared not in seen:
                    seen.append(declared)
    return seen


def _schemas(types: list[object]) -> tuple[dict[int, dict[str, Any]], dict[str, Any]]:
    """Each type's schema (by index in ``types``; ``$ref``s into the components) and the
    components: one pass, so a model used by several routes is defined once."""
    from pydantic import TypeAdapter  # noqa: PLC0415 (first use only; see the docstring)

    # Validation mode for every type: for a reply it differs from serialization mode only in
    # treating fields with defaults as optional, which the checks against replies allow.
    adapters: list[tuple[int, JsonSchemaMode, TypeAdapter[Any]]] = [
        (index, "validation", TypeAdapter(cast("type[Any]", declared))) for index, declared in enumerate(types)
    ]
    by_key, definitions = TypeAdapter.json_schemas(adapters, ref_template=REF_TEMPLATE)
    schemas = {index: dict(schema) for (index, _), schema in by_key.items()}
    return schemas, dict(definitions.get("$defs", {}))


def _parameters(route: Route, op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": dict(PATH_PARAMS[name].schema)}
        for name in route.param_names()
    ]
    for name, spec in op.query.items():
        params.append({
            "name": name,
            "in": "query",
            "required": False,
            "description": spec.description,
            "schema": _query_schema(spec),
        })
    return params


def _query_schema(spec: QueryInt | QueryText) -> dict[str, Any]:
    if isinstance(spec, QueryText):
        return {"type": "string", "maxLength": spec.max_chars}
    return {"type": "integer", "minimum": spec.minimum, "maximum": spec.maximum}


def _success(op: Operation, status: int, schema: dict[str, Any] | None) -> dict[str, Any]:
    if status == 301:
        return {"description": "Moved permanently: the Location header names the page's address now."}
    if op.media == "document" and op.content_type is not None:
        return {"description": op.summary, "content": {op.content_type.split(";")[0]: {"schema": {"type": "string"}}}}
    if op.media == "html":
        content: dict[str, Any] = {_HTML: {"schema": {"type": "string"}}}
    elif op.media == "asset":
        content = {ctype.split(";")[0]: {"schema": {"type": "string"}} for ctype in CONTENT_TYPES.values()}
    else:
        content = {_JSON: {"schema": schema if schema is not None else {}}}
    return {"description": op.summary, "content": content}


def _operation(route: Route, method: str, op: Operation, schemas: dict[int, dict[str, Any]], types: list[object]) -> dict[str, Any]:
    error = {_JSON: {"schema": schemas[0]}}
    if op.media == "html":
        error[_HTML] = {"schema": {"type": "string"}}
    responses: dict[str, Any] = {
        str(status): _success(op, status, None if op.response is None else schemas[types.index(op.response)])
        for status in op.statuses
    }
    if method == "GET":
        responses["304"] = {"description": "The client's copy (If-None-Match) is current."}
    responses["4XX"] = {"description": "Refused: the one error shape, with a machine-readable code.", "content": error}
    document: dict[str, Any] = {
        "operationId": f"{op.handler.__module__.rsplit('.', 1)[-1]}.{op.handler.__name__}",
        "summary": op.summary,
        "x-grove-access": op.access,
        "parameters": _parameters(route, op),
        "responses": responses,
    }
    if op.access in _AUTHENTICATED:
        document["security"] = [{"bearer": []}]
    elif op.access in _OPTIONAL_TOKEN:
        document["security"] = [{}, {"bearer": []}]
    if op.request is not None:
        document["requestBody"] = {
            "required": op.request_required,
            "content": {_JSON: {"schema": schemas[types.index(op.request)]}},
        }
    return document


def build_document(routes: list[Route]) -> dict[str, Any]:
    types = _types(routes)
    schemas, components = _schemas(types)
    paths: dict[str, Any] = {}
    for route in routes:
        paths[route.path] = {
            method.lower(): _operation(route, method, op, schemas, types)
            for method, op in sorted(route.operations.items())
        }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "grove-edge",
            "version": "1",
            "description": "Blogs on tenant subdomains ({tenant}.{ROOT_DOMAIN}): the Host names the tenant.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }
