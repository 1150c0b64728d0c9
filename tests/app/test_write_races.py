"""Reads racing writes: once a write is acknowledged, no reader gets the old version, whatever
order the binding calls complete in, within one isolate and across isolates.

The bindings are the real ones; ``Hold`` only delays when one call's answer is delivered
(as a slow network would), so each test pins one dangerous interleaving down.
``another_isolate()`` runs a request as a second isolate would: with ``grove.page_cache``'s
module state (write fences, single-flight table) of its own, as production may run the reader
and the writer in different isolates (the Pyodide lane runs the main Worker as two).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from grove import page_cache
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


@contextmanager
def another_isolate() -> Iterator[None]:
    """Inside: page_cache's module state is another isolate's; outside: this one's again."""
    names = [name for name, value in vars(page_cache).items() if isinstance(value, page_cache.ISOLATE_STATE)]
    saved = {name: getattr(page_cache, name) for name in names}
    for name, value in saved.items():
        setattr(page_cache, name, type(value)())
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(page_cache, name, value)


def _post_select(queries, *args, **kwargs) -> bool:
    return any(POST_SELECT in q.sql for q in queries)


async def _create_uncached(create_post, platform) -> None:
    """The post, with no KV copy (the write stored one; KV dropped it, or it has not reached
    this location yet): the next reader fills from D1, which is the race under test."""
    await create_post("Race", "version one")
    await platform.runtime.kv().delete("post:autumn:race")


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
    await _create_uncached(create_post, platform)
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
    await _create_uncached(create_post, platform)
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
    await _create_uncached(create_post, platform)
    is_post_key = lambda key, *a, **k: key == "post:autumn:race"  # noqa: E731
    hold = Hold(monkeypatch, KVNamespace, "put", is_post_key, after=False)
    await (await platform.runtime.fetch(URL)).text()  # the page is served; its KV copy is being stored
    await hold.reached.wait()
    writer = asyncio.ensure_future(_edit(platform, auth, "version two"))
    for _ in range(20):
        await asyncio.sleep(0)
    hold.release()  # the old copy lands now...
    await writer  # ...and the write, which waited for it, deletes it before acknowledging
    platform.runtime.cache_storage.location = "elsewhere"
    assert "version two" in await _page(platform)


async def test_a_fill_in_another_isolate_does_not_outlive_the_write(create_post, platform, auth, monkeypatch):
    # The reader's isolate never sees the write (its fences are its own): only what every
    # isolate sees (the tenant's cache stamp in its TenantDO) can remove its late copies.
    await _create_uncached(create_post, platform)
    hold = Hold(monkeypatch, D1Database, "_execute", _post_select, after=True)
    early_reader = asyncio.ensure_future(platform.runtime.fetch(URL))
    await hold.reached.wait()
    with another_isolate():
        await _edit(platform, auth, "version two")  # acknowledged
    hold.release()
    assert "version one" in await (await early_reader).text()  # it raced the write: fine
    await platform.runtime.drain()
    for _ in range(3):  # neither KV nor the edge kept its copy
        assert "version two" in await _page(platform)


async def test_a_copy_stored_in_another_isolate_during_the_write_is_removed(create_post, platform, auth, monkeypatch):
    # The copy lands after the writer (in another isolate, which could not wait for it) deleted.
    await _create_uncached(create_post, platform)
    is_post_key = lambda key, *a, **k: key == "post:autumn:race"  # noqa: E731
    hold = Hold(monkeypatch, KVNamespace, "put", is_post_key, after=False)
    await (await platform.runtime.fetch(URL)).text()
    await hold.reached.wait()
    with another_isolate():
        await _edit(platform, auth, "version two")
    hold.release()
    await platform.runtime.drain()
    platform.runtime.cache_storage.location = "elsewhere"
    assert "version two" in await _page(platform)


async def test_write_through_copies_of_two_writes_landing_out_of_order(create_post, platform, auth, monkeypatch):
    # Both writes store the post in KV; the first one's put arrives after the second's. It
    # must not stay: the first writer sees the stamp moved and deletes it.
    await _create_uncached(create_post, platform)
    is_post_key = lambda key, *a, **k: key == "post:autumn:race"  # noqa: E731
    hold = Hold(monkeypatch, KVNamespace, "put", is_post_key, after=False)
    first = asyncio.ensure_future(_edit(platform, auth, "version two"))
    await hold.reached.wait()
    await _edit(platform, auth, "version three")
    hold.release()
    await first
    stored = await platform.runtime.kv().get("post:autumn:race", type="json")
    assert stored is None or "version three" in stored["post"]["html"]
    platform.runtime.cache_storage.location = "elsewhere"
    assert "version three" in await _page(platform)
