"""HTTP-level scenarios of the main Worker: what a reader's browser sees."""

from __future__ import annotations


async def test_unknown_path_is_a_json_404_that_is_never_cached(edge):
    reply = await edge.fetch("GET", edge.url("autumn", "/nothing-here"))
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/json; charset=utf-8"
    assert reply.headers["cache-control"] == "private, no-store"
    assert reply.json() == {"error": {"code": "not_found", "message": "No route for /nothing-here"}}
