"""HS256 JSON Web Tokens with the standard library (hmac + hashlib): mint and verify.

Claims: ``sub`` (user), ``tenant``, ``role`` (owner|author|reader), ``exp``, ``iat``, ``jti``,
optionally ``nbf``. Only HS256 is accepted, whatever the header says, so ``alg: none`` or a
key-confusion trick cannot pass. Revocation (KV ``auth:revoked:{jti}``) is checked by
``grove.access``.

Time rules (RFC 7519 §4.1.4-4.1.6, with the "small leeway" §4.1.4 allows for clock skew): a
token is refused once ``exp`` has passed, before its ``nbf``, when its ``iat`` is further ahead
than the leeway (no honest issuer signs in the future), and when it would live longer than
``MAX_TOKEN_TTL_S`` from now: its revocation entry must expire with it, in bounds KV accepts.
Header and claims are read by ``grove.json_reader`` (depth and number limits).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

from pydantic import ValidationError

from grove import json_reader
from grove.models import Role, TokenClaims

WRITER_ROLES: frozenset[Role] = frozenset({"owner", "author"})
OWNER_ROLES: frozenset[Role] = frozenset({"owner"})
_HEADER = {"alg": "HS256", "typ": "JWT"}
CLOCK_LEEWAY_S = 60
MAX_TOKEN_TTL_S = 30 * 24 * 3600


class TokenError(Exception):
    """A token that must be refused; ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, signing_input: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), signing_input, hashlib.sha256).digest()


def _json_part(value: Mapping[str, object]) -> str:
    return _b64encode(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def mint_token(
    secret: str, *, sub: str, tenant: str, role: Role, ttl_s: int, now_ms: int, jti: str
) -> str:
    if not 0 < ttl_s <= MAX_TOKEN_TTL_S:
        raise ValueError(f"ttl_s must be from 1 to {MAX_TOKEN_TTL_S} seconds")
    now_s = now_ms // 1000
    claims = TokenClaims(sub=sub, tenant=tenant, role=role, iat=now_s, exp=now_s + ttl_s, jti=jti)
    signing_input = f"{_json_part(_HEADER)}.{_json_part(claims.model_dump(exclude_none=True))}"
    return f"{signing_input}.{_b64encode(_sign(secret, signing_input.encode('ascii')))}"


def _names_hs256(header: object) -> bool:
    """A JOSE header (a JSON object) whose ``alg`` is HS256."""
    match header:
        case {"alg": "HS256"}:
            return True
        case _:
            return False


def verify_token(secret: str, token: str, *, now_ms: int) -> TokenClaims:
    invalid = TokenError("invalid_token", "The token is malformed or its signature does not match.")
    parts = token.split(".")
    if len(parts) != 3:
        raise invalid
    header_b64, claims_b64, signature_b64 = parts
    try:
        header: object = json_reader.loads(_b64decode(header_b64))
        signature = _b64decode(signature_b64)
        raw_claims = json_reader.loads(_b64decode(claims_b64))
    except ValueError:  # binascii.Error and JsonRefused are ValueErrors
        raise invalid from None
    if not _names_hs256(header):
        raise invalid
    expected = _sign(secret, f"{header_b64}.{claims_b64}".encode("ascii"))
    if not hmac.compare_digest(signature, expected):
        raise invalid
    try:
        claims = TokenClaims.model_validate(raw_claims)
    except ValidationError:
        raise invalid from None
    return _check_times(claims, now_ms // 1000)


def _check_times(claims: TokenClaims, now_s: int) -> TokenClaims:
    if claims.exp <= now_s:
        raise TokenError("token_expired", "The token has expired.")
    if claims.nbf is not None and claims.nbf > now_s + CLOCK_LEEWAY_S:
        raise TokenError("token_not_yet_valid", "The token is not valid yet (nbf).")
    if claims.iat is not None and claims.iat > now_s + CLOCK_LEEWAY_S:
        raise TokenError("invalid_token", "The token claims to be issued in the future (iat).")
    if claims.exp > now_s + MAX_TOKEN_TTL_S:
        raise TokenError("invalid_token", f"The token lives longer than {MAX_TOKEN_TTL_S} seconds (exp).")
    return claims
