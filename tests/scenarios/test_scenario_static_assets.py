"""The pages' CSS and JavaScript reach the Worker: a page links them at content-hashed URLs and
the Worker serves the exact bytes of ``src/grove/static/``. In the Pyodide lane the Worker
reads them from what ``wrangler deploy --dry-run`` uploads, mounted at ``/session/metadata``
as workerd mounts it, so this fails if the upload leaves a file out."""

from __future__ import annotations

import re
from pathlib import Path

from scenario_contract import TEST_SECRETS
from scenario_seed import add_member, add_tenant, bearer, post_statement

STATIC = Path(__file__).resolve().parents[2] / "src" / "grove" / "static"
LINKED = re.compile(r'<(?:link rel="stylesheet" href|script src)="(/static/([a-z0-9_-]+)\.([0-9a-f]{16})(\.[a-z]+))"')


async def test_pages_link_their_static_files_and_the_worker_serves_the_exact_bytes(edge):
    db = edge.env.DB
    await add_tenant(db, "autumn")
    await add_member(db, "ada", "autumn", "author")
    await post_statement(db, "autumn", "first-light").run()
    served = {}
    author = bearer(TEST_SECRETS["JWT_SECRET"], edge.now_ms(), tenant="autumn", role="author")
    for path, headers in (("/blog/first-light", None), ("/admin/editor/first-light", author)):
        page = await edge.fetch("GET", edge.url("autumn", path), headers=headers)
        assert page.status == 200, page.text()[:500]
        for url, stem, _, suffix in LINKED.findall(page.text()):
            reply = await edge.fetch("GET", edge.url("autumn", url))
            assert reply.status == 200, (url, reply.text()[:300])
            assert reply.headers["cache-control"] == "public, max-age=31536000, immutable"
            served[stem + suffix] = reply.body
    assert served.keys() == {"reader.css", "workspace.css", "editor.css", "workspace.js", "editor.js", "session.js", "post_live.js"}
    for name, body in served.items():
        assert body == (STATIC / name).read_bytes(), name


async def test_an_unknown_hash_is_a_404(edge):
    reply = await edge.fetch("GET", edge.url("autumn", "/static/reader.0123456789abcdef.css"))
    assert reply.status == 404
    assert reply.headers["cache-control"] == "private, no-store"
