"""The editor page (``/admin/editor/{slug}``): a textarea with a live preview that never loses
text, whichever device it was typed on.

Plain HTML and one script, ``grove/static/editor.js`` (styles: ``grove/static/editor.css``), no
framework. The page carries no draft data: the script fetches the draft with the token the
author entered once (kept in ``localStorage``).

- Every change is written to ``localStorage`` at once (the local copy), and sent to
  ``PUT /api/drafts/{slug}`` two seconds after typing stops and when the page is hidden
  (``fetch`` with ``keepalive``: ``sendBeacon`` cannot carry the Authorization header).
- Each save names the version it was edited from. On 409 the dialog shows both texts side by
  side: "Keep mine" saves this device's text over the server's version, "Take theirs"
  replaces the local text with the server's.
- On load, an unsaved local copy wins over the server's draft when the server still holds the
  version it was edited from (it is then sent), or when the only newer version is this
  device's own save whose reply was lost (same ``device_id``, one version on); if another
  device moved the draft on, the two are shown side by side, unless they are the same text.
- The status says: saved, saving, unsaved, offline (kept on this device), conflict.

The preview is a small, escaping markdown subset for speed while typing; the published page
is rendered by ``grove.markdown``.

The Content-Security-Policy allows scripts by a per-response nonce, not by origin: the script
is a file at its content-hashed URL (cacheable for a year) whose ``<script src>`` tag carries
the nonce. ``script-src 'self'`` would also do without inline code, but would let any
same-origin URL a page could be tricked into loading run as script; a nonce admits only the
tag this server wrote (the nonce-based "strict CSP" of https://web.dev/articles/strict-csp).
Styles come from ``'self'`` (the stylesheets) plus the nonce, for the inline accent colour.
"""

from __future__ import annotations

import json

from grove.models import TenantConfig
from grove.pages import assets
from grove.pages.escape import escape
from grove.pages.layout import document

# Typing pauses shorter than this do not cause a save.
SYNC_DELAY_MS = 2000

# The page below its heading: fixed markup, never formatted (no placeholders to escape).
_BODY = """
<section id="signin" hidden>
  <form id="token-form"><p><label>Access token<br>
    <input id="token" type="password" autocomplete="off" size="60" required></label></p>
    <p><button type="submit">Continue</button></p>
    <p class="meta">The token stays in this browser (localStorage). Get one with <code>grove token</code>.</p>
  </form>
</section>
<section id="editor" hidden>
  <div class="fields">
    <input id="title" placeholder="Title" maxlength="200">
    <input id="description" placeholder="Description" maxlength="500">
    <input id="tags" placeholder="tags, comma separated">
  </div>
  <div class="panes">
    <textarea id="content" spellcheck="true" placeholder="Write in markdown…"></textarea>
    <article id="preview" class="content" aria-label="Preview"></article>
  </div>
  <div class="actions"><button id="publish" type="button">Publish</button><span id="publish-result" class="meta"></span></div>
</section>
<dialog id="conflict">
  <h2>This draft changed somewhere else</h2>
  <p class="meta" id="conflict-info"></p>
  <div class="panes">
    <div><h3>Mine (this device)</h3><pre id="mine"></pre></div>
    <div><h3>Theirs</h3><pre id="theirs"></pre></div>
  </div>
  <p><button id="keep-mine" type="button">Keep mine</button>
     <button id="take-theirs" type="button" class="secondary">Take theirs</button></p>
</dialog>
"""


def content_security_policy(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; "
        "connect-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def editor_page(config: TenantConfig, slug: str, nonce: str) -> str:
    # JSON inside <script>: "<" escaped so no value can close the element.
    data = json.dumps({"slug": slug, "sync_delay_ms": SYNC_DELAY_MS}).replace("<", "\\u003c")
    main = (
        f'<div class="bar"><h1>Draft · <code>{escape(slug)}</code></h1>'
        '<span id="status" data-state="loading">Loading…</span></div>'
        f"{_BODY}"
        f'<script type="application/json" id="editor-config">{data}</script>\n'
        f'<script src="{assets.ASSETS.url("editor.js")}" nonce="{escape(nonce)}"></script>\n'
    )
    head = f'<link rel="stylesheet" href="{assets.ASSETS.url("editor.css")}">'
    return document(
        config, title=f"Editing {slug}", description="Draft editor", main=main, head=head, main_class="editor",
        nonce=nonce,
    )
