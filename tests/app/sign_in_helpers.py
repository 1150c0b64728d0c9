"""What the sign-in tests read from responses and mail: the link in a message, the session
cookie a response sets. (A module of its own: ``conftest`` is not importable by name when
several test folders run together.)"""

from __future__ import annotations

import re

import httpx

LINK = re.compile(r"https?://[^\s]+/auth/callback\?token=[A-Za-z0-9_-]+")


def session_of(reply: httpx.Response) -> str:
    """The session cookie a response sets."""
    for header in reply.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == "grove_session":
            return rest.split(";", 1)[0]
    raise AssertionError(f"no session cookie in {reply.headers.get_list('set-cookie')}")
