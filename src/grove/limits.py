"""Rate limits: every rule, its default and how an environment overrides it (one module).

A rule allows ``limit`` requests per ``window_s`` seconds, counted over a sliding window by one
``RateLimiterDO`` per rule and subject (``grove.rate_limit``). The defaults:

- ``post_create``: 10 per minute per user (seed 003, "Limit post creation to 10 per minute");
- ``analytics``: 120 requests per minute per client address (a page view sends one to three
  batches of events, each up to 100 events);
- ``auth_failure``: 30 refused credentials per 10 minutes per client address; beyond that a
  request carrying a token is refused (429) before its token is even checked;
- ``comment``: 5 per minute per user, ``reaction``: 30 per minute per user (a comment or
  reaction needs a token, so the user is known; ``grove.routes.post_meta_api``);
- ``follow``: 60 follows and unfollows per minute per user (each may backfill a feed from D1);
- ``sign_in_link``: 5 sign-in links per hour per client address, and ``sign_in_link_email``:
  5 per hour per email address (so one address cannot be flooded from many clients).

An environment overrides a rule with a var named ``RATE_LIMIT_<RULE>`` (upper case) whose value
is ``"<limit>/<window_s>"``, e.g. ``RATE_LIMIT_POST_CREATE = "1000/60"`` in ``[env.X.vars]``,
``.dev.vars`` or ``grove dev --var``; load tests and demos raise them this way. A malformed
value fails the request loudly (500 ``bad_rate_limit_config``) rather than silently falling
back: a typo must not remove a limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from grove.errors import HttpError


class Rule(StrEnum):
    POST_CREATE = "post_create"
    ANALYTICS = "analytics"
    AUTH_FAILURE = "auth_failure"
    COMMENT = "comment"
    REACTION = "reaction"
    FOLLOW = "follow"
    SIGN_IN_LINK = "sign_in_link"
    SIGN_IN_LINK_EMAIL = "sign_in_link_email"


@dataclass(frozen=True)
class RateLimit:
    limit: int  # requests allowed in any window
    window_s: int

    @property
    def window_ms(self) -> int:
        return self.window_s * 1000


DEFAULT_LIMITS: dict[Rule, RateLimit] = {
    Rule.POST_CREATE: RateLimit(10, 60),
    Rule.ANALYTICS: RateLimit(120, 60),
    Rule.AUTH_FAILURE: RateLimit(30, 600),
    Rule.COMMENT: RateLimit(5, 60),
    Rule.REACTION: RateLimit(30, 60),
    Rule.FOLLOW: RateLimit(60, 60),
    Rule.SIGN_IN_LINK: RateLimit(5, 3600),
    Rule.SIGN_IN_LINK_EMAIL: RateLimit(5, 3600),
}

# Bounds on an override: a window of a day at most keeps every object's table small, and the
# limit bounds its rows (one per admitted request in the window).
MAX_LIMIT = 1_000_000
MAX_WINDOW_S = 86_400
_OVERRIDE = re.compile(r"^([0-9]{1,7})/([0-9]{1,5})$")


def var_name(rule: Rule) -> str:
    return f"RATE_LIMIT_{rule.value.upper()}"


def parse_override(name: str, text: str) -> RateLimit:
    match = _OVERRIDE.match(text.strip())
    limit, window_s = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (1 <= limit <= MAX_LIMIT and 1 <= window_s <= MAX_WINDOW_S):
        raise HttpError(
            500, "bad_rate_limit_config",
            f"{name} must be '<limit>/<window_s>' with 1 <= limit <= {MAX_LIMIT} and 1 <= window_s <= {MAX_WINDOW_S}.",
        )
    return RateLimit(limit, window_s)


def limit_for(env: object, rule: Rule) -> RateLimit:
    """The rule's limit in this environment: its var when set, else the default."""
    name = var_name(rule)
    value: object = getattr(env, name, None)
    if isinstance(value, str) and value:
        return parse_override(name, value)
    return DEFAULT_LIMITS[rule]
