"""Regression tests for every class of input that once reached a 500 (issue 14's "Why"), over
HTTP against the app. Each refusal is the one error shape with a machine-readable code, and
nothing is stored on the way."""

from __future__ import annotations

import json

import pytest
from forged_tokens import claims_at, sign_claims, sign_raw

from grove.d1_limits import D1_MAX_ROW_BYTES
from grove_dev.accounts import ensure_account_sync

pytestmark = pytest.mark.usefixtures("tenants")
DEEP = 5000


def _code(reply) -> str:
    assert reply.headers["content-type"].startswith("application/json"), reply.text
    return reply.json()["error"]["code"]


@pytest.fixture
def secret(platform_secrets, platform, clock) -> str:
    # Hand-signed tokens name "ada", autumn's owner (roles come from memberships).
    ensure_account_sync(platform.runtime.d1(), "ada", tenant="autumn", role="owner", now_ms=clock.now_ms())
    return platform_secrets["JWT_SECRET"]


def _bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


# --- JSON: depth and numbers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "method"),
    [("/api/posts", "POST"), ("/api/analytics", "POST"), ("/api/config", "PUT"), ("/api/drafts/notes", "PUT")],
)
async def test_deeply_nested_bodies_are_400(client, auth, path, method):
    for body in ("[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP, '{"title": ' + "[" * DEEP):
        reply = await client.request(method, path, content=body, headers={**auth(), "content-type": "application/json"})
        assert reply.status_code == 400 and _code(reply) == "json_too_deep", reply.text


@pytest.mark.parametrize(
    "number",
    ["1" * 5000, "-" + "9" * 4301, str(2**53), "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1" * 300 + ".5"],
)
async def test_numbers_out_of_range_are_400(client, auth, number):
    body = '{"content": "x", "device_id": "d", "base_version": ' + number + "}"
    reply = await client.put("/api/drafts/notes", content=body, headers={**auth(), "content-type": "application/json"})
    assert reply.status_code == 400 and _code(reply) in {"number_out_of_range", "malformed_json"}, reply.text
    assert (await client.get("/api/drafts", headers=auth())).json()["drafts"] == []


async def test_brackets_inside_strings_are_not_nesting(client, auth):
    reply = await client.post("/api/posts", json={"title": "[" * DEEP, "markdown": "{" * DEEP}, headers=auth())
    assert reply.status_code == 422 and reply.json()["error"]["field"] == "title"  # too long, not too deep


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/posts", '{"title": "a\\ud800b", "status": "published"}'),
        # Found by the fuzzer: a draft's content reached the TenantDO's SQLite and failed there (500).
        ("PUT", "/api/drafts/notes", '{"content": "a\\udfff", "device_id": "d"}'),
    ],
)
async def test_an_unpaired_surrogate_is_400(client, auth, method, path, body):
    reply = await client.request(method, path, content=body, headers={**auth(), "content-type": "application/json"})
    assert reply.status_code == 400 and _code(reply) == "malformed_json"


@pytest.mark.parametrize("part", ["header", "claims"])
async def test_deep_json_in_a_token_is_401(client, clock, secret, part):
    deep = '{"a":' * DEEP + "1" + "}" * DEEP
    valid_claims = json.dumps(claims_at(clock.now_ms() // 1000))
    header, claims = (deep, valid_claims) if part == "header" else ('{"alg":"HS256"}', deep)
    reply = await client.get("/api/drafts", headers=_bearer(sign_raw(secret, header, claims)))
    assert reply.status_code == 401 and _code(reply) == "invalid_token"


async def test_a_huge_number_in_token_claims_is_401(client, clock, secret):
    claims = json.dumps(claims_at(0)).replace('"exp": 600', '"exp": ' + "9" * 5000)
    reply = await client.get("/api/drafts", headers=_bearer(sign_raw(secret, '{"alg":"HS256"}', claims)))
    assert reply.status_code == 401 and _code(reply) == "invalid_token"


# --- query numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["²", "١٢", "7" * 5000, "-1", "+7", " 7", "7.0", "0", "91", "0x7"])
async def test_query_numbers_are_ascii_digits_within_bounds(client, auth, raw):
    summary = await client.get("/api/analytics/summary", params={"days": raw}, headers=auth())
    assert summary.status_code == 422 and summary.json()["error"]["field"] == "days", raw
    delete = await client.delete("/api/drafts/notes", params={"version": raw}, headers=auth())
    assert delete.status_code in (404, 422), raw  # 0 and 91 are numbers, but no version 0 exists
    if raw not in ("91",):
        assert delete.status_code == 422 and delete.json()["error"]["field"] == "version", raw
    assert (await client.get("/api/posts", params={"page": raw})).status_code == 404, raw


async def test_a_content_length_in_other_digits_is_not_a_500(client, auth):
    reply = await client.post(
        "/api/posts", content=b'{"title": "x"}', headers={**auth(), "content-type": "application/json", "content-length": "١٤".encode()}
    )
    assert reply.status_code < 500


# --- path parameters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["a" * 600, "é" * 300, "Upper", "a--b", "-a", "%2e%2e", "a.b", "x" * 101]
)
async def test_an_impossible_slug_is_404_before_any_storage(client, auth, platform, slug):
    before = platform.services.stats.snapshot()
    for method, path in [
        ("GET", f"/blog/{slug}"), ("GET", f"/api/posts/{slug}"), ("PUT", f"/api/posts/{slug}"),
        ("DELETE", f"/api/posts/{slug}"), ("GET", f"/api/drafts/{slug}"), ("PUT", f"/api/drafts/{slug}"),
        ("DELETE", f"/api/drafts/{slug}"), ("POST", f"/api/drafts/{slug}/publish"), ("GET", f"/admin/editor/{slug}"),
    ]:
        reply = await client.request(method, path, headers=auth(), json={"title": "x"} if method in ("PUT", "POST") else None)
        assert reply.status_code == 404 and _code(reply) == "not_found", (method, path, reply.text)
    after = platform.services.stats.snapshot()
    touched = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0) and not k.startswith("worker.")}
    assert touched == {}, touched


# --- derived sizes ------------------------------------------------------------------------


async def test_rendered_html_over_the_d1_row_limit_is_413_and_nothing_is_stored(client, auth, create_post):
    # 600 KB of "<" is a valid post (under the 1 MiB body cap) whose HTML is 2.4 MB ("&lt;").
    markdown = "<" * 600_000
    reply = await client.post("/api/posts", json={"title": "Angles", "markdown": markdown, "status": "published"}, headers=auth())
    assert reply.status_code == 413 and _code(reply) == "rendered_too_large"
    assert str(D1_MAX_ROW_BYTES) in reply.json()["error"]["message"]
    assert (await client.get("/api/posts/angles", headers=auth())).status_code == 404
    # The same through an edit and through publishing a draft.
    await create_post("Small")
    edit = await client.put("/api/posts/small", json={"markdown": markdown}, headers=auth())
    assert edit.status_code == 413 and _code(edit) == "rendered_too_large"
    assert (await client.get("/api/posts/small", headers=auth())).json()["markdown"] == "Morning, *garden*."
    draft = {"content": markdown, "metadata": {"title": "Big"}, "device_id": "d1"}
    assert (await client.put("/api/drafts/big", json=draft, headers=auth())).status_code == 201
    publish = await client.post("/api/drafts/big/publish", headers=auth())
    assert publish.status_code == 413 and _code(publish) == "rendered_too_large"
    assert (await client.get("/api/drafts/big", headers=auth())).status_code == 200  # the draft stays


# --- tokens: times ------------------------------------------------------------------------


async def test_logout_with_an_absurd_exp_is_refused_not_a_500(client, clock, secret):
    now_s = clock.now_ms() // 1000
    for exp in (now_s + 10**12, 2**53 - 1, now_s + 31 * 86400):
        token = sign_claims(secret, claims_at(now_s, exp=exp))
        reply = await client.post("/api/auth/logout", headers=_bearer(token))
        assert reply.status_code == 401 and _code(reply) == "invalid_token", reply.text


async def test_a_token_before_its_nbf_is_refused(client, clock, secret):
    now_s = clock.now_ms() // 1000
    early = sign_claims(secret, claims_at(now_s, nbf=now_s + 3600))
    reply = await client.get("/api/drafts", headers=_bearer(early))
    assert reply.status_code == 401 and _code(reply) == "token_not_yet_valid"
    clock.advance(3600 * 1000 - 60_000)  # within the leeway of nbf, before exp moved past
    late = sign_claims(secret, claims_at(now_s, nbf=now_s + 3600, exp=now_s + 7200))
    assert (await client.get("/api/drafts", headers=_bearer(late))).status_code == 200


async def test_a_token_issued_in_the_future_is_refused(client, clock, secret):
    now_s = clock.now_ms() // 1000
    token = sign_claims(secret, claims_at(now_s, iat=now_s + 3600, exp=now_s + 7200))
    reply = await client.get("/api/drafts", headers=_bearer(token))
    assert reply.status_code == 401 and _code(reply) == "invalid_token"


async def test_a_jti_that_would_make_a_long_kv_key_is_refused(client, clock, secret):
    now_s = clock.now_ms() // 1000
    token = sign_claims(secret, claims_at(now_s, jti="é" * 128))
    reply = await client.post("/api/auth/logout", headers=_bearer(token))
    assert reply.status_code == 401 and _code(reply) == "invalid_token"


# --- hosts, tenants, Vary -----------------------------------------------------------------


@pytest.mark.parametrize("host", ["x.autumn.localhost:8787", "autumn.autumn.localhost", "a.b.localhost", "autumn-.localhost"])
async def test_only_an_exact_tenant_host_names_a_tenant(client, host):
    for path in ("/", "/api/posts"):
        reply = await client.get(f"http://{host}{path}")
        assert reply.status_code == 404 and _code(reply) == "not_found", (host, path)


async def test_the_summary_of_a_tenant_that_does_not_exist_is_404(client, auth):
    reply = await client.get("http://ghost.localhost:8787/api/analytics/summary", headers=auth("ghost"))
    assert reply.status_code == 404 and _code(reply) == "not_found"


async def test_public_reader_json_varies_by_authorization(read, create_post):
    await create_post("First Light")
    for path in ("/api/posts/first-light", "/api/posts", "/blog/first-light", "/"):
        first, cached = await read(path), await read(path)
        for reply in (first, cached):
            assert reply.headers["cache-control"].startswith("public") and reply.headers["vary"] == "Authorization", path


@pytest.mark.parametrize("host", ["[", "a]b", "[::1", "autumn.localhost]"])
async def test_a_host_that_makes_no_url_is_400(client, host):
    # Found by the fuzzer (tests/fuzz): urlsplit raised "Invalid IPv6 URL" before any route ran.
    reply = await client.get("/", headers={"host": host})
    assert reply.status_code == 400 and _code(reply) == "invalid_host"
