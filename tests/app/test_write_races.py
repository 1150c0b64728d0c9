"""Reads racing writes inside one isolate: once a write is acknowledged, no reader gets the
old version, whatever order the binding calls complete in.

The bindings are the real ones; ``Hold`` only delays when one call's answer is delivered
(as a slow network would), so each test pins one dangerous interleaving down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from local_runtime.bindings.d1 import D1Database
from local_runtime.bindings.kv import KVNamespace

pytestmark = pytest.mark.usefixtures("tenants")

URL = "http://autumn.localhost:8787/blog/race"
POST_SELECT = "FROM posts WHERE tenant = ?1 AND slug = ?2"


class Hold:
    """Delay the first call of ``cls.method`` matching ``when`` until ``release()``:
    ``after=True`` delivers the answer late (the call itself ran on time), ``after=False``
    starts the call late."""

    def __init__(self, monkeypatch, cls: type, method: str, when: Callable[..., bool], *, after: bool) -> None:
        self.reached = asyncio.Event()
        self._go = asyncio.Event()
        self._used = False
        original = getattr(cls, method)
        hold = self

        async def wrapper(binding: Any, *args: Any, **kwargs: Any) -> Any:
            mine = not hold._used and when(*args, **kwargs)
            if mine:
                hold._used = True
                if not after:
                    hold.reached.set()
                    await hold._go.wait()
            result = await original(binding, *args, **kwargs)
            if mine and after:
                hold.reached.set()
                await hold._go.wait()
            return result

        monkeypatch.setattr(cls, method, wrapper)

    def release(self) -> None:
        self._go.set()


def _post_select(queries, *args, **kwargs) -> bool:
    return any(POST_SELECT in q.sql for q in queries)


async def _edit(platform, auth, markdown: str) -> None:
    reply = await platform.runtime.fetch(
        "http://autumn.localhost:8787/api/posts/race", method="PUT", headers=auth(), body=f'{{"markdown": "{markdown}"}}'
    )
    assert reply.status == 200, await reply.text()


async def _page(platform) -> str:
    text = await (await platform.runtime.fetch(URL)).text()
    await platform.runtime.drain()
    return text


async def test_a_fill_that_read_before_the_write_is_not_stored(create_post, platform, auth, monkeypatch):
    await create_post("Race", "version one")
    hold = Hold(monkeypatch, D1Database, "_execute", _post_select, after=True)
    early_reader = asyncio.ensure_future(platform.runtime.fetch(URL))
    await hold.reached.wait()  # it has read "version one" from D1; the answer is on its way
    await _edit(platform, auth, "version two")  # acknowledged
    hold.release()
    assert "version one" in await (await early_reader).text()  # it raced the write: fine
    await platform.runtime.drain()
    for _ in range(3):  # KV and edge must not have kept its copy
        assert "version two" in await _page(platform)


async def test_a_reader_after_the_write_does_not_join_an_older_load(create_post, platform, auth, monkeypatch):
    await create_post("Race", "version one")
    hold = Hold(monkeypatch, D1Database, "_execute", _post_select, after=True)
    early_reader = asyncio.ensure_future(platform.runtime.fetch(URL))
    await hold.reached.wait()
    await _edit(platform, auth, "version two")
    late_reader = asyncio.ensure_future(platform.runtime.fetch(URL))
    for _ in range(20):  # let the late reader get as far as it can while the early one waits
        await asyncio.sleep(0)
    hold.release()
    await early_reader
    assert "version two" in await (await late_reader).text()


async def test_a_write_waits_for_a_copy_already_being_stored(create_post, platform, auth, monkeypatch):
    await create_post("Race", "version one")
    is_post_key = lambda key, *a, **k: key == "post:autumn:race"  # noqa: E731
    hold = Hold(monkeypatch, KVNamespace, "put", is_post_key, after=False)
    await (await platform.runtime.fetch(URL)).text()  # the page is served; its KV copy is being stored
    await hold.reached.wait()
    writer = asyncio.ensure_future(_edit(platform, auth, "version two"))
    for _ in range(20):
        await asyncio.sleep(0)
    hold.release()  # the old copy lands now...
    await writer  # ...and the write, which waited for it, deletes it before acknowledging
    await platform.runtime.cache_storage.default.delete("https://autumn.localhost/blog/race")
    assert "version two" in await _page(platform)
