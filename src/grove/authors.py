"""Who wrote a post, as readers see it: the author's display name (D1 ``users``), carried in the
post data that is already read from D1 and cached, so a byline, feed or share preview costs no
query of its own.

``name_column`` is the SQL every post read and write uses to carry the name (a scalar
subquery on ``users``' primary key, so it also works in ``RETURNING``); ``author_name`` is what
pages print. A display-name change retires the copies that carry the old name
(``grove.invalidation.after_display_name_change``).
"""

from __future__ import annotations


def name_column(posts: str) -> str:
    """The column ``author_name`` for rows of ``posts`` (its name or alias in the query): one
    primary-key lookup in ``users`` per row; NULL when the author has no account."""
    return f"(SELECT u.display_name FROM users AS u WHERE u.id = {posts}.author_id) AS author_name"


def author_name(author_id: str, display_name: str | None) -> str:
    """The name to show: the account's display name; its id when there is none (a post whose
    author has no account, or a copy cached before copies carried names)."""
    return display_name or author_id
