// The draft editor (grove/pages/editor.py, whose docstring describes what it does): local copy,
// debounced saves, conflicts, publish. Loaded at its content-hashed URL with the page's CSP nonce,
// after workspace.js (its api/explain/say helpers). Calls carry the browser's own credentials.
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("editor-config").textContent);
  const ws = window.groveWorkspace;
  const API = "/api/drafts/" + encodeURIComponent(cfg.slug);
  const KEY = { device: "grove:device", draft: "grove:draft:" + cfg.slug };
  const $ = (id) => document.getElementById(id);
  const fields = { content: $("content"), title: $("title"), description: $("description"), tags: $("tags"), slug: $("slug") };
  const LABELS = { saved: "Saved", saving: "Saving…", unsaved: "Unsaved changes",
    offline: "Offline: kept on this device", conflict: "Conflict", signin: "Signed out", error: "Not saved" };

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
  const JSON_HEADERS = { "content-type": "application/json" };
  function call(url, init) { return fetch(url, Object.assign({ credentials: "same-origin" }, init)); }
  function sameMeta(a, b) {
    return (a.title || "") === (b.title || "") && (a.description || "") === (b.description || "")
      && JSON.stringify(a.tags || []) === JSON.stringify(b.tags || []) && (a.slug || "") === (b.slug || "");
  }
  function sameText(a, b) { return a.content === b.content && sameMeta(a.metadata, b.metadata); }
  function metaFromFields() {
    const meta = { title: fields.title.value.trim(), description: fields.description.value.trim(),
      tags: fields.tags.value.split(",").map((t) => t.trim()).filter(Boolean) };
    if (!$("slug-field").hidden) meta.slug = fields.slug.value.trim();
    return meta;
  }
  function show(content, meta) {
    fields.content.value = content;
    fields.title.value = meta.title || "";
    fields.description.value = meta.description || "";
    fields.tags.value = (meta.tags || []).join(", ");
    // The draft of an existing post carries its slug (changing it renames the post on publish).
    $("slug-field").hidden = meta.slug === undefined;
    fields.slug.value = meta.slug || "";
    renderPreview();
  }
  function notice(kind, text, signIn) {
    if (!text) { $("notice").hidden = true; return; }
    ws.say($("notice"), kind, text, signIn ? cfg.sign_in : null);
  }
  async function readJson(reply) { try { return await reply.json(); } catch (e) { return null; } }
  // A refused request, said in words: the local copy stays either way.
  async function refused(reply, retry) {
    const why = ws.explain({ status: reply.status, data: await readJson(reply) });
    notice("error", why.text, why.signIn);
    if (reply.status === 401 || reply.status === 403) { setStatus("signin"); return; }
    if (why.retry && retry) {
      // The server asked to be tried again (Retry-After, seconds): the text waits on this device.
      const seconds = Number(reply.headers.get("retry-after")) || 5;
      setStatus("offline", "Not saved yet: kept on this device");
      clearTimeout(timer);
      timer = setTimeout(retry, Math.min(Math.max(seconds, 1), 60) * 1000);
      return;
    }
    setStatus("error");
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
      reply = await call(API, { method: "PUT", headers: JSON_HEADERS, body: body(), keepalive });
    } catch (e) { reply = null; }
    inFlight = false;
    if (reply === null) { offline(); return; }
    if (reply.ok) {
      const saved = await reply.json();
      local.base_version = saved.version;
      if (sameText(local, sent)) local.dirty = false;
      writeLocal();
      notice();
      if (!local.dirty) setStatus("saved");
    } else if (reply.status === 409) {
      const server = (await reply.json()).error.server;
      if (ownLostSave(server)) rebase(server); else showConflict(server);
      return;
    } else {
      await refused(reply, sync);
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
    try { reply = await call(API, { cache: "no-store" }); } catch (e) { offline(); return; }
    if (reply.status !== 404 && !reply.ok) { await refused(reply, load); return; }
    notice();
    reconcile(reply.status === 404 ? null : await reply.json());
  }
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
      reply = await call(API + "/publish", { method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ version: local.base_version }) });
    } catch (e) { offline(); return; }
    if (reply.status === 409) {
      const answer = await readJson(reply);
      if (answer && answer.error.code === "draft_conflict") { showConflict(answer.error.server); return; }
      notice("error", ws.explain({ status: 409, data: answer }).text);
      return;
    }
    if (!reply.ok) { await refused(reply); return; }
    const answer = await reply.json();
    localStorage.removeItem(KEY.draft);
    notice();
    const slug = answer.post.slug;
    const view = document.createElement("a");
    view.href = "/blog/" + encodeURIComponent(slug);
    view.textContent = "Published: view the post";
    $("publish-result").replaceChildren(view);
    if (slug !== cfg.slug) {
      // Renamed: the post (and its draft) now live under the new slug.
      const next = document.createElement("a");
      next.href = "/admin/editor/" + encodeURIComponent(slug);
      next.textContent = "Keep editing at " + slug;
      $("publish-result").append(" · ", next);
      local = null;
      setStatus("saved", "Published");
      return;
    }
    // The post's next draft starts from what was just published.
    local = null;
    await load();
    setStatus("saved", "Published");
    refreshHistory();
  });

  // --- history: the post's versions, a diff against the current text, restore ------------
  const VERSIONS = "/api/posts/" + encodeURIComponent(cfg.slug) + "/versions";
  const TIME = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone: "UTC" });
  let olderCursor = null, chosen = null;

  // UTC, as the dashboard shows times (grove.pages.workspace.format_time): the same for everyone.
  function when(ms) { return TIME.format(new Date(ms)) + " UTC"; }
  function size(bytes) { return bytes < 1000 ? bytes + " B" : (bytes / 1000).toFixed(bytes < 10000 ? 1 : 0) + " kB"; }
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function historyNote(kind, text) {
    if (!text) { $("history-note").hidden = true; return; }
    ws.say($("history-note"), kind, text);
  }
  function historyRefused(reply) {
    const why = ws.explain(reply);
    ws.say($("history-note"), "error", why.text, why.signIn ? cfg.sign_in : null);
  }

  function versionItem(v) {
    const button = el("button", "version");
    button.type = "button";
    button.dataset.version = String(v.version);
    button.setAttribute("aria-pressed", String(v.version === chosen));
    button.append(el("strong", "", "Version " + v.version));
    if (v.current) button.append(" ", el("span", "badge status-published", "current"));
    button.append(el("span", "meta", when(v.created_at_ms) + " · " + (v.author_name || "unknown author") + " · " + size(v.markdown_bytes)));
    button.addEventListener("click", () => choose(v.version));
    const li = el("li");
    li.append(button);
    return li;
  }

  async function loadVersions(more) {
    const url = VERSIONS + (more && olderCursor ? "?cursor=" + encodeURIComponent(olderCursor) : "");
    let reply;
    try { reply = await ws.api("GET", url); } catch (e) { historyNote("error", "The history could not be loaded (offline)."); return; }
    if (reply.status === 404) {
      // No post under this slug yet: versions start with its first publish.
      $("versions").replaceChildren();
      historyNote("info", "No history yet: the post's versions start when it is first published.");
      $("history").dataset.state = "empty";
      return;
    }
    if (!reply.ok) { historyRefused(reply); $("history").dataset.state = "error"; return; }
    if (!more) { $("versions").replaceChildren(); historyNote(); }
    for (const v of reply.data.versions) $("versions").append(versionItem(v));
    olderCursor = reply.data.older_cursor;
    $("older-versions").hidden = !olderCursor;
    $("history").dataset.state = "loaded";
  }

  function diffLine(line) {
    if (line.op === "gap") {
      const n = Number(line.text);
      return el("div", "diff-gap", "⋯ " + n + " unchanged line" + (n === 1 ? "" : "s"));
    }
    const row = el("div", "diff-line");
    row.dataset.op = line.op;
    // The sign is part of the text, so it is read out and survives copying; the line itself
    // is set as text: whatever the markdown holds is never markup here.
    row.append(el("span", "sign", { removed: "−", added: "+", same: " " }[line.op]), el("span", "text", line.text || " "));
    return row;
  }

  async function choose(version) {
    chosen = version;
    for (const b of $("versions").querySelectorAll("button.version")) b.setAttribute("aria-pressed", String(Number(b.dataset.version) === version));
    let reply;
    try { reply = await ws.api("GET", VERSIONS + "/" + version); } catch (e) { historyNote("error", "That version could not be loaded (offline)."); return; }
    if (!reply.ok) { historyRefused(reply); return; }
    if (chosen !== version) return;  // another version was chosen meanwhile
    historyNote();
    const current = reply.data.current_version, diff = reply.data.diff;
    $("version-hint").hidden = true;
    $("version-detail").hidden = false;
    $("version-title").textContent = version === current
      ? "Version " + version + " is the current text"
      : "Version " + version + " compared with the current text (version " + current + ")";
    const lines = diff.map(diffLine);
    if (!lines.length) lines.push(el("p", "meta", version === current ? "Nothing to compare." : "The same text as the current version."));
    $("diff").replaceChildren(...lines);
    $("restore").hidden = version === current;
    $("restore").dataset.version = String(version);
  }

  async function restore() {
    const version = Number($("restore").dataset.version);
    if (!version) return;
    if (inFlight) { historyNote("info", "A save is under way: try again in a moment."); return; }
    const ask = "Restore version " + version + "? Its text becomes the post's current text, as a new version"
      + " (readers see it at once if the post is published). The draft starts again from it:"
      + " changes in this draft that are not published are replaced.";
    if (!confirm(ask)) return;
    clearTimeout(timer);
    $("restore").disabled = true;
    let reply;
    try { reply = await ws.api("POST", VERSIONS + "/" + version + "/restore"); }
    catch (e) { $("restore").disabled = false; historyNote("error", "Offline: nothing was restored."); return; }
    $("restore").disabled = false;
    if (!reply.ok) { historyRefused(reply); return; }
    // The draft this device held was made from the text before the restore: remove that
    // version only (a newer save from another device stays, and is shown), then open the
    // draft again, which starts from the restored post.
    let kept = false;
    if (local && local.base_version !== null) {
      try {
        const removed = await call(API + "?version=" + local.base_version, { method: "DELETE" });
        kept = removed.status === 409;
      } catch (e) { kept = false; }
    }
    localStorage.removeItem(KEY.draft);
    local = null;
    $("publish-result").replaceChildren();
    await load();
    chosen = null;
    $("version-detail").hidden = true;
    $("version-hint").hidden = false;
    await loadVersions(false);
    historyNote(kept ? "info" : "ok", "Version " + version + " restored as version " + reply.data.version + "."
      + (kept ? " Another device saved this draft meanwhile: its text is shown, and publishing it would replace the restored text." : ""));
  }

  function refreshHistory() { if ($("history").open) loadVersions(false); }
  $("history").addEventListener("toggle", () => { if ($("history").open) loadVersions(false); });
  $("older-versions").addEventListener("click", () => loadVersions(true));
  $("restore").addEventListener("click", restore);

  load();
})();
