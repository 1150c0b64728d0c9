"""No ``public`` response depends on the caller, and the Vary rule, on every GET route of the
router's table: anonymous readers, a reader of the tenant, another tenant's owner and the
tenant's owner ask for the same URL (a published post, an unpublished one, the lists).

- a response marked public has the same body for every caller that gets a public response;
- the tenant's writers, whose view differs (drafts), never get a public response;
- a public response of a route whose body could differ by caller (``access="reader"``)
  carries ``Vary: Authorization``, so a shared cache never serves one caller's copy to another;
- a route declared the same for everyone (``access="public"``) gives every caller one body.
"""

from __future__ import annotations

import pytest
from route_table import calls, operation_ids, same_for_all

GETS = [op for op in operation_ids() if op.startswith("GET ")]
CALLERS = {
    "anonymous": None,
    "autumn_reader": ("autumn", "reader", "rita"),
    "willow_owner": ("willow", "owner", "wes"),
    "autumn_owner": ("autumn", "owner", "ada"),
}


def _is_public(reply) -> bool:
    return "public" in [part.strip() for part in reply.headers.get("cache-control", "").split(",")]


@pytest.mark.parametrize("post", ["published", "unpublished"])
@pytest.mark.parametrize("operation", GETS)
async def test_public_responses_do_not_depend_on_the_caller(operation, post, stocked, read, auth, clock):
    call = next(c for c in calls(stocked[post], clock.now_ms()) if c.id == operation)
    replies = {}
    for name, who in CALLERS.items():
        headers = {} if who is None else auth(who[0], who[1], user=who[2])
        replies[name] = await read(call.path, headers=headers)
    public = {name: reply for name, reply in replies.items() if _is_public(reply) and reply.status_code == 200}
    assert len({same_for_all(reply.content) for reply in public.values()}) <= 1, (call.id, sorted(public))
    access = call.operation.access
    if access == "reader":
        assert "autumn_owner" not in public, call.id
        for name, reply in public.items():
            assert "authorization" in reply.headers.get("vary", "").lower(), (call.id, name)
    elif access == "public":
        bodies = {same_for_all(reply.content) for reply in replies.values()}
        assert len(bodies) == 1, call.id
    else:
        assert public == {}, (call.id, sorted(public))
