"""The editor page (``/admin/editor/{slug}``): a textarea with a live preview that never loses
text, whichever device it was typed on.

Plain HTML and one inline script, no framework. The page carries no draft data: the script
fetches the draft with the token the author entered once (kept in ``localStorage``).

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
is rendered by ``grove.markdown``. A Content-Security-Policy with a per-response nonce lets
only this page's own script run.
"""

from __future__ import annotations

import json
from html import escape

from grove.models import TenantConfig
from grove.pages.layout import document

# Typing pauses shorter than this do not cause a save.
SYNC_DELAY_MS = 2000

_STYLE = """<style>
main.editor { max-width: 76rem; margin: 0 auto; padding: 0 1.25rem; }
.bar { display: flex; align-items: baseline; justify-content: space-between; gap: 1rem; }
.bar h1 { font-size: 1.3rem; margin: 0 0 1rem; }
#status { font: 0.85rem system-ui, sans-serif; border: 1px solid var(--rule); border-radius: 999px;
  padding: 0.15rem 0.7rem; color: var(--muted); }
#status[data-state="saved"] { color: #2e7d32; }
#status[data-state="offline"], #status[data-state="error"] { color: #b26a00; }
#status[data-state="conflict"] { color: #c62828; border-color: #c62828; }
.fields { display: grid; grid-template-columns: 2fr 3fr 2fr; gap: 0.6rem; margin-bottom: 0.8rem; }
.fields input, #token { font: 0.95rem system-ui, sans-serif; padding: 0.45rem 0.6rem;
  border: 1px solid var(--rule); border-radius: 6px; background: var(--paper); color: var(--ink); }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
#content { width: 100%; min-height: 60vh; font: 0.95rem/1.6 ui-monospace, Menlo, Consolas, monospace;
  padding: 0.8rem; border: 1px solid var(--rule); border-radius: 8px; background: var(--paper);
  color: var(--ink); resize: vertical; }
#preview { border: 1px solid var(--rule); border-radius: 8px; padding: 0 1rem; overflow: auto;
  max-height: 75vh; }
.actions { margin: 1rem 0; display: flex; gap: 1rem; align-items: baseline; }
button { font: 0.9rem system-ui, sans-serif; padding: 0.4rem 0.9rem; border-radius: 6px;
  border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.secondary { background: transparent; color: var(--accent); }
dialog { max-width: 70rem; width: 92vw; border: 1px solid var(--rule); border-radius: 10px;
  background: var(--paper); color: var(--ink); }
dialog pre { white-space: pre-wrap; max-height: 50vh; overflow: auto; }
@media (max-width: 50rem) { .panes, .fields { grid-template-columns: 1fr; } }
</style>"""

_MAIN = """
<div class="bar"><h1>Draft · <code>%(slug)s</code></h1><span id="status" data-state="loading">Loading…</span></div>
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
<script type="application/json" id="editor-config">%(config)s</script>
<script nonce="%(nonce)s">%(script)s</script>
"""

_SCRIPT = r"""
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("editor-config").textContent);
  const API = "/api/drafts/" + encodeURIComponent(cfg.slug);
  const KEY = { token: "grove:token", device: "grove:device", draft: "grove:draft:" + cfg.slug };
  const $ = (id) => document.getElementById(id);
  const fields = { content: $("content"), title: $("title"), description: $("description"), tags: $("tags") };
  const LABELS = { saved: "Saved", saving: "Saving…", unsaved: "Unsaved changes",
    offline: "Offline: kept on this device", conflict: "Conflict", signin: "Sign in", error: "Not saved" };

  // local: the text on this device. base_version: the server version it was edited from
  // (null: new). dirty: edited since the server last confirmed it.
  let local = null;
  let timer = null, inFlight = false, again = false, conflicted = false, theirs = null;

  const emptyMeta = () => ({ title: "", description: "", tags: [] });
  function deviceId() {
    let id = localStorage.getItem(KEY.device);
    if (!id) {
      id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
      localStorage.setItem(KEY.device, id);
    }
    return id;
  }
  function readLocal() { try { return JSON.parse(localStorage.getItem(KEY.draft)); } catch (e) { return null; } }
  function writeLocal() { localStorage.setItem(KEY.draft, JSON.stringify(local)); }
  function setStatus(state, text) { const el = $("status"); el.dataset.state = state; el.textContent = text || LABELS[state]; }
  function headers() { return { "authorization": "Bearer " + (localStorage.getItem(KEY.token) || ""), "content-type": "application/json" }; }
  function sameMeta(a, b) {
    return (a.title || "") === (b.title || "") && (a.description || "") === (b.description || "")
      && JSON.stringify(a.tags || []) === JSON.stringify(b.tags || []);
  }
  function sameText(a, b) { return a.content === b.content && sameMeta(a.metadata, b.metadata); }
  function metaFromFields() {
    return { title: fields.title.value.trim(), description: fields.description.value.trim(),
      tags: fields.tags.value.split(",").map((t) => t.trim()).filter(Boolean) };
  }
  function show(content, meta) {
    fields.content.value = content;
    fields.title.value = meta.title || "";
    fields.description.value = meta.description || "";
    fields.tags.value = (meta.tags || []).join(", ");
    renderPreview();
  }

  // --- preview: a small markdown subset, escaped before anything is marked up -------------
  function esc(s) { return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
  function safeUrl(url) {
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.replace(/[\x00-\x20\x7f]/g, ""));
    return !scheme || ["http", "https", "mailto"].includes(scheme[1].toLowerCase()) ? url : null;
  }
  function inline(text) {
    return esc(text)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/\*([^*]+)\*/g, "<em>$1</em>")
      .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (m, label, url) => {
        const safe = safeUrl(url);
        return safe === null ? label : '<a href="' + safe + '">' + label + "</a>";
      });
  }
  function renderMarkdown(src) {
    const lines = src.replace(/\r\n?/g, "\n").split("\n");
    const out = [];
    let para = [], list = null, m;
    const endPara = () => { if (para.length) { out.push("<p>" + inline(para.join(" ")) + "</p>"); para = []; } };
    const endList = () => {
      if (list) { out.push("<" + list.tag + ">" + list.items.map((t) => "<li>" + inline(t) + "</li>").join("") + "</" + list.tag + ">"); list = null; }
    };
    const item = (tag, text) => { endPara(); if (!list || list.tag !== tag) { endList(); list = { tag, items: [] }; } list.items.push(text); };
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (/^```/.test(line)) {
        endPara(); endList();
        const code = [];
        for (i++; i < lines.length && !/^```/.test(lines[i]); i++) code.push(lines[i]);
        out.push("<pre><code>" + esc(code.join("\n")) + "</code></pre>");
      } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        endPara(); endList();
        out.push("<h" + m[1].length + ">" + inline(m[2]) + "</h" + m[1].length + ">");
      } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
        endPara(); endList(); out.push("<hr>");
      } else if ((m = /^\s*[-*+]\s+(.*)$/.exec(line))) {
        item("ul", m[1]);
      } else if ((m = /^\s*\d+[.)]\s+(.*)$/.exec(line))) {
        item("ol", m[1]);
      } else if ((m = /^>\s?(.*)$/.exec(line))) {
        endPara(); endList(); out.push("<blockquote><p>" + inline(m[1]) + "</p></blockquote>");
      } else if (!line.trim()) {
        endPara(); endList();
      } else {
        endList(); para.push(line.trim());
      }
    }
    endPara(); endList();
    return out.join("\n");
  }
  function renderPreview() { $("preview").innerHTML = renderMarkdown(fields.content.value); }

  // --- sync ------------------------------------------------------------------------------
  function adopt(server) {
    local = { content: server.content, metadata: server.metadata, base_version: server.version, dirty: false };
    writeLocal(); show(local.content, local.metadata); setStatus("saved");
  }
  function body() {
    return JSON.stringify({ content: local.content, metadata: local.metadata, device_id: deviceId(), base_version: local.base_version });
  }
  function schedule(ms) { clearTimeout(timer); timer = setTimeout(sync, ms); }
  function offline() { setStatus("offline"); }

  // The server's draft is this device's own save whose reply never arrived (the page was
  // hidden or closed, or the network dropped after the server took it) when it is the only
  // version after ours and this device saved it: our text is newer, so it goes on top.
  // Any other device's version is a conflict the author decides.
  function ownLostSave(server) {
    return Boolean(server) && server.device_id === deviceId()
      && (local.base_version === null || server.version === local.base_version + 1);
  }
  function rebase(server) { local.base_version = server.version; writeLocal(); setStatus("unsaved"); schedule(0); }

  async function sync(keepalive = false) {
    if (!local || !local.dirty || conflicted) return;
    if (inFlight) { again = true; return; }
    inFlight = true;
    const sent = { content: local.content, metadata: local.metadata };
    setStatus("saving");
    let reply = null;
    try {
      // keepalive lets the request outlive a closing page; if the page lives on (a hidden
      // tab), its reply is handled like any other.
      reply = await fetch(API, { method: "PUT", headers: headers(), body: body(), keepalive });
    } catch (e) { reply = null; }
    inFlight = false;
    if (reply === null) { offline(); return; }
    if (reply.ok) {
      const saved = await reply.json();
      local.base_version = saved.version;
      if (sameText(local, sent)) local.dirty = false;
      writeLocal();
      if (!local.dirty) setStatus("saved");
    } else if (reply.status === 409) {
      const server = (await reply.json()).error.server;
      if (ownLostSave(server)) rebase(server); else showConflict(server);
      return;
    } else if (reply.status === 401 || reply.status === 403) {
      askForToken("The token was refused: enter another one.");
      return;
    } else if (reply.status === 413) {
      setStatus("error", "Too large to save (over 1 MiB)");
      return;
    } else {
      setStatus("error", "Not saved (" + reply.status + ")");
      return;
    }
    // Edits made while this save was in flight: their timer fired meanwhile.
    if (again) { again = false; schedule(0); }
  }

  function saveOnHide() { clearTimeout(timer); sync(true); }

  function onEdit() {
    if (!local) local = { content: "", metadata: emptyMeta(), base_version: null, dirty: false };
    local.content = fields.content.value;
    local.metadata = metaFromFields();
    local.dirty = true;
    writeLocal();
    renderPreview();
    if (conflicted) return;
    if (navigator.onLine === false) { offline(); return; }
    setStatus("unsaved");
    schedule(cfg.sync_delay_ms);
  }

  // --- conflicts -------------------------------------------------------------------------
  function showConflict(server) {
    conflicted = true; theirs = server; clearTimeout(timer);
    $("mine").textContent = local.content;
    $("theirs").textContent = server ? server.content : "";
    $("conflict-info").textContent = server
      ? "The server has version " + server.version + ", saved " + new Date(server.saved_at_ms).toLocaleString()
        + " on device " + server.device_id.slice(0, 8) + "."
      : "The draft was deleted or published on another device.";
    setStatus("conflict");
    if (!$("conflict").open) $("conflict").showModal();
  }
  function closeConflict() { conflicted = false; theirs = null; $("conflict").close(); }
  $("conflict").addEventListener("cancel", (e) => e.preventDefault());
  $("keep-mine").addEventListener("click", () => {
    local.base_version = theirs ? theirs.version : null;
    local.dirty = true;
    writeLocal(); closeConflict(); schedule(0);
  });
  $("take-theirs").addEventListener("click", () => {
    const server = theirs;
    closeConflict();
    if (server) { adopt(server); return; }
    local = { content: "", metadata: emptyMeta(), base_version: null, dirty: false };
    writeLocal(); show(local.content, local.metadata); setStatus("saved", "New draft");
  });

  // --- loading ---------------------------------------------------------------------------
  function reconcile(server) {
    if (local && local.dirty) {
      if ((server ? server.version : null) === local.base_version) { setStatus("unsaved"); schedule(0); return; }
      if (server && sameText(local, server)) { adopt(server); return; }
      if (ownLostSave(server)) { rebase(server); return; }
      showConflict(server);
      return;
    }
    if (server) { adopt(server); return; }
    // Nothing on the server: a new draft (or one published or deleted elsewhere).
    local = { content: local ? local.content : "", metadata: local ? local.metadata : emptyMeta(), base_version: null, dirty: false };
    writeLocal(); show(local.content, local.metadata); setStatus("saved", "New draft");
  }

  async function load() {
    local = readLocal();
    if (local) show(local.content, local.metadata);
    let reply;
    try { reply = await fetch(API, { headers: headers(), cache: "no-store" }); } catch (e) { offline(); return; }
    if (reply.status === 401 || reply.status === 403) { askForToken("The token was refused: enter another one."); return; }
    if (reply.status !== 404 && !reply.ok) { setStatus("error", "Could not load the draft (" + reply.status + ")"); return; }
    reconcile(reply.status === 404 ? null : await reply.json());
  }

  function askForToken(message) {
    $("signin").hidden = false; $("editor").hidden = true;
    setStatus("signin", message);
  }
  function start() { $("signin").hidden = true; $("editor").hidden = false; load(); }

  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    localStorage.setItem(KEY.token, $("token").value.trim());
    start();
  });
  for (const input of Object.values(fields)) input.addEventListener("input", onEdit);
  window.addEventListener("online", () => { if (local && local.dirty && !conflicted) schedule(0); });
  window.addEventListener("offline", () => { if (local && local.dirty) offline(); });
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") saveOnHide(); });
  window.addEventListener("pagehide", saveOnHide);

  $("publish").addEventListener("click", async () => {
    if (!local || conflicted) return;
    if (local.dirty) { await sync(); if (local.dirty || conflicted) return; }
    let reply;
    try {
      reply = await fetch(API + "/publish", { method: "POST", headers: headers(), body: JSON.stringify({ version: local.base_version }) });
    } catch (e) { offline(); return; }
    const answer = await reply.json();
    if (reply.status === 409) { showConflict(answer.error.server); return; }
    if (!reply.ok) { $("publish-result").textContent = answer.error.message; return; }
    localStorage.removeItem(KEY.draft);
    local = { content: local.content, metadata: local.metadata, base_version: null, dirty: false };
    const link = document.createElement("a");
    link.href = "/blog/" + encodeURIComponent(answer.post.slug);
    link.textContent = "Published: view the post";
    $("publish-result").replaceChildren(link);
    setStatus("saved", "Published");
  });

  if (localStorage.getItem(KEY.token)) start(); else askForToken();
})();
"""


def content_security_policy(nonce: str) -> str:
    return (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )


def editor_page(config: TenantConfig, slug: str, nonce: str) -> str:
    # JSON inside <script>: "<" escaped so no value can close the element.
    data = json.dumps({"slug": slug, "sync_delay_ms": SYNC_DELAY_MS}).replace("<", "\\u003c")
    main = _MAIN % {"slug": escape(slug), "config": data, "nonce": escape(nonce), "script": _SCRIPT}
    return document(
        config, title=f"Editing {slug}", description="Draft editor", main=main, head=_STYLE, main_class="editor"
    )
