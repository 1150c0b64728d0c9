"""Lifetimes and names of everything sign-in issues, in one place.

- A sign-in link lives 15 minutes and works once (the issue's rule; OWASP's Forgot Password
  cheat sheet recommends short-lived, single-use tokens for emailed links).
- A host hand-off code lives 60 seconds: it only has to survive one redirect.
- A session lives 30 days, the longest any token may (``grove.auth.MAX_TOKEN_TTL_S``), and is
  revocable at once (its row in ``credentials``).
- An invite waits 14 days for its first sign-in.
- Personal API tokens live 30 days unless asked for less.
"""

from __future__ import annotations

from grove.auth import MAX_TOKEN_TTL_S

SIGN_IN_LINK_TTL_S = 15 * 60
HANDOFF_CODE_TTL_S = 60
SESSION_TTL_S = MAX_TOKEN_TTL_S
INVITE_TTL_S = 14 * 24 * 3600
API_TOKEN_MAX_TTL_S = MAX_TOKEN_TTL_S

# Host-only (no Domain attribute): a cookie set on autumn.grove.place never reaches another
# blog. ``__Host-`` would need Secure, which browsers refuse on http://localhost.
SESSION_COOKIE = "grove_session"
# The scope claim of a token valid on every host (sessions); API tokens name one blog.
ANY_TENANT = "*"
# Random secrets in links and codes: 32 bytes (256 bits) from os.urandom, URL-safe.
SECRET_BYTES = 32
