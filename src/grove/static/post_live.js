// A post page's live parts (grove/routes/post_meta_api.py): the view beacon, the reactions
// bar, comments and "N reading now". The page itself is the same for every reader (and
// cached publicly); everything per reader is fetched here, after it, so without JavaScript
// the post still reads. Comment HTML comes from the server's markdown renderer (the posts'
// no-XSS rules); everything else a reader wrote is set as text.
(() => {
  "use strict";
  const root = document.getElementById("post-live");
  if (!root) return;
  const slug = root.dataset.slug;
  const API = "/api/posts/" + encodeURIComponent(slug);
  const TYPES = [["like", "👍", "Like"], ["love", "❤️", "Love"], ["insightful", "💡", "Insightful"], ["funny", "😄", "Funny"]];
  // Readers are signed in by the session cookie (sent by credentials below; a cookie write
  // passes the CSRF check as same-origin). It is HttpOnly; its non-secret hint cookie (set
  // beside it) says one exists. No token is kept in the page's storage.
  const signedIn = () => document.cookie.split("; ").indexOf("grove_signed_in=1") >= 0;
  const el = (tag, props, ...kids) => {
    const node = Object.assign(document.createElement(tag), props || {});
    kids.forEach((kid) => node.append(kid));
    return node;
  };
  const call = (method, path, body) => {
    const headers = { "content-type": "application/json" };
    return fetch(API + path, { method, headers, credentials: "same-origin", body: body && JSON.stringify(body) })
      .then((r) => r.json().then((data) => ({ ok: r.ok, status: r.status, data })));
  };
  const signIn = "/auth/sign-in?next=" + encodeURIComponent(location.pathname);

  // A view, however the page was served (CDN, browser cache or Worker): the page never waits.
  if (!(navigator.sendBeacon && navigator.sendBeacon(API + "/views"))) {
    fetch(API + "/views", { method: "POST", keepalive: true }).catch(() => {});
  }

  const reading = el("p", { className: "meta live-reading", hidden: true });
  const bar = el("div", { className: "reactions", role: "group", ariaLabel: "Reactions" });
  const buttons = {};
  let mine = new Set();
  TYPES.forEach(([type, icon, label]) => {
    const count = el("span", { className: "count", textContent: "0" });
    const button = el("button", { type: "button", title: label, ariaLabel: label }, icon + " ", count);
    button.dataset.type = type;
    button.addEventListener("click", () => toggle(type));
    buttons[type] = { button, count };
    bar.append(button);
  });
  const list = el("ol", { className: "comments" });
  const more = el("button", { type: "button", className: "more", textContent: "Older comments…", hidden: true });
  const status = el("p", { className: "meta", role: "status" });
  const heading = el("h2", { textContent: "Comments" });
  // "Follow on Meadow": Meadow follows people, so the button follows the post's author; its
  // state is the reader's own (a private API call); signed out, it is a link to sign in.
  const follow = el("p", { className: "follow" });
  const authorId = root.dataset.authorId;
  const followLabel = (on) => (on ? "Following " : "Follow ") + root.dataset.authorName + " on Meadow";
  if (authorId && !signedIn()) {
    follow.append(el("a", { href: signIn, textContent: followLabel(false) }));
  } else if (authorId) {
    const followUrl = "/api/meadow/follows/" + encodeURIComponent(authorId);
    const followButton = el("button", { type: "button", className: "follow-button", textContent: followLabel(false), hidden: true });
    const show = (on) => {
      followButton.setAttribute("aria-pressed", String(on));
      followButton.textContent = followLabel(on);
      followButton.hidden = false;
    };
    const send = (method) => fetch(followUrl, { method, credentials: "same-origin" })
      .then((r) => r.json().then((data) => ({ ok: r.ok, status: r.status, data })));
    send("GET").then(({ ok, data }) => { if (ok) show(data.following); }).catch(() => {});
    followButton.addEventListener("click", () => {
      const on = followButton.getAttribute("aria-pressed") === "true";
      followButton.disabled = true;
      send(on ? "DELETE" : "POST").then(({ ok, status: code, data }) => {
        followButton.disabled = false;
        if (ok) { show(data.following); status.textContent = ""; return; }
        // Following oneself is refused (422): the button just stays as it was.
        if (code !== 422) status.textContent = code === 429 ? "Too many follows just now; try again shortly." : "That did not work; try again.";
      }).catch(() => { followButton.disabled = false; status.textContent = "Offline: try again."; });
    });
    follow.append(followButton);
  }
  root.append(reading, bar, follow, heading, list, more, status);
  root.hidden = false;

  function showCounts(counts) {
    TYPES.forEach(([type]) => {
      buttons[type].count.textContent = String(counts[type] || 0);
      buttons[type].button.setAttribute("aria-pressed", String(mine.has(type)));
    });
  }
  function toggle(type) {
    if (!signedIn()) { location.href = signIn; return; }
    call("POST", "/reactions", { type }).then(({ ok, data }) => {
      if (!ok) { status.textContent = data.error ? data.error.message : "Not saved."; return; }
      if (data.added) mine.add(type); else mine.delete(type);
      showCounts(data.counts);
    });
  }

  // Comments: one <li> per comment, replies in a nested <ol> under their parent.
  const nodes = new Map();
  function render(comment) {
    let node = nodes.get(comment.id);
    if (!node) {
      node = el("li", { id: "comment-" + comment.id });
      node.append(el("p", { className: "meta" }), el("div", { className: "body" }), el("ol", { className: "replies" }));
      nodes.set(comment.id, node);
      const parent = comment.parent_id && nodes.get(comment.parent_id);
      (parent ? parent.querySelector(":scope > ol.replies") : list).append(node);
    }
    if (comment.mine) node.dataset.mine = "1";
    // The author's display name (the server adds it; a moderation broadcast carries only the
    // id, so a comment keeps the name it was shown with).
    if (comment.author_name) node.dataset.author = comment.author_name;
    const who = node.dataset.author || comment.author_id;
    const [meta, body] = node.children;
    meta.replaceChildren(who + " · " + new Date(comment.created_at_ms).toLocaleString());
    if (comment.state === "visible") body.innerHTML = comment.html;
    else body.replaceChildren(el("em", { textContent: comment.state === "deleted" ? "Deleted." : "Hidden by the author." }));
    if (comment.mine && comment.state === "visible") {
      const remove = el("button", { type: "button", className: "link", textContent: "Delete" });
      remove.addEventListener("click", () =>
        call("DELETE", "/comments/" + comment.id).then(({ ok, data }) => ok && render(data.comment)));
      meta.append(" · ", remove);
    }
    if (signedIn() && comment.state === "visible") {
      const reply = el("button", { type: "button", className: "link", textContent: "Reply" });
      reply.addEventListener("click", () => { form.dataset.parent = comment.id; text.focus(); status.textContent = "Replying to " + who; });
      meta.append(" · ", reply);
    }
  }
  let cursor = null;
  function loadComments() {
    call("GET", "/comments" + (cursor ? "?cursor=" + encodeURIComponent(cursor) : "")).then(({ ok, data }) => {
      if (!ok) return;
      data.comments.forEach(render);
      cursor = data.next_cursor;
      more.hidden = !cursor;
    });
  }
  more.addEventListener("click", loadComments);

  const text = el("textarea", { name: "markdown", rows: 4, required: true, maxLength: 10000, ariaLabel: "Your comment (markdown)" });
  const form = el("form", { className: "comment-form" }, text, el("button", { type: "submit", textContent: "Comment" }));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    call("POST", "/comments", { markdown: text.value, parent_id: form.dataset.parent || null }).then(({ ok, data }) => {
      if (!ok) { status.textContent = data.error ? data.error.message : "Not sent."; return; }
      render(data.comment);
      text.value = "";
      delete form.dataset.parent;
      status.textContent = "";
    });
  });
  root.append(signedIn() ? form : el("p", { className: "meta" }, el("a", { href: signIn, textContent: "Sign in to comment" })));

  call("GET", "/reactions").then(({ ok, data }) => {
    if (!ok) return;
    mine = new Set(data.mine);
    showCounts(data.counts);
  });
  loadComments();

  // Live: readers present, reactions and comments as they happen; reconnects with backoff.
  let delay = 1000;
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + API + "/live");
    ws.addEventListener("open", () => { delay = 1000; });
    ws.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "presence") {
        reading.textContent = message.reading + " reading now";
        reading.hidden = false;
      } else if (message.type === "reactions" || message.type === "hello") {
        showCounts(message.counts);
      } else if (message.type === "comment") {
        const known = nodes.get(message.comment.id);
        // Ours keeps its "mine" controls: the broadcast is the same for every reader.
        render(known && known.dataset.mine ? Object.assign(message.comment, { mine: true }) : message.comment);
      }
    });
    ws.addEventListener("close", () => { setTimeout(connect, delay); delay = Math.min(delay * 2, 60000); });
  }
  connect();
})();
