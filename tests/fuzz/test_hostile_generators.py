"""Hostile input of our own, generated with hypothesis, against `grove dev` over HTTP: JSON
nested deep, numbers long or in other scripts, unicode and surrogates, long and odd path
segments, hosts, and signed tokens with hostile headers and claims. Every reply must be below
500, and every 4xx the JSON error shape (these clients never prefer HTML).

Routes and their parameters come from the router's table, so a new route is covered here by
being added there."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from forged_tokens import sign_raw
from fuzz_checks import reply_problem
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grove.app import router
from grove_dev.platform import read_dev_vars

MAX_EXAMPLES = int(os.environ.get("GROVE_FUZZ_EXAMPLES", "12")) * 3
SEED = os.environ.get("GROVE_FUZZ_SEED")
SETTINGS = settings(
    max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=SEED is None,
    suppress_health_check=list(HealthCheck), print_blob=True,
)
# Every method of every route, with its parameters filled by a valid value.
OPERATIONS = [
    (method, route.path, bool(op.request))
    for route in router.routes()
    for method, op in sorted(route.operations.items())
]
VALID = {"slug": "first-light", "name": "reader.0000000000000000.css", "user_id": "no-such-user", "author_id": "no-such-user", "post_id": "no-such-post", "id": "no-such-token", "comment_id": "0" * 32, "tag": "garden", "number": "1", "version": "1"}


def concrete(path: str, **params: str) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: params.get(m.group(1), VALID[m.group(1)]), path)


@pytest.fixture(scope="module")
def http(dev, as_caller) -> Iterator[httpx.Client]:
    headers = {"host": dev.host("autumn"), **as_caller("owner")}
    with httpx.Client(base_url=dev.url, headers=headers, timeout=30) as client:
        yield client


def assert_sound(reply: httpx.Response) -> None:
    problem = reply_problem(reply.status_code, reply.headers.get("content-type", ""), reply.content)
    assert problem is None, f"{reply.request.method} {reply.request.url}: {problem}"


# --- generators ---------------------------------------------------------------------------

ascii_digits = st.text("0123456789", min_size=1, max_size=6000)
other_digits = st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=20)
number_texts = st.one_of(
    ascii_digits,
    ascii_digits.map(lambda d: "-" + d),
    st.tuples(ascii_digits, ascii_digits).map(lambda p: f"{p[0]}.{p[1]}"),
    st.integers(-100_000, 100_000).map(lambda e: f"1e{e}"),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "-0", "1E+309", "0x10", "１２"]),
    other_digits,
)


def nested(depths: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    return st.one_of(
        depths.map(lambda n: "[" * n + "]" * n),
        depths.map(lambda n: '{"a":' * n + "0" + "}" * n),
        depths.map(lambda n: "[" * n),  # unterminated
        depths.map(lambda n: '{"title":' + "[{" * n),
    )


deep_json = nested(st.integers(1, 20_000))
# Inside a token the text travels base64-encoded in a header: the HTTP server (like
# Cloudflare's front line) refuses headers beyond its limit before the app sees them.
deep_token_json = nested(st.integers(1, 1_000))
surrogates = st.integers(0xD800, 0xDFFF).map(lambda c: f'"\\u{c:04x}"')
unicode_text = st.text(max_size=300).map(json.dumps)
long_text = st.integers(1, 2_000_000).map(lambda n: json.dumps("x" * n))
json_values = st.one_of(number_texts, surrogates, unicode_text, long_text, st.sampled_from(["null", "true", "[]", "{}"]))


@st.composite
def hostile_bodies(draw) -> str:
    """A body that is deep, or an object whose one field holds a hostile value."""
    if draw(st.booleans()):
        return draw(deep_json)
    field = draw(st.sampled_from(["title", "markdown", "slug", "tags", "content", "device_id", "base_version",
                                  "version", "type", "path", "ts_ms", "display_name", "theme", "status"]))
    value = draw(st.one_of(json_values, deep_json))
    return "{" + json.dumps(field) + ": " + value + "}"


segment_chars = st.characters(codec="utf-8", exclude_characters="/?#")
path_segments = st.one_of(
    # Percent-encoded as a client must send them (a `%` the text holds stays, so it may decode).
    st.text(segment_chars, min_size=1, max_size=80).map(lambda text: quote(text, safe="%")),
    st.integers(101, 5000).map(lambda n: "a" * n),
    st.sampled_from(["..", ".", "%2e%2e", "%00", "%2F", "a%20b", "%F0%9F%8C%B2", "%ff%fe", "-a-", "a--b"]),
)
hosts = st.one_of(
    st.from_regex(r"\A[a-z0-9.-]{0,80}\.localhost(:[0-9]{1,6})?\Z"),
    # What an HTTP client can put in a header at all: visible ASCII, inner spaces.
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=100).filter(
        lambda host: host.strip() == host
    ),
    st.sampled_from(["a.b.localhost", "autumn.autumn.localhost", ".localhost", "autumn..localhost", "AUTUMN.LOCALHOST.", "[", "a]b"]),
)


# --- properties ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, takes_body in OPERATIONS if takes_body])
def test_hostile_bodies(http, method, path):
    @SETTINGS
    @given(body=hostile_bodies())
    def holds(body: str) -> None:
        assert_sound(http.request(method, concrete(path), content=body, headers={"content-type": "application/json"}))

    holds()


def test_hostile_query_numbers(http):
    numbered = [(m, r.path, n) for r in router.routes() for m, op in r.operations.items() for n in op.query]

    @SETTINGS
    @given(target=st.sampled_from(numbered), raw=number_texts)
    def holds(target: tuple[str, str, str], raw: str) -> None:
        method, path, name = target
        assert_sound(http.request(method, concrete(path), params={name: raw}))

    holds()


def test_hostile_path_segments(http):
    with_params = [(m, p) for m, p, _ in OPERATIONS if "{" in p]

    @SETTINGS
    @given(target=st.sampled_from(with_params), segment=path_segments)
    def holds(target: tuple[str, str], segment: str) -> None:
        method, path = target
        raw = concrete(path, **dict.fromkeys(re.findall(r"\{([a-z_]+)\}", path), segment))
        assert_sound(http.request(method, raw, json={"title": "x"} if method in ("PUT", "POST") else None))

    holds()


def test_hostile_hosts(dev):
    @SETTINGS
    @given(host=hosts, target=st.sampled_from([(m, p) for m, p, _ in OPERATIONS]))
    def holds(host: str, target: tuple[str, str]) -> None:
        method, path = target
        with httpx.Client(base_url=dev.url, timeout=30) as client:
            assert_sound(client.request(method, concrete(path), headers={"host": host}))

    holds()


token_strings = st.one_of(number_texts.filter(lambda text: len(text) < 2000), surrogates, unicode_text)
claim_values = st.one_of(token_strings, deep_token_json, st.integers(-(2**70), 2**70).map(str))


@st.composite
def hostile_tokens(draw) -> tuple[str, str]:
    header = draw(st.one_of(st.just('{"alg":"HS256","typ":"JWT"}'), deep_token_json, token_strings))
    claims = {"sub": '"ada"', "tenant": '"autumn"', "role": '"owner"', "exp": "4102444800", "jti": '"j1"'}
    for name in draw(st.lists(st.sampled_from(["sub", "tenant", "role", "exp", "iat", "nbf", "jti"]), max_size=3)):
        claims[name] = draw(claim_values)
    return header, "{" + ",".join(f'"{k}":{v}' for k, v in claims.items()) + "}"


def test_hostile_tokens(dev):
    secret = read_dev_vars()["JWT_SECRET"]
    targets = [(m, p) for m, p, _ in OPERATIONS]

    @SETTINGS
    @given(parts=hostile_tokens(), target=st.sampled_from(targets))
    def holds(parts: tuple[str, str], target: tuple[str, str]) -> None:
        method, path = target
        token = sign_raw(secret, *parts)
        with httpx.Client(base_url=dev.url, timeout=30) as client:
            reply = client.request(method, concrete(path), headers={"host": dev.host("autumn"), "authorization": f"Bearer {token}"})
        assert_sound(reply)

    holds()
