"""The reader's blog in both lanes: the markdown plugins and Pygments render under Pyodide as on
CPython (footnotes, task lists, tables, strikethrough, heading ids, highlighted code), and tag
pages, feeds, the sitemap, old-slug redirects and browser 404s work through the real bindings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from scenario_contract import TEST_SECRETS
from scenario_seed import add_member, add_tenant, bearer

ATOM = "{http://www.w3.org/2005/Atom}"
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

MARKDOWN = """## Sowing <Notes>

Broad beans go in now[^beans], ~~not~~ in spring.

- [x] dig the bed
- [ ] sow the beans

| crop | week |
|------|------|
| beans | 44 |

```python
def sow(seeds: int) -> str:
    return "<b>" * seeds  # not markup
```

```js" onmouseover="alert(1)
x < y
```

[^beans]: Aquadulce <i>Claudia</i>, the hardy one.
"""


async def _publish(edge, auth, title: str, markdown: str, tags: list[str]) -> dict:
    body = {"title": title, "markdown": markdown, "status": "published", "tags": tags}
    created = await edge.fetch("POST", edge.url("autumn", "/api/posts"), headers=auth, body=json.dumps(body))
    assert created.status == 201, created.text()
    return created.json()


async def test_markdown_plugins_and_highlighting_render(edge):
    await add_tenant(edge.env.DB, "autumn", tier="oak", display_name="Autumn")
    await add_member(edge.env.DB, "ada", "autumn", "owner")
    auth = bearer(TEST_SECRETS["JWT_SECRET"], edge.now_ms(), tenant="autumn")
    post = await _publish(edge, auth, "Broad Beans", MARKDOWN, ["veg"])
    html = post["html"]
    assert '<h2 id="sowing-notes">Sowing &lt;Notes&gt;</h2>' in html
    assert '<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>' in html
    assert '<li id="fn1" class="footnote-item"><p>Aquadulce &lt;i&gt;Claudia&lt;/i&gt;' in html
    assert "<s>not</s>" in html and "<table>" in html and "<td>beans</td>" in html
    assert 'checked="checked" disabled="disabled" type="checkbox"' in html
    assert '<pre class="code"><code class="language-python"><span class="k">def</span>' in html
    assert '<span class="s2">"&lt;b&gt;"</span>' in html  # Pygments escaped the string
    assert "onmouseover" not in html and "<pre class=\"code\"><code>x &lt; y" in html
    page = await edge.fetch("GET", edge.url("autumn", "/blog/broad-beans"))
    assert page.status == 200 and html in page.text()


async def test_tags_feeds_sitemap_and_wrong_turns(edge):
    await add_tenant(edge.env.DB, "autumn", tier="oak", display_name="Autumn")
    await add_member(edge.env.DB, "ada", "autumn", "owner")
    auth = bearer(TEST_SECRETS["JWT_SECRET"], edge.now_ms(), tenant="autumn")
    await _publish(edge, auth, "Leeks", "Blanch them.", ["veg", "winter"])
    tag_page = await edge.fetch("GET", edge.url("autumn", "/tags/winter"))
    assert tag_page.status == 200 and "Leeks" in tag_page.text()
    feed = ET.fromstring((await edge.fetch("GET", edge.url("autumn", "/feed.xml"))).body)
    (entry,) = feed.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "Leeks" and "<p>Blanch them.</p>" in entry.findtext(f"{ATOM}content")
    rss = ET.fromstring((await edge.fetch("GET", edge.url("autumn", "/tags/veg/rss.xml"))).body)
    assert rss.find("channel/item/title").text == "Leeks"
    sitemap = await edge.fetch("GET", edge.url("autumn", "/sitemap.xml"))
    assert sitemap.status == 200 and b"/blog/leeks</loc>" in sitemap.body
    renamed = await edge.fetch("PUT", edge.url("autumn", "/api/posts/leeks"), headers=auth, body=json.dumps({"slug": "winter-leeks"}))
    assert renamed.status == 200, renamed.text()
    moved = await edge.fetch("GET", edge.url("autumn", "/blog/leeks"))
    assert (moved.status, moved.headers["location"]) == (301, "/blog/winter-leeks")
    missing = await edge.fetch("GET", edge.url("autumn", "/blog/no-such-post"), headers=BROWSER)
    assert missing.status == 404 and "text/html" in missing.headers["content-type"]
    again = await edge.fetch("GET", edge.url("autumn", "/blog/no-such-post"))
    assert again.status == 404 and again.json()["error"]["code"] == "not_found"
    slash = await edge.fetch("GET", edge.url("autumn", "/blog/"))
    assert (slash.status, slash.headers["location"]) == (301, "/blog")
