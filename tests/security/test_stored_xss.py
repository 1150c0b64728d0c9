"""Stored XSS is impossible through any field that reaches HTML: every text field of a post
(``PostCreate``) and of the blog's settings (``ConfigUpdate``) is stored with hostile markup,
then every HTML route of the router's table is rendered (as a page and as a browser's 404)
and parsed. No script may run but the pages' own (``/static/`` files), no element may carry
an event handler, no URL may use a script scheme; and each field must have reached some page
(so the test exercised it)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from client_kinds import BROWSER
from route_table import sample_params

from grove.app import router
from grove.models import ConfigUpdate, PostCreate, ThemeUpdate

PAYLOADS = [
    '<script>alert("xss-1")</script>',
    '"><img src=x onerror=alert("xss-2")>',
    "'><svg onload=alert('xss-3')>",
    "</title><script>alert('xss-4')</script>",
    '[link](javascript:alert("xss-5")) <a href="javascript:alert(6)">x</a>',
    '<iframe src="data:text/html,xss-7"></iframe>',
]
MARKER = re.compile(r"xss-\d")
_SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")
_FORBIDDEN_TAGS = {"iframe", "object", "embed", "svg", "img", "math", "base"}


class Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_data_block = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value or "" for name, value in attrs}
        if tag == "script":
            # A JSON data block is never run; its text must stay JSON (checked below).
            self._in_data_block = named.get("type") in ("application/json", "application/ld+json")
            if not self._in_data_block and not named.get("src", "").startswith("/static/"):
                self.problems.append(f"<script> not from /static/: {named}")
        # The one <svg> a page may carry: the analytics chart, drawn by the server from counts
        # and dates (grove.pages.workspace.views_chart); a stored payload cannot add a tag.
        chart = tag == "svg" and named.get("class") == "chart" and set(named) == {"class", "viewbox", "role", "aria-label"}
        if tag in _FORBIDDEN_TAGS and not chart:
            self.problems.append(f"<{tag}> {named}")
        for name, value in named.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and re.sub(r"\s", "", value).lower().startswith(_SCRIPT_SCHEMES):
                self.problems.append(f"<{tag} {name}={value!r}>")

    def handle_data(self, data: str) -> None:
        if self._in_data_block:
            self._in_data_block = False
            try:
                json.loads(data)
            except ValueError:
                self.problems.append(f"a JSON data block that is not JSON: {data[:80]!r}")


def _hostile_fields(payload: str) -> tuple[dict[str, object], dict[str, object]]:
    """Every text field of the post and settings models, holding ``payload`` (cut to fit)."""
    post: dict[str, object] = {"status": "published"}
    for name in PostCreate.model_fields:
        if name in ("status", "slug"):  # a choice and a pattern: no text of the writer's
            continue
        post[name] = [payload[:40]] if name == "tags" else payload
    theme = {name: payload for name in ThemeUpdate.model_fields if name != "accent"}
    config: dict[str, object] = {name: payload[:100] for name in ConfigUpdate.model_fields if name != "theme"}
    config["theme"] = theme
    return post, config


# Pages a browser GETs and reads (redirects such as the sign-in hand-off show no fields).
HTML_ROUTES = [
    route.path for route in router.routes()
    if (op := route.operations.get("GET")) is not None and op.media == "html" and 303 not in op.statuses
]


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_no_field_can_inject_markup(payload, tenants, client, auth, read):
    post, config = _hostile_fields(payload)
    reply = await client.post("/api/posts", json={**post, "slug": "hostile"}, headers=auth())
    assert reply.status_code == 201, reply.text
    assert (await client.put("/api/config", json=config, headers=auth())).status_code == 200
    params = {**sample_params("hostile")}
    pages = [re.sub(r"\{([a-z_]+)\}", lambda m: params[m.group(1)], path) for path in HTML_ROUTES]
    pages.append("/blog/no-such-post")  # the 404 page with the tenant's chrome
    seen = ""
    for path in pages:
        # The workspace's pages show the same fields to the blog's owner.
        page = await read(path, headers={**BROWSER, **(auth() if path.startswith("/admin") else {})})
        # Sign-in steps opened without their token or session answer their own refusal page.
        allowed = (200, 400, 401, 404) if path.startswith("/auth/") else (200, 404)
        assert page.status_code in allowed, (path, page.status_code)
        assert page.headers["content-type"].startswith("text/html"), path
        audit = Audit()
        audit.feed(page.text)
        assert audit.problems == [], (path, audit.problems)
        seen += page.text
    # The payload reached the pages (escaped): the test looked at real output.
    assert MARKER.search(seen)
