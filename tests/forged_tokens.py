"""Tokens with any header and claims text, signed with HS256 as ``grove.auth`` signs: what an
attacker holding a leaked secret, or a buggy issuer, could send. Raw text, so that it can be
something ``json.dumps`` would never write (nesting thousands deep, 5,000-digit numbers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def sign_raw(secret: str, header_text: str, claims_text: str) -> str:
    signing_input = f"{b64(header_text.encode())}.{b64(claims_text.encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def sign_claims(secret: str, claims: dict[str, object]) -> str:
    return sign_raw(secret, '{"alg":"HS256","typ":"JWT"}', json.dumps(claims))


def claims_at(now_s: int, **overrides: object) -> dict[str, object]:
    """Valid claims for autumn's owner at ``now_s``, with ``overrides``."""
    claims: dict[str, object] = {
        "sub": "ada", "tenant": "autumn", "role": "owner", "iat": now_s, "exp": now_s + 600, "jti": "forged-1",
    }
    claims.update(overrides)
    return claims
