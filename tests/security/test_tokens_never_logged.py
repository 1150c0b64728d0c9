"""Tokens never reach the logs: every route of the table is called with a valid token, one
with a bad signature, an expired one and a revoked one, and once more while a handler fails
(the path that logs a traceback); every log record at every level, with its traceback, is
searched for the tokens and their signatures."""

from __future__ import annotations

import logging

from route_table import calls

from grove import app


def _secrets_of(token: str) -> list[str]:
    # The whole token, and its signature (what makes it usable) on its own.
    return [token, token.rsplit(".", 1)[1]]


async def test_no_token_appears_in_any_log(stocked, client, auth, clock, caplog, monkeypatch, platform):
    tokens = [auth()["authorization"].split()[1], auth("autumn", "author", user="bea")["authorization"].split()[1]]
    valid = tokens[0]
    tokens.append(valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB"))  # bad signature
    tokens.append(auth(ttl_s=60)["authorization"].split()[1])
    revoked = auth()["authorization"].split()[1]
    tokens.append(revoked)
    with caplog.at_level(logging.DEBUG):
        assert (await client.post("/api/auth/logout", headers={"authorization": f"Bearer {revoked}"})).status_code == 200
        clock.advance(120_000)  # the 60 s token has expired
        for token in tokens:
            for call in calls(stocked["published"], clock.now_ms()):
                await client.request(call.method, call.path, headers={"authorization": f"Bearer {token}"}, json=call.body)
        await platform.runtime.drain()

        async def fails(*args, **kwargs):
            raise RuntimeError("a handler failed")

        route = next(r for r in app.router.routes() if r.path == "/api/drafts")
        monkeypatch.setitem(route.operations, "GET", route.operations["GET"].__class__(
            **{**route.operations["GET"].__dict__, "handler": fails}
        ))
        reply = await client.get("/api/drafts?token=" + valid[:8], headers={"authorization": f"Bearer {valid}"})
        assert reply.status_code == 500
    logged = caplog.text + "".join(
        str(record.args) + (record.exc_text or "") + str(record.__dict__) for record in caplog.records
    )
    assert "a handler failed" in logged  # the failure itself was logged, with its traceback
    for token in tokens:
        for secret in _secrets_of(token):
            assert secret not in logged
