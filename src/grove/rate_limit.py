"""Enforcing the rate limits of ``grove.limits``: one ``RateLimiterDO`` per rule and subject
(see ``durable_objects.rate_limiter`` for why one object per key), and the 429 refusal.

A refusal is ``429 rate_limited`` in the error shape with ``Retry-After`` in whole seconds
(RFC 9110 §10.2.3, RFC 6585 §4) and ``retry_after_s`` in the body.
"""

from __future__ import annotations

import logging
import math
from ipaddress import IPv6Network, ip_address

from grove.bindings import Env
from grove.errors import HttpError
from grove.limits import RateLimit, Rule, limit_for
from grove.rate_limit_rpc import Decision, RateLimiterStub

log = logging.getLogger("grove.rate_limit")
OBJECT_PREFIX = "rate:"
# One IPv6 client usually holds a whole /64 (RFC 6177 recommends at least a /56 per site), so
# counting single IPv6 addresses would let it rotate past any per-address limit.
IPV6_SUBJECT_PREFIX_LEN = 64


def address_subject(address: str) -> str:
    """The key a client address is counted under: an IPv4 address itself, an IPv6 one's /64."""
    try:
        parsed = ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(IPv6Network((parsed, IPV6_SUBJECT_PREFIX_LEN), strict=False))
    return str(parsed)


def user_subject(user_id: str) -> str:
    """The key a signed-in user is counted under, wherever and however they signed in."""
    return f"user:{user_id}"


def object_name(rule: Rule, subject: str) -> str:
    return f"{OBJECT_PREFIX}{rule.value}:{subject}"


def _stub(env: Env, rule: Rule, subject: str) -> RateLimiterStub:
    namespace = env.RATE_LIMITER
    return namespace.get(namespace.idFromName(object_name(rule, subject)))


def rate_limited(rule: Rule, decision: Decision) -> HttpError:
    retry_after_s = max(1, math.ceil(decision["retry_after_ms"] / 1000))
    return HttpError(
        429, "rate_limited", f"Too many requests ({rule.value}); try again in {retry_after_s} s.",
        headers={"retry-after": str(retry_after_s)},
        details={"rule": rule.value, "retry_after_s": retry_after_s},
    )


async def enforce(env: Env, rule: Rule, subject: str) -> None:
    """Count one request of ``subject`` under ``rule``; 429 when over the limit."""
    decision = await take(env, rule, subject)
    if not decision["allowed"]:
        raise rate_limited(rule, decision)


async def take(env: Env, rule: Rule, subject: str) -> Decision:
    """Count one request of ``subject`` under ``rule`` if there is room; the decision, for a
    caller that refuses (``rate_limited``) or gives the unit back (``give_back``) later."""
    limit: RateLimit = limit_for(env, rule)
    return await _stub(env, rule, subject).take(limit.limit, limit.window_ms)


async def give_back(env: Env, rule: Rule, subject: str) -> None:
    """Un-count a request ``take`` admitted and that was refused for another reason. Best
    effort: the request is refused either way, and a lost give-back only leaves the user one
    unit fewer until the window moves on."""
    try:
        await _stub(env, rule, subject).give_back()
    except Exception:
        log.warning("could not give back a %s unit", rule.value, exc_info=True)


async def check(env: Env, rule: Rule, subject: str) -> None:
    """429 when ``subject`` has no room left under ``rule``; counts nothing."""
    limit = limit_for(env, rule)
    decision = await _stub(env, rule, subject).peek(limit.limit, limit.window_ms)
    if not decision["allowed"]:
        raise rate_limited(rule, decision)


async def record(env: Env, rule: Rule, subject: str) -> None:
    """Count one event (e.g. a refused credential) whatever the window holds."""
    limit = limit_for(env, rule)
    await _stub(env, rule, subject).take(limit.limit, limit.window_ms)
