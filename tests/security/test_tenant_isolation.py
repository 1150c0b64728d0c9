"""Tenant isolation on every route of the router's table (generated from it: a new route is
tested by being added). The owner of another tenant, calling on autumn's host, is refused by
every route that needs a role, and gets exactly what an anonymous reader gets from every
other; autumn's posts, drafts and settings are unchanged afterwards."""

from __future__ import annotations

import pytest
from conftest import SECRET_TEXT
from route_table import calls, operation_ids, same_for_all

OPERATIONS = operation_ids()


async def _autumn_state(client, auth) -> list[object]:
    owner = auth()
    return [
        (await client.get(path, headers=owner)).json()
        for path in ("/api/posts/first-light", "/api/posts/secret-draft", "/api/drafts", "/api/drafts/first-light")
    ] + [(await client.get("/api/analytics/summary", headers=owner)).status_code]


async def _send(client, call, headers):
    return await client.request(call.method, call.path, headers=headers, json=call.body)


@pytest.mark.parametrize("index", range(len(OPERATIONS)), ids=OPERATIONS)
async def test_another_tenants_owner_gets_nothing_of_autumn(index, stocked, client, auth, clock, platform):
    call = calls(stocked["published"], clock.now_ms())[index]
    before = await _autumn_state(client, auth)
    intruder = auth("willow", "owner", user="wes")
    reply = await _send(client, call, intruder)
    await platform.runtime.drain()
    access = call.operation.access
    if access in ("writer", "owner"):
        assert reply.status_code == 403 and reply.json()["error"]["code"] == "wrong_tenant", reply.text
    elif access == "token":
        # Only what is the caller's own is touched (logout revokes its token; reactions and
        # comments are the user's own; deleting another's comment is refused, a missing one 404).
        assert (reply.status_code < 400 or reply.status_code == 404) and SECRET_TEXT not in reply.text
    elif access in ("reader", "client", "public"):
        anonymous = await _send(client, call, {})
        assert (reply.status_code, same_for_all(reply.content)) == (anonymous.status_code, same_for_all(anonymous.content)), call.id
        assert SECRET_TEXT not in reply.text
    else:
        pytest.fail(f"{call.id}: access {access!r} has no isolation rule in this test")
    assert await _autumn_state(client, auth) == before, call.id


@pytest.mark.parametrize("index", range(len(OPERATIONS)), ids=OPERATIONS)
async def test_a_reader_of_autumn_cannot_use_a_writers_route(index, stocked, client, auth, clock):
    call = calls(stocked["published"], clock.now_ms())[index]
    if call.operation.access not in ("writer", "owner"):
        pytest.skip("not a route that needs a role")
    reply = await _send(client, call, auth("autumn", "reader", user="rita"))
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "insufficient_role"
    if call.operation.access == "owner":
        author = await _send(client, call, auth("autumn", "author", user="bea"))
        assert author.status_code == 403 and author.json()["error"]["code"] == "insufficient_role"


def test_every_route_declares_who_may_call_it():
    from grove.app import router

    for route in router.routes():
        for method, op in route.operations.items():
            assert op.access in ("public", "reader", "client", "token", "writer", "owner"), (method, route.path)
