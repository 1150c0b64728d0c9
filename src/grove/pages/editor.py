"""The editor page (``/admin/editor/{slug}``): a textarea with a live preview that never loses
text, whichever device it was typed on.

Plain HTML and one script, ``grove/static/editor.js`` (styles: ``grove/static/editor.css``), no
framework, inside the workspace's shell (``grove.pages.workspace``). The page carries no draft
data: the script fetches the draft with the browser's own credentials (the session; API
clients use a Bearer token) and never asks for a token.

- A slug with a post (any status) opens that post's draft, made from its markdown and every
  field (title, description, tags, slug) when it has none; changing the slug field renames the
  post when it is published. Any other slug is the draft of a new post.
- Every change is written to ``localStorage`` at once (the local copy), and sent to
  ``PUT /api/drafts/{slug}`` two seconds after typing stops and when the page is hidden
  (``fetch`` with ``keepalive``).
- Each save names the version it was edited from. On 409 the dialog shows both texts side by
  side: "Keep mine" saves this device's text over the server's version, "Take theirs"
  replaces the local text with the server's.
- On load, an unsaved local copy wins over the server's draft when the server still holds the
  version it was edited from (it is then sent), or when the only newer version is this
  device's own save whose reply was lost (same ``device_id``, one version on); if another
  device moved the draft on, the two are shown side by side, unless they are the same text.
- The status says: saved, saving, unsaved, offline (kept on this device), conflict. A refused
  session (401/403) and a refused field (422) are said in words in the notice line, with a
  sign-in link for the first; the local copy is kept either way.

- History (a ``<details>`` below the editor, for a post that exists): its content versions
  (``GET /api/posts/{slug}/versions``: number, time, author, size; older ones by cursor);
  choosing one shows the line diff from it to the current text (``GET .../versions/{n}``,
  each line set as text, never as markup); "Restore this version" asks first, then
  ``POST .../versions/{n}/restore`` and starts the draft again from the restored post (the
  draft's version the editor held is removed, so another device's newer save is never dropped).

The preview is a small, escaping markdown subset for speed while typing; the published page
is rendered by ``grove.markdown``. The page's Content-Security-Policy is ``grove.pages.csp``'s.
"""

from __future__ import annotations

import json

from grove.models import Role, TenantConfig
from grove.pages.escape import escape
from grove.pages.workspace import sign_in_url, workspace_document

# Typing pauses shorter than this do not cause a save.
SYNC_DELAY_MS = 2000

# The page below its heading: fixed markup, never formatted (no placeholders to escape).
_BODY = """
<p id="notice" class="notice" role="alert" hidden></p>
<section id="editor">
  <div class="fields">
    <label>Title<input id="title" placeholder="Title" maxlength="200"></label>
    <label>Description<input id="description" placeholder="One or two sentences" maxlength="500"></label>
    <label>Tags<input id="tags" placeholder="comma, separated"></label>
    <label id="slug-field" hidden>Slug<input id="slug" maxlength="80" autocomplete="off" spellcheck="false"></label>
  </div>
  <div class="panes">
    <textarea id="content" spellcheck="true" aria-label="Markdown" placeholder="Write in markdown…"></textarea>
    <article id="preview" class="content" aria-label="Preview"></article>
  </div>
  <div class="actions"><button id="publish" type="button">Publish</button><span id="publish-result" class="meta"></span></div>
</section>
<details id="history" data-state="closed">
  <summary>History</summary>
  <p id="history-note" class="notice" role="status" hidden></p>
  <div class="history">
    <div class="history-list">
      <ol id="versions" class="version-list" aria-label="Versions, newest first"></ol>
      <button id="older-versions" type="button" class="secondary" hidden>Older versions</button>
    </div>
    <div id="version-view" aria-live="polite">
      <p class="meta" id="version-hint">Choose a version to see what changed from it to the current text.</p>
      <div id="version-detail" hidden>
        <h3 id="version-title"></h3>
        <p class="meta diff-key"><span class="removed">− only in this version</span> <span class="added">+ only in the current text</span></p>
        <div id="diff" class="diff" role="region" aria-label="Line changes from this version to the current text" tabindex="0"></div>
        <p><button id="restore" type="button">Restore this version</button></p>
      </div>
    </div>
  </div>
</details>
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


def editor_page(config: TenantConfig, slug: str, nonce: str, role: Role) -> str:
    # JSON inside <script>: "<" escaped so no value can close the element.
    config_json = json.dumps({"slug": slug, "sync_delay_ms": SYNC_DELAY_MS, "sign_in": sign_in_url(f"/admin/editor/{slug}")})
    data = config_json.replace("<", "\\u003c")
    main = (
        f'<div class="heading bar"><h1>Draft · <code id="slug-label">{escape(slug)}</code></h1>'
        '<span id="status" data-state="loading">Loading…</span></div>'
        f"{_BODY}"
        f'<script type="application/json" id="editor-config">{data}</script>\n'
    )
    return workspace_document(
        config, title=f"Editing {slug}", main=main, nonce=nonce, role=role, section="editor",
        styles=("editor.css",), scripts=("editor.js",),
    )
