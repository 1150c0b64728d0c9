"""The pages' CSS and JavaScript over HTTP: linked at content-hashed URLs, served with the
files' exact bytes under a year-long immutable Cache-Control, any other name a 404 nobody
caches; file contents (``%``, ``{``, ``}`` included) never pass through string formatting; a
Cache API copy of a page built with other assets is not served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from client_kinds import BROWSER

from grove.cache_policy import STATIC_ASSET_CACHE_CONTROL
from grove.pages import assets

pytestmark = pytest.mark.usefixtures("tenants")

STATIC = Path(__file__).resolve().parents[2] / "src" / "grove" / "static"
LINKED = re.compile(r'<(?:link rel="stylesheet" href|script src)="(/static/[^"]+)"')


def linked(page: str) -> list[str]:
    return LINKED.findall(page)


async def test_pages_link_their_files_and_get_the_exact_bytes(client, create_post, auth):
    await create_post("First Light")
    pages = {
        "/blog/first-light": ["reader.css", "session.js", "post_live.js"],
        "/admin/editor/notes": ["reader.css", "session.js", "workspace.css", "editor.css", "workspace.js", "editor.js"],
        "/admin": ["reader.css", "session.js", "workspace.css", "workspace.js"],
    }
    for path, names in pages.items():
        page = await client.get(path, headers=auth() if path.startswith("/admin") else None)
        assert page.status_code == 200, page.text
        urls = linked(page.text)
        assert urls == [assets.ASSETS.url(name) for name in names]
        for name, url in zip(names, urls, strict=True):
            reply = await client.get(url)
            assert reply.status_code == 200
            assert reply.content == (STATIC / name).read_bytes()
            expected_type = "text/css" if name.endswith(".css") else "text/javascript"
            assert reply.headers["content-type"] == f"{expected_type}; charset=utf-8"
            assert reply.headers["cache-control"] == STATIC_ASSET_CACHE_CONTROL == "public, max-age=31536000, immutable"
            assert reply.headers["x-content-type-options"] == "nosniff"


async def test_revalidation_and_head(client):
    url = assets.ASSETS.url("reader.css")
    first = await client.get(url)
    again = await client.get(url, headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["cache-control"] == STATIC_ASSET_CACHE_CONTROL
    head = await client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == first.headers["content-type"]


@pytest.mark.parametrize(
    "path",
    [
        "/static/reader.css",  # unhashed
        "/static/reader.0000000000000000.css",  # an unknown (or older) hash
        "/static/READER.{hash}.css",
        "/static/editor.{hash}.js",  # reader.css's hash on another file
        "/static/reader.{hash}.css.map",
        "/static/%2e%2e%2fpages%2fassets.py",
        "/static/",
    ],
)
async def test_other_names_are_404s_nobody_caches(client, path):
    reader_hash = assets.ASSETS.url("reader.css").split(".")[-2]
    reply = await client.get(path.replace("{hash}", reader_hash))
    assert reply.status_code == 404
    assert reply.headers["cache-control"] == "private, no-store"
    assert reply.json()["error"]["code"] == "not_found"


def test_the_files_use_percent_and_braces():
    # The characters %-formatting and str.format would choke on are in the real files.
    for name in ("reader.css", "workspace.css", "editor.css", "workspace.js", "editor.js", "session.js"):
        text = (STATIC / name).read_text()
        assert "{" in text and "}" in text, name
    assert "%" in (STATIC / "reader.css").read_text()


HOSTILE = {
    "reader.css": "/* %(accent)s %s %% {0} {accent} {{ }} */\nbody { width: 100%; }\n",
    "editor.css": "main.editor { width: 50%; } /* %d {slug} */\n",
    "editor.js": 'console.log("%s %(nonce)s {config} ${x} {{}}", `${1 % 2}`);\n',
    "session.js": 'document.title = "%s {user} ${me} {{}}";\n',
    "workspace.css": ".wrap.wide { width: 90%; } /* %s {nav} */\n",
    "workspace.js": 'console.log("%(x)s {y}", `${2 % 3}`);\n',
    "post_live.js": 'const a = `${1 % 2} {slug} %(slug)s`; // {{ }}\n',
}


async def test_percent_and_braces_in_the_files_break_no_page(client, create_post, auth, tmp_path, monkeypatch):
    for name, text in HOSTILE.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(assets, "ASSETS", assets.AssetSet.from_folder(tmp_path))
    await create_post("First Light")
    paths = ["/", "/blog", "/blog/first-light", "/blog/missing", "/admin/editor/notes", "/admin", "http://nobody.localhost:8787/"]
    for path in paths:
        page = await client.get(path, headers={**BROWSER, **(auth() if path.startswith("/admin") else {})})
        assert page.status_code in (200, 404), (path, page.text)
        assert page.headers["content-type"].startswith("text/html")
        urls = linked(page.text)
        assert assets.ASSETS.url("reader.css") in urls, path
        for url in urls:
            name = next(n for n in HOSTILE if assets.ASSETS.url(n) == url)
            assert (await client.get(url)).text == HOSTILE[name]


async def test_an_edge_copy_built_with_other_assets_is_not_served(create_post, read, platform, tmp_path, monkeypatch):
    await create_post("First Light")
    first = await read("/blog/first-light")
    hits = platform.services.stats.get("cache.hits")
    assert (await read("/blog/first-light")).text == first.text
    assert platform.services.stats.get("cache.hits") == hits + 2  # the Cache API copy answered (and the generation entry)
    assert "x-grove-assets" not in first.headers  # the copy's own bookkeeping stays inside
    # A deploy that changed the stylesheet: the old copy links a URL that is now a 404.
    for name in ("reader.css", "workspace.css", "editor.css", "workspace.js", "editor.js", "session.js", "post_live.js"):
        (tmp_path / name).write_bytes((STATIC / name).read_bytes() + (b"\n/* changed */\n" if name == "reader.css" else b""))
    monkeypatch.setattr(assets, "ASSETS", assets.AssetSet.from_folder(tmp_path))
    after = await read("/blog/first-light")
    assert linked(after.text) == [assets.ASSETS.url("reader.css"), assets.ASSETS.url("session.js"), assets.ASSETS.url("post_live.js")] != linked(first.text)
    assert (await read(linked(first.text)[0])).status_code == 404
    hits = platform.services.stats.get("cache.hits")
    assert (await read("/blog/first-light")).text == after.text  # the rebuilt page replaced the copy
    assert platform.services.stats.get("cache.hits") == hits + 2
