"""The client's address: the one place that reads it.

Cloudflare sets ``CF-Connecting-IP`` on every request that reaches a Worker, replacing any value
the client sent (developers.cloudflare.com/fundamentals/reference/http-headers/); the local
server passes a given one through and sets it from the socket otherwise
(``local_runtime.server``). ``X-Forwarded-For`` is never read: the client writes it.
"""

from __future__ import annotations

from email.message import Message
from ipaddress import ip_address

CLIENT_ADDRESS_HEADER = "cf-connecting-ip"
# Without the header (a request made inside the runtime, not through the edge) every such
# caller shares one address, so limits still apply to them together.
UNKNOWN_ADDRESS = "unknown"


def client_address(headers: Message) -> str:
    """The caller's IP address in canonical form (IPv6 compressed, lower case)."""
    raw = headers.get(CLIENT_ADDRESS_HEADER)
    if raw is None:
        return UNKNOWN_ADDRESS
    try:
        return str(ip_address(raw.strip()))
    except ValueError:
        return UNKNOWN_ADDRESS
