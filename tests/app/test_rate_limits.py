"""Rate limits over HTTP (``grove.limits``, ``RateLimiterDO``): exact under concurrency, 429 with
``Retry-After`` and the error shape, a sliding window on the runtime's clock, per user or per
client address (``CF-Connecting-IP``), and overridable per environment through vars."""

from __future__ import annotations

import asyncio

import pytest

from grove.limits import DEFAULT_LIMITS, Rule

pytestmark = pytest.mark.usefixtures("tenants")

POST_LIMIT = DEFAULT_LIMITS[Rule.POST_CREATE]
ANALYTICS_LIMIT = DEFAULT_LIMITS[Rule.ANALYTICS]
AUTH_LIMIT = DEFAULT_LIMITS[Rule.AUTH_FAILURE]


def _post(n: int) -> dict:
    return {"title": f"Post {n}", "markdown": "text", "status": "draft"}


def _event(clock) -> dict:
    return {"type": "page_view", "path": "/blog/x", "ts_ms": clock.now_ms()}


def _assert_refusal(reply, rule: Rule) -> int:
    assert reply.status_code == 429, reply.text
    retry_after_s = int(reply.headers["retry-after"])
    assert retry_after_s >= 1
    error = reply.json()["error"]
    assert error["code"] == "rate_limited" and error["rule"] == rule.value
    assert error["retry_after_s"] == retry_after_s and error["message"]
    assert reply.headers["cache-control"] == "private, no-store"
    return retry_after_s


async def test_post_creation_exactly_n_of_m_concurrent_pass(client, auth, platform):
    headers = auth(role="author")
    replies = await asyncio.gather(
        *(client.post("/api/posts", json=_post(n), headers=headers) for n in range(POST_LIMIT.limit * 3))
    )
    statuses = [r.status_code for r in replies]
    assert statuses.count(201) == POST_LIMIT.limit
    assert statuses.count(429) == POST_LIMIT.limit * 2
    rows = await platform.runtime.d1().prepare("SELECT COUNT(*) AS n FROM posts").first()
    assert rows["n"] == POST_LIMIT.limit  # every 201 is a row, no refused request wrote one
    _assert_refusal(next(r for r in replies if r.status_code == 429), Rule.POST_CREATE)


async def test_post_limit_is_per_user_and_the_window_slides(client, auth, clock):
    ada, bo = auth(role="author", user="ada"), auth(role="author", user="bo")
    for n in range(POST_LIMIT.limit):
        assert (await client.post("/api/posts", json=_post(n), headers=ada)).status_code == 201
        clock.advance(1_000)
    refused = await client.post("/api/posts", json=_post(99), headers=ada)
    retry_after_s = _assert_refusal(refused, Rule.POST_CREATE)
    # the first post leaves the window 60 s after it was made, 10 s ago: Retry-After says 50 s
    assert retry_after_s == POST_LIMIT.window_s - POST_LIMIT.limit
    assert (await client.post("/api/posts", json=_post(100), headers=bo)).status_code == 201
    clock.advance(retry_after_s * 1000 - 1_000)
    assert (await client.post("/api/posts", json=_post(101), headers=ada)).status_code == 429
    clock.advance(1_000)
    assert (await client.post("/api/posts", json=_post(102), headers=ada)).status_code == 201
    assert (await client.post("/api/posts", json=_post(103), headers=ada)).status_code == 429


async def test_analytics_limit_is_per_client_address(client, clock):
    first = {"cf-connecting-ip": "198.51.100.7"}
    replies = await asyncio.gather(
        *(client.post("/api/analytics", json=_event(clock), headers=first) for _ in range(ANALYTICS_LIMIT.limit + 5))
    )
    statuses = [r.status_code for r in replies]
    assert statuses.count(202) == ANALYTICS_LIMIT.limit and statuses.count(429) == 5
    _assert_refusal(next(r for r in replies if r.status_code == 429), Rule.ANALYTICS)
    other = await client.post("/api/analytics", json=_event(clock), headers={"cf-connecting-ip": "198.51.100.8"})
    assert other.status_code == 202


async def test_ipv6_clients_are_counted_by_their_64(client, clock):
    statuses = []
    for n in range(ANALYTICS_LIMIT.limit + 1):
        address = f"2001:db8:1:2::{n:x}"  # one /64, a new address every time
        reply = await client.post("/api/analytics", json=_event(clock), headers={"cf-connecting-ip": address})
        statuses.append(reply.status_code)
    assert statuses[-1] == 429 and statuses.count(202) == ANALYTICS_LIMIT.limit


async def test_the_socket_address_is_the_client_without_the_header(client, clock):
    # httpx's ASGI transport connects from 127.0.0.1: the server sets CF-Connecting-IP from it
    for _ in range(ANALYTICS_LIMIT.limit):
        assert (await client.post("/api/analytics", json=_event(clock))).status_code == 202
    assert (await client.post("/api/analytics", json=_event(clock))).status_code == 429
    given = await client.post("/api/analytics", json=_event(clock), headers={"cf-connecting-ip": "127.0.0.1"})
    assert given.status_code == 429
    assert (await client.post("/api/analytics", json=_event(clock), headers={"cf-connecting-ip": "::1"})).status_code == 202


async def test_failed_auth_is_limited_per_address_even_for_valid_tokens(client, auth):
    guesser = {"cf-connecting-ip": "203.0.113.9"}
    bad = {**guesser, "authorization": "Bearer not.a.token"}
    replies = await asyncio.gather(*(client.get("/api/drafts", headers=bad) for _ in range(AUTH_LIMIT.limit)))
    assert [r.status_code for r in replies] == [401] * AUTH_LIMIT.limit
    refused = await client.get("/api/drafts", headers={**guesser, **auth()})
    _assert_refusal(refused, Rule.AUTH_FAILURE)
    # another address with the same valid token, and anonymous reads from the guesser, go on
    assert (await client.get("/api/drafts", headers={"cf-connecting-ip": "203.0.113.10", **auth()})).status_code == 200
    assert (await client.get("/", headers=guesser)).status_code == 200


async def test_successful_auth_is_not_counted(client, auth):
    headers = {"cf-connecting-ip": "203.0.113.20", **auth()}
    for _ in range(AUTH_LIMIT.limit + 1):
        assert (await client.get("/api/drafts", headers=headers)).status_code == 200


class TestOverrides:
    @pytest.fixture
    def platform_secrets(self, platform_secrets):
        return {**platform_secrets, "RATE_LIMIT_POST_CREATE": "3/10"}

    async def test_a_var_overrides_the_default(self, client, auth, clock):
        headers = auth(role="author")
        statuses = [(await client.post("/api/posts", json=_post(n), headers=headers)).status_code for n in range(4)]
        assert statuses == [201, 201, 201, 429]
        clock.advance(10_000)
        assert (await client.post("/api/posts", json=_post(5), headers=headers)).status_code == 201


class TestMalformedOverride:
    @pytest.fixture
    def platform_secrets(self, platform_secrets):
        return {**platform_secrets, "RATE_LIMIT_ANALYTICS": "lots"}

    async def test_a_bad_var_fails_loudly_not_open(self, client, clock):
        reply = await client.post("/api/analytics", json=_event(clock))
        assert reply.status_code == 500
        assert reply.json()["error"]["code"] == "bad_rate_limit_config"
