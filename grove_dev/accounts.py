"""Accounts for local tokens: ``grove token``, the tests and the benchmarks mint tokens for a
user id (``ada``) or an email, and roles come from memberships (``grove.sessions``), so the
account and its membership must exist first. Written through the D1 binding, like any row.

A user id without an account gets one with the address ``{id}@users.invalid`` (RFC 2606
reserves ``.invalid``: nothing is ever sent there). The membership is created when the blog
exists, and raised to ``owner`` when asked; ``reader`` means no membership.
"""

from __future__ import annotations

from typing import Any

from grove.accounts import grant_statement, insert_user_statement, user_by_email
from grove.addresses import normalize_email

LOCAL_EMAIL_DOMAIN = "users.invalid"


async def ensure_account(db: Any, user: str, *, tenant: str | None = None, role: str = "reader", now_ms: int) -> str:
    """The user id of ``user`` (an id or an email), its account and membership in place."""
    email = normalize_email(user) if "@" in user else f"{user.lower()}@{LOCAL_EMAIL_DOMAIN}"
    if email is None:
        raise ValueError(f"not a usable user id or email: {user!r}")
    statements = [insert_user_statement(db, email, now_ms, user_id=None if "@" in user else user)]
    await db.batch(statements)
    row = await user_by_email(db, email)
    if row is None:
        raise RuntimeError(f"account {email} was not created")
    if tenant is not None and role in ("owner", "author"):
        await grant_statement(db, tenant, row["id"], role, now_ms).run()  # type: ignore[arg-type]
    return row["id"]


def ensure_account_sync(d1: Any, user: str, *, tenant: str | None = None, role: str = "reader", now_ms: int) -> str:
    """``ensure_account`` on the local D1 binding without awaiting (for a test's synchronous
    token helper): the same statements, run by the binding's engine directly and not counted
    in the operation counters, since they are setup, not the app's work."""
    email = normalize_email(user) if "@" in user else f"{user.lower()}@{LOCAL_EMAIL_DOMAIN}"
    if email is None:
        raise ValueError(f"not a usable user id or email: {user!r}")
    engine = d1.engine
    engine.run_queries([insert_user_statement(d1, email, now_ms, user_id=None if "@" in user else user)._query()])
    found = engine.run_queries([d1.prepare("SELECT id FROM users WHERE email = ?1").bind(email)._query()])
    user_id = str(found[0].rows[0][0])
    if tenant is not None and role in ("owner", "author"):
        engine.run_queries([grant_statement(d1, tenant, user_id, role, now_ms)._query()])  # type: ignore[arg-type]
    return user_id
