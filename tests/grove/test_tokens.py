"""grove.auth: HS256 tokens minted and verified with the standard library."""

from __future__ import annotations

import base64
import json

import pytest

from grove.auth import TokenError, mint_token, verify_token

SECRET = "s3cret"
NOW_MS = 1_767_225_600_000


def _mint(**overrides) -> str:
    claims = {"sub": "ada", "tenant": "autumn", "role": "owner", "ttl_s": 600, "now_ms": NOW_MS, "jti": "j1"}
    claims.update(overrides)
    return mint_token(SECRET, **claims)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_round_trip():
    claims = verify_token(SECRET, _mint(), now_ms=NOW_MS + 1000)
    assert (claims.sub, claims.tenant, claims.role, claims.jti) == ("ada", "autumn", "owner", "j1")
    assert claims.exp == NOW_MS // 1000 + 600 and claims.iat == NOW_MS // 1000


def test_expired():
    with pytest.raises(TokenError) as err:
        verify_token(SECRET, _mint(ttl_s=60), now_ms=NOW_MS + 60_000)
    assert err.value.code == "token_expired"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature
        lambda t: ".".join([t.split(".")[0], _b64({"sub": "eve", "tenant": "autumn", "role": "owner", "exp": 9999999999, "jti": "x"}), t.split(".")[2]]),
        lambda t: ".".join([_b64({"alg": "none", "typ": "JWT"}), t.split(".")[1], ""]),
        lambda t: t + ".extra",
        lambda t: "not-a-token",
        lambda t: "a.b.c",
    ],
)
def test_tampered_or_malformed_tokens_are_refused(tamper):
    with pytest.raises(TokenError) as err:
        verify_token(SECRET, tamper(_mint()), now_ms=NOW_MS)
    assert err.value.code == "invalid_token"


def test_other_secret_is_refused():
    with pytest.raises(TokenError):
        verify_token("another", _mint(), now_ms=NOW_MS)


def test_unknown_role_is_refused_even_when_signed():
    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = _b64({"sub": "ada", "tenant": "autumn", "role": "admin", "exp": 9999999999, "jti": "j"})
    import hashlib
    import hmac

    sig = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    with pytest.raises(TokenError):
        verify_token(SECRET, f"{header}.{body}.{sig}", now_ms=NOW_MS)
