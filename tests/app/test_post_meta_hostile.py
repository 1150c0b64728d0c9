"""A post's live parts against callers the feature tests do not play: tampered cursors,
comments with nothing to read, and the other edges a reviewer tried (``tests/app/test_post_meta.py``
holds the feature's own tests)."""

from __future__ import annotations

import pytest

from tests.app.test_post_meta import RAISED_LIMITS, reader

pytestmark = pytest.mark.usefixtures("tenants")

URL = "/api/posts/spring-beds"


@pytest.fixture
def platform_secrets(platform_secrets):
    return {**platform_secrets, **RAISED_LIMITS}


@pytest.fixture
async def post(create_post) -> dict:
    return await create_post("Spring Beds", "Mulch *everything*.")


@pytest.mark.parametrize("cursor", ["9999999999999999." + "f" * 32, "9007199254740991." + "0" * 32])
async def test_a_cursor_past_any_time_is_a_422_not_a_500(client, post, cursor):
    reply = await client.get(f"{URL}/comments", params={"cursor": cursor})
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["code"] == "validation_error"


async def test_the_largest_valid_cursor_is_an_empty_last_page(client, post):
    reply = await client.get(f"{URL}/comments", params={"cursor": "9007199254740990." + "f" * 32})
    assert reply.status_code == 200 and reply.json() == {"comments": [], "next_cursor": None}


@pytest.mark.parametrize("markdown", ["   ", "\n\t\n", "\u200b", "\u202e\u200f", "\u00a0\u3000", "\ufeff", "\x00"])
async def test_a_comment_with_nothing_to_read_is_refused_and_nothing_is_stored(client, auth, post, markdown):
    reply = await client.post(f"{URL}/comments", json={"markdown": markdown}, headers=reader(auth, "ada"))
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["field"] == "markdown"
    assert (await client.get(f"{URL}/comments")).json()["comments"] == []
    assert (await client.get(f"{URL}/stats", headers=auth())).json()["comments"] == 0


async def test_indented_markdown_keeps_its_leading_spaces(client, auth, post):
    reply = await client.post(f"{URL}/comments", json={"markdown": "    code()"}, headers=reader(auth, "ada"))
    assert reply.status_code == 201 and "<code>" in reply.json()["comment"]["html"]
