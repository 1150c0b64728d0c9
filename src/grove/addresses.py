"""What sign-in accepts from the outside: email addresses, ``next`` paths, platform hosts.

- An email address is ASCII ``local@domain`` (dot-atom, RFC 5322 §3.4.1; no quoted local
  parts, no IP literals), at most 254 characters (RFC 5321 §4.5.3.1.3 path limit), stored
  case-folded so one person has one account whatever capitals they type. No CR/LF can pass,
  so nothing can be injected into a mail header.
- ``next`` is a path on the same host: it starts with one ``/`` and never with ``//`` or
  ``/\\`` (which browsers read as another host), has no control characters or backslashes,
  and is at most 2,000 characters; anything else becomes ``/`` (OWASP Unvalidated Redirects).
- A platform host is the root domain or one valid label under it (``grove.tenancy``); links
  and hand-offs only ever point at one, whatever the Host header said.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from grove.tenancy import tenant_from_host

MAX_EMAIL_CHARS = 254
MAX_NEXT_CHARS = 2000
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$")
_PORT = re.compile(r"^[0-9]{1,5}$")


def normalize_email(raw: str) -> str | None:
    """The address case-folded, or None when it is not one we send mail to."""
    text = raw.strip()
    if len(text) > MAX_EMAIL_CHARS or not text.isascii() or _EMAIL.match(text) is None:
        return None
    return text.lower()


def safe_next(raw: str | None) -> str:
    """``raw`` when it is a path on this host, else ``/``."""
    if not raw or len(raw) > MAX_NEXT_CHARS or not raw.startswith("/"):
        return "/"
    if raw.startswith(("//", "/\\")) or "\\" in raw or any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        return "/"
    parts = urlsplit(raw)
    if parts.scheme or parts.netloc:
        return "/"
    return raw


def platform_host(host: str, root_domain: str) -> str | None:
    """``host`` (lower case, with its port) when it is the root domain or a blog under it,
    else None."""
    host = host.strip().lower()
    name, _, port = host.partition(":")
    if port and not _PORT.match(port):
        return None
    if name == root_domain.lower() or tenant_from_host(name, root_domain) is not None:
        return host
    return None


def is_local(host: str) -> bool:
    """Hosts that browsers treat as secure contexts over plain http (localhost and below)."""
    name = host.split(":", 1)[0].lower()
    return name == "localhost" or name.endswith(".localhost")


def origin_of(host: str) -> str:
    """The origin links to ``host`` use: https, except http on localhost."""
    return f"{'http' if is_local(host) else 'https'}://{host}"
