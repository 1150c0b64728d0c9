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
  // grove/engagement.py COMMENT_MAX_CHARS (the server counts code points: so does this page).
  const COMMENT_MAX_CHARS = 10000;
  // Readers are signed in by the session cookie (sent by credentials below; a cookie write
  // passes the CSRF check as same-origin). It is HttpOnly; its non-secret hint cookie (set
  // beside it) says one exists. No token is kept in the page's storage.
  const HINT = "grove_signed_in";
  const signedIn = () => document.cookie.split("; ").indexOf(HINT + "=1") >= 0;
  const el = (tag, props, ...kids) => {
    const node = Object.assign(document.createElement(tag), props || {});
    kids.forEach((kid) => node.append(kid));
    return node;
  };
  // Every call settles to {ok, status, data, retryAfter}: status 0 is "no answer" (offline,
  // blocked), and a body that is not JSON (a proxy's error page) is an empty one.
  const request = (url, method, body) => {
    const headers = body ? { "content-type": "application/json", accept: "application/json" } : { accept: "application/json" };
    return fetch(url, { method, headers, credentials: "same-origin", body: body && JSON.stringify(body) })
      .then((r) => r.json().catch(() => ({})).then((data) => ({ ok: r.ok, status: r.status, data, retryAfter: r.headers.get("retry-after") })))
      .catch(() => ({ ok: false, status: 0, data: {}, retryAfter: null }));
  };
  const call = (method, path, body) => request(API + path, method, body);
  const signIn = "/auth/sign-in?next=" + encodeURIComponent(location.pathname);
  // A refusal in words a reader acts on ("failed": what did not happen, e.g. "your reaction
  // was not saved"); the server's own message where it speaks to them.
  function problem(reply, failed) {
    const { status, data, retryAfter } = reply;
    if (status === 0) return [`Could not reach the site, so ${failed}. Check your connection and try again.`];
    if (status === 401) {
      // The session ended (expired or signed out elsewhere): the hint cookie is stale.
      document.cookie = HINT + "=; Max-Age=0; Path=/; SameSite=Lax";
      return [`You are signed out, so ${failed}. `, el("a", { href: signIn, textContent: "Sign in again" }), "."];
    }
    if (status === 429) {
      const wait = Number(retryAfter) > 0 ? `in ${retryAfter} s` : "in a minute";
      return [`That is a lot at once, so ${failed}. Try again ${wait}.`];
    }
    if (status === 404) return ["This post is no longer published."];
    if (status === 413) return ["That comment is too long to store; please shorten it."];
    const message = data && data.error && data.error.message;
    if (status < 500 && message) return [message];
    return [`Something went wrong on our side, so ${failed}. Try again in a moment.`];
  }
  const say = (line, parts) => line.replaceChildren(...parts);
  // A button busy sending ignores presses. Not `disabled`: that would drop the keyboard
  // focus to the page's start mid-action.
  function busy(button, on) {
    if (on === undefined) return button.getAttribute("aria-disabled") === "true";
    if (on) button.setAttribute("aria-disabled", "true"); else button.removeAttribute("aria-disabled");
    return on;
  }

  // A view, however the page was served (CDN, browser cache or Worker): the page never waits.
  if (!(navigator.sendBeacon && navigator.sendBeacon(API + "/views"))) {
    fetch(API + "/views", { method: "POST", keepalive: true }).catch(() => {});
  }

  // --- reactions ---------------------------------------------------------------------------
  const reading = el("p", { className: "meta live-reading", hidden: true });
  const bar = el("div", { className: "reactions", role: "group" });
  bar.setAttribute("aria-label", "Reactions");
  // Polite live regions: a screen reader hears the outcome of what the reader just did.
  const barStatus = el("p", { className: "meta live-status bar-status", role: "status" });
  const buttons = {};
  let mine = new Set();
  TYPES.forEach(([type, icon, label]) => {
    const count = el("span", { className: "count", textContent: "0" });
    // The accessible name is the label and the count ("Love 3"); the emoji is decoration.
    const glyph = el("span", { className: "icon", textContent: icon });
    glyph.setAttribute("aria-hidden", "true");
    const button = el("button", { type: "button", title: label }, glyph, el("span", { className: "visually-hidden", textContent: label + " " }), count);
    button.dataset.type = type;
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", () => toggle(type));
    buttons[type] = { button, count };
    bar.append(button);
  });
  function showCounts(counts) {
    TYPES.forEach(([type]) => {
      buttons[type].count.textContent = String(counts[type] || 0);
      buttons[type].button.setAttribute("aria-pressed", String(mine.has(type)));
    });
  }
  function toggle(type) {
    if (!signedIn()) {
      // Said beside the bar: leaving the page mid-read for a sign-in page is a surprise.
      say(barStatus, [el("a", { href: signIn, textContent: "Sign in" }), " to react."]);
      return;
    }
    const { button } = buttons[type];
    if (busy(button)) return;
    busy(button, true);
    call("POST", "/reactions", { type }).then((reply) => {
      busy(button, false);
      if (!reply.ok) { say(barStatus, problem(reply, "your reaction was not saved")); return; }
      say(barStatus, []);
      if (reply.data.added) mine.add(type); else mine.delete(type);
      showCounts(reply.data.counts);
    });
  }

  // --- Follow on Meadow ----------------------------------------------------------------------
  // Meadow follows people, so the button follows the post's author; its state is the reader's
  // own (a private API call); signed out, it is a link to sign in.
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
    request(followUrl, "GET").then(({ ok, data }) => { if (ok) show(data.following); });
    followButton.addEventListener("click", () => {
      const on = followButton.getAttribute("aria-pressed") === "true";
      if (busy(followButton)) return;
      busy(followButton, true);
      request(followUrl, on ? "DELETE" : "POST").then((reply) => {
        busy(followButton, false);
        if (reply.ok) { show(reply.data.following); say(barStatus, []); return; }
        // Following oneself is refused (422): the button just stays as it was.
        if (reply.status !== 422) say(barStatus, problem(reply, "the follow did not change"));
      });
    });
    follow.append(followButton);
  }

  // --- comments ------------------------------------------------------------------------------
  const heading = el("h2", { textContent: "Comments" });
  const empty = el("p", { className: "meta no-comments", textContent: "No comments yet.", hidden: true });
  const list = el("ol", { className: "comments" });
  const more = el("button", { type: "button", className: "more", textContent: "Show more comments", hidden: true });
  const listStatus = el("p", { className: "meta live-status", role: "status" });
  root.append(reading, bar, barStatus, follow, heading, empty, list, more, listStatus);
  root.hidden = false;

  // Times: "5 minutes ago" for the last week, a date after; the exact time on hover and in
  // the <time> element's datetime. Refreshed each minute.
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  const STEPS = [[60, "second"], [60, "minute"], [24, "hour"], [7, "day"]];
  function when(ms) {
    let amount = (ms - Date.now()) / 1000;
    for (const [size, unit] of STEPS) {
      if (Math.abs(amount) < size) return unit === "second" ? "just now" : relative.format(Math.round(amount), unit);
      amount /= size;
    }
    return new Date(ms).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
  }
  const stamp = (ms) => {
    const time = el("time", { dateTime: new Date(ms).toISOString(), title: new Date(ms).toLocaleString(), textContent: when(ms) });
    time.dataset.ms = String(ms);
    return time;
  };
  setInterval(() => list.querySelectorAll("time[data-ms]").forEach((t) => { t.textContent = when(Number(t.dataset.ms)); }), 60000);

  // One <li> per comment, replies in a nested <ol> under their parent, each list in the
  // order comments were written (pages and live arrivals can come in any order). A reply
  // whose parent is not shown yet waits for it.
  const nodes = new Map();
  const shown = new Map(); // id → the comment as last rendered
  const waiting = new Map();
  // The blog's owner and the post's author may hide comments. Who the reader is comes from
  // session.js (its one GET /api/me, announced as "grove:me"): no second request, and the
  // page's bytes stay the same for everyone.
  let moderator = false;
  document.addEventListener("grove:me", (event) => {
    const me = event.detail;
    moderator = me.role_here === "owner" || (me.role_here === "author" && me.user.id === authorId);
    if (moderator) shown.forEach(render);
  });
  const order = (comment) => String(comment.created_at_ms).padStart(16, "0") + "." + comment.id;
  function place(node, into) {
    const after = Array.from(into.children).find((sibling) => sibling.dataset.order > node.dataset.order);
    into.insertBefore(node, after || null);
  }
  function render(comment) {
    let node = nodes.get(comment.id);
    if (!node) {
      const parent = comment.parent_id ? nodes.get(comment.parent_id) : list;
      if (!parent) {
        waiting.set(comment.parent_id, (waiting.get(comment.parent_id) || []).concat([comment]));
        return;
      }
      node = el("li", { id: "comment-" + comment.id });
      node.dataset.order = order(comment);
      node.append(el("p", { className: "meta" }), el("div", { className: "body" }), el("ol", { className: "replies" }));
      nodes.set(comment.id, node);
      place(node, parent === list ? list : parent.querySelector(":scope > ol.replies"));
      empty.hidden = true;
    }
    shown.set(comment.id, comment);
    if (comment.mine) node.dataset.mine = "1";
    // The author's display name (the server adds it; a moderation broadcast carries only the
    // id, so a comment keeps the name it was shown with).
    if (comment.author_name) node.dataset.author = comment.author_name;
    const who = node.dataset.author || "A reader";
    const [meta, body] = node.children;
    node.dataset.state = comment.state;
    if (comment.state !== "visible") {
      // Gone comments keep their place (their replies still read) but not their words or name.
      meta.replaceChildren(stamp(comment.created_at_ms));
      body.replaceChildren(el("em", { textContent: comment.state === "deleted" ? "This comment was deleted." : "This comment was hidden by the blog." }));
    } else {
      meta.replaceChildren(el("span", { className: "author", textContent: who }), " · ", stamp(comment.created_at_ms));
      body.innerHTML = comment.html; // sanitised by the server's markdown renderer
      if (signedIn()) {
        const reply = el("button", { type: "button", className: "link", textContent: "Reply" });
        reply.addEventListener("click", () => replyTo(comment.id, who));
        meta.append(" · ", reply);
      }
      if (node.dataset.mine) meta.append(" · ", removeButton(comment.id));
      if (moderator) meta.append(" · ", hideButton(comment.id));
    }
    (waiting.get(comment.id) || []).forEach(render);
    waiting.delete(comment.id);
  }
  // Delete (one's own) and Hide (a moderator's): asked first, said after.
  function changeButton(label, question, method, path, failed, done) {
    const button = el("button", { type: "button", className: "link", textContent: label });
    button.addEventListener("click", () => {
      if (busy(button) || !window.confirm(question)) return;
      busy(button, true);
      call(method, path).then((reply) => {
        busy(button, false);
        if (!reply.ok) { say(listStatus, problem(reply, failed)); return; }
        say(listStatus, [done]);
        render(reply.data.comment);
      });
    });
    return button;
  }
  const removeButton = (id) => changeButton("Delete", "Delete your comment? This cannot be undone.", "DELETE",
    "/comments/" + encodeURIComponent(id), "your comment was not deleted", "Your comment was deleted.");
  const hideButton = (id) => changeButton("Hide", "Hide this comment from readers?", "POST",
    "/comments/" + encodeURIComponent(id) + "/hide", "the comment was not hidden", "The comment is hidden.");

  // Pages by cursor, oldest first; `pages` is how many are shown (a reconnect reloads as many).
  let cursor = null;
  let pages = 0;
  function loadPage(from) {
    return call("GET", "/comments" + (from ? "?cursor=" + encodeURIComponent(from) : "")).then((reply) => {
      if (!reply.ok) { say(listStatus, problem(reply, "the comments did not load")); return false; }
      reply.data.comments.forEach(render);
      empty.hidden = nodes.size > 0;
      cursor = reply.data.next_cursor;
      more.hidden = !cursor;
      return true;
    });
  }
  more.addEventListener("click", () => {
    if (busy(more)) return;
    busy(more, true);
    more.textContent = "Loading…";
    loadPage(cursor).then((ok) => {
      if (ok) pages += 1;
      busy(more, false);
      more.textContent = "Show more comments";
    });
  });
  function reload() {
    const shown = Math.max(pages, 1);
    let step = loadPage(null);
    for (let n = 1; n < shown; n += 1) step = step.then((ok) => ok && cursor && loadPage(cursor));
    return step;
  }

  // The form: signed out, a link to sign in that comes back here.
  const text = el("textarea", { id: "comment-text", name: "markdown", rows: 4 });
  const label = el("label", { htmlFor: "comment-text", textContent: "Add a comment" });
  const hint = el("span", { className: "meta hint", textContent: "Markdown works: *italic*, **bold**, [a link](https://…)." });
  const counter = el("span", { className: "meta counter", hidden: true });
  counter.setAttribute("aria-live", "polite");
  const send = el("button", { type: "submit", textContent: "Post comment" });
  const cancel = el("button", { type: "button", className: "link cancel", textContent: "Cancel reply", hidden: true });
  const replying = el("p", { className: "meta replying", hidden: true });
  const formStatus = el("p", { className: "meta live-status", role: "status" });
  const form = el("form", { className: "comment-form" }, replying, label, text, el("p", { className: "form-foot" }, hint, counter), el("p", { className: "actions" }, send, " ", cancel), formStatus);
  const home = el("div", { className: "comment-form-home" });
  const length = () => Array.from(text.value).length;
  function checkLength() {
    const n = length();
    const over = n - COMMENT_MAX_CHARS;
    // Shown near the limit only: a counter under every short comment is noise.
    counter.hidden = n < COMMENT_MAX_CHARS * 0.9;
    counter.textContent = over > 0 ? `${over.toLocaleString()} character${over === 1 ? "" : "s"} too long (the limit is ${COMMENT_MAX_CHARS.toLocaleString()})`
      : `${n.toLocaleString()} / ${COMMENT_MAX_CHARS.toLocaleString()} characters`;
    counter.classList.toggle("over", over > 0);
    text.setAttribute("aria-invalid", String(over > 0));
    return over <= 0;
  }
  text.addEventListener("input", checkLength);
  // Ctrl+Enter (⌘+Enter) posts, as in most comment boxes.
  text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); form.requestSubmit(); }
  });
  function replyTo(id, who) {
    form.dataset.parent = id;
    replying.textContent = "Replying to " + who;
    replying.hidden = cancel.hidden = false;
    label.textContent = "Your reply";
    nodes.get(id).querySelector(":scope > .body").after(form);
    text.focus();
  }
  function backHome() {
    delete form.dataset.parent;
    replying.hidden = cancel.hidden = true;
    label.textContent = "Add a comment";
    home.append(form);
  }
  cancel.addEventListener("click", () => { backHome(); say(formStatus, []); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy(send)) return;
    if (!text.value.trim()) { say(formStatus, ["Write something first."]); text.focus(); return; }
    if (!checkLength()) { say(formStatus, ["That comment is over the length limit; please shorten it."]); return; }
    busy(send, true);
    send.textContent = "Posting…";
    call("POST", "/comments", { markdown: text.value, parent_id: form.dataset.parent || null }).then((reply) => {
      busy(send, false);
      send.textContent = "Post comment";
      if (!reply.ok) { say(formStatus, problem(reply, "your comment was not posted")); return; }
      render(reply.data.comment);
      text.value = "";
      checkLength();
      backHome();
      say(formStatus, ["Your comment is posted."]);
      const posted = nodes.get(reply.data.comment.id);
      if (posted) posted.scrollIntoView({ block: "nearest" });
    });
  });
  if (signedIn()) home.append(form);
  else home.append(el("p", { className: "meta" }, el("a", { href: signIn, textContent: "Sign in to comment" })));
  root.append(home);

  function loadReactions() {
    return call("GET", "/reactions").then((reply) => {
      if (!reply.ok) return;
      mine = new Set(reply.data.mine);
      showCounts(reply.data.counts);
    });
  }
  loadReactions();
  loadPage(null).then((ok) => {
    if (!ok) return;
    pages = 1;
    // A link to one comment (#comment-…) lands on it once it is shown.
    const linked = location.hash.startsWith("#comment-") && document.getElementById(location.hash.slice(1));
    if (linked) linked.scrollIntoView();
  });

  // --- live: readers present, reactions and comments as they happen --------------------------
  // A dropped socket is retried after a random wait that doubles up to a minute (the jitter
  // spreads a whole audience's reconnects after a restart); the wait only resets once a socket
  // stayed up, so a server that accepts and drops at once is not hammered. A hidden tab lets
  // go of its socket (it is not reading) and catches up when shown again.
  const FIRST_WAIT_MS = 1000;
  const MAX_WAIT_MS = 60000;
  const STAYED_UP_MS = 10000;
  let wait = FIRST_WAIT_MS;
  let socket = null;
  let retry = null;
  let connectedOnce = false;
  const readingText = (n) => (n <= 1 ? "Just you reading now" : `${n} people reading now`);
  function connect() {
    retry = null;
    if (socket || document.hidden) return;
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + API + "/live");
    socket = ws;
    let openedAt = 0;
    ws.addEventListener("open", () => {
      openedAt = Date.now();
      // Back after a gap: what changed meanwhile (comments, moderation, one's own reactions).
      if (connectedOnce) { loadReactions(); reload(); }
      connectedOnce = true;
    });
    ws.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (_) { return; }
      if (message.type === "presence") {
        reading.textContent = readingText(message.reading);
        reading.hidden = false;
      } else if (message.type === "reactions" || message.type === "hello") {
        showCounts(message.counts);
      } else if (message.type === "comment") {
        // The broadcast is the same for every reader (mine: false); a comment already shown
        // (ours, from the POST's reply) is updated in place, never shown twice.
        render(message.comment);
      }
    });
    ws.addEventListener("close", () => {
      if (socket === ws) socket = null;
      reading.hidden = true; // a stale count would mislead
      if (openedAt && Date.now() - openedAt >= STAYED_UP_MS) wait = FIRST_WAIT_MS;
      if (document.hidden || retry) return;
      retry = setTimeout(connect, wait * (0.5 + Math.random() / 2));
      wait = Math.min(wait * 2, MAX_WAIT_MS);
    });
  }
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) {
      if (retry) { clearTimeout(retry); retry = null; }
      if (socket) socket.close(1000, "hidden");
    } else if (!socket && !retry) {
      connect();
    }
  });
  connect();
})();
