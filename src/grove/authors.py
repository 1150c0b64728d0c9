"""Who wrote a post, as readers see it: the one function every byline, feed and share preview
asks for an author's name.

Accounts (display names in D1's users table) arrive from the accounts work; until then the
name shown is the author's id. When it reads D1, this is the one place to change: its callers
pass the id and use what comes back.
"""

from __future__ import annotations


def author_name(author_id: str) -> str:
    """The name to show for ``author_id``."""
    return author_id
