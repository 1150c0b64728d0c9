"""Meadow's demo people for `grove dev`: readers with accounts and no blog who follow the demo
authors, so the Meadow page (http://meadow.localhost:8787/) has feeds to show from the first
sign-in. Mira (``mira@grove.test``, in the README) follows every demo blog's owner; the others
follow one to three of the authors, chosen by a fixed rule so seeding twice changes nothing.
Their feeds are built from D1 on first load, as any never-built feed is (``durable_objects.feed``).

One celebrity: every demo reader follows Wes, and `grove dev` runs with the fan-out threshold
(``MEADOW_PULL_THRESHOLD``) at ``DEMO_PULL_THRESHOLD``, which his 31 followers pass and the
other authors' followers do not. ``announce_celebrity`` hands his posts to the fan-out queue as
the write path does for a publish, so the fan-out itself finds him over the threshold, records
him as a pull author and fills his author store: his posts reach feeds by pull, never pushed.
"""

from __future__ import annotations

from typing import Any

from grove import fanout
from grove.accounts import insert_user_statement
from grove.bindings import Env
from grove_dev.seed import DEMO_AUTHORS, demo_user_id

DEMO_READER = ("mira@grove.test", "Mira Sol")
CELEBRITY_EMAIL = "wes@grove.test"
# The demo's fan-out threshold (followers x posts a day, at least one a day): the celebrity's 31
# followers pass it; no other demo author has 20 followers.
DEMO_PULL_THRESHOLD = 20
FIRST_NAMES = (
    "Alba", "Bram", "Cleo", "Dov", "Edda", "Finn", "Gala", "Hugo", "Ines", "Jory", "Kira", "Lev",
    "Mae", "Nils", "Oona", "Pim", "Quin", "Rosa", "Sami", "Tess", "Ugo", "Vera", "Wim", "Xan",
    "Yara", "Zeno", "Ilse", "Otto", "Lina", "Teo",
)

_FOLLOW = (
    "INSERT INTO follows (follower_id, author_id, followed_at_ms) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (follower_id, author_id) DO NOTHING"
)


def demo_readers() -> list[tuple[str, str]]:
    """(email, display name) of every demo reader, Mira first."""
    return [DEMO_READER] + [(f"{name.lower()}@grove.test", f"{name} Reader") for name in FIRST_NAMES]


def follows_of(index: int) -> list[str]:
    """The demo authors reader ``index`` follows: Mira every owner, the others 1 to 3 authors
    and the celebrity."""
    authors = [a.user_id for a in DEMO_AUTHORS]
    if index == 0:
        return [a.user_id for a in DEMO_AUTHORS if a.role == "owner"]
    count = 1 + index % 3
    chosen = [authors[(index + k) % len(authors)] for k in range(count)]
    celebrity = demo_user_id(CELEBRITY_EMAIL)
    return chosen if celebrity in chosen else [*chosen, celebrity]


async def seed_meadow(db: Any, now_ms: int) -> dict[str, int]:
    """The demo readers' accounts and follows; returns how many of each were new."""
    readers = demo_readers()
    accounts = [insert_user_statement(db, email, now_ms, user_id=demo_user_id(email), display_name=name) for email, name in readers]
    follows = [
        db.prepare(_FOLLOW).bind(demo_user_id(email), author, now_ms)
        for index, (email, _) in enumerate(readers) for author in follows_of(index)
    ]
    results = await db.batch(accounts + follows)
    changes = [r["meta"]["changes"] for r in results]
    return {"meadow_readers_created": sum(changes[: len(accounts)]), "follows_created": sum(changes[len(accounts):])}


async def announce_celebrity(env: Env) -> int:
    """Hand the celebrity's published posts to the fan-out (one message each, as a publish
    does); returns how many. Delivered after the queue's batch timeout."""
    author_id = demo_user_id(CELEBRITY_EMAIL)
    rows = await env.DB.prepare("SELECT id FROM posts WHERE author_id = ?1 AND status = 'published'").bind(author_id).all()
    for row in rows["results"]:
        await fanout.post_changed(env, row["id"], author_id)
    return len(rows["results"])
