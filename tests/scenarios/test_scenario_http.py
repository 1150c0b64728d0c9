"""HTTP-level scenarios of the main Worker: what a reader's browser sees."""

from __future__ import annotations


async def test_unknown_path_is_a_json_404_that_is_never_cached(edge):
    reply = await edge.fetch("GET", edge.url("autumn", "/nothing-here"))
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.headers["cache-control"] == "private, no-store"
    assert reply.json() == {"error": {"code": "not_found", "message": "No route for /nothing-here"}}


async def test_the_api_document_is_generated_on_the_edge_too(edge):
    # pydantic's JSON Schema generator over the route table's models and TypedDicts, under
    # Pyodide as on CPython.
    reply = await edge.fetch("GET", edge.url("autumn", "/api/openapi.json"))
    assert reply.status == 200 and reply.headers["cache-control"] == "public, max-age=300"
    document = reply.json()
    assert document["openapi"] == "3.1.0"
    assert document["paths"]["/api/drafts/{slug}"]["put"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DraftPut"
    }
    assert {"DraftData", "Summary", "ErrorBody", "AuthorPost"} <= set(document["components"]["schemas"])


async def test_hostile_json_and_hosts_are_clear_refusals_on_the_edge_too(edge):
    deep = "[" * 5000 + "]" * 5000
    reply = await edge.fetch("POST", edge.url("autumn", "/api/analytics"), body=deep, headers={"content-type": "application/json"})
    assert reply.status == 400 and reply.json()["error"]["code"] == "json_too_deep"
    two_labels = await edge.fetch("GET", edge.url("a.autumn", "/api/posts"))
    assert two_labels.status == 404 and two_labels.json()["error"]["code"] == "not_found"
