"""The Content-Security-Policy of the author's pages (the workspace and the editor).

Scripts are admitted by a per-response nonce on their ``<script src>`` tags, not by origin:
each script is a file at its content-hashed URL (cacheable for a year) whose tag carries the
nonce. ``script-src 'self'`` would also do without inline code, but would let any same-origin
URL a page could be tricked into loading run as script; a nonce admits only the tags this
server wrote (the nonce-based "strict CSP" of https://web.dev/articles/strict-csp). Styles come
from ``'self'`` (the stylesheets) plus the nonce, for the inline accent colour. Forms are
never submitted by the browser (``form-action 'none'``): the scripts send them with ``fetch``.
"""

from __future__ import annotations

import secrets


def new_nonce() -> str:
    """A fresh nonce, one per response: only that response's own tags may run."""
    return secrets.token_urlsafe(16)


def content_security_policy(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
