// The author's workspace (grove/pages/workspace.py): sign-out, the new-post form, settings and
// members, and the words for refusals that the editor (editor.js) shares. Every call uses the
// browser's own credentials (the session cookie; never a pasted token).
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);

  async function api(method, url, body, extra) {
    const init = Object.assign({ method, credentials: "same-origin", headers: { accept: "application/json" } }, extra || {});
    if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
    const reply = await fetch(url, init);
    let data = null;
    try { data = await reply.json(); } catch (e) { data = null; }
    return { status: reply.status, ok: reply.ok, data };
  }

  // What a refused field needs, in words (the server's 422 names the field; its message is
  // the validator's, which is not shown to people).
  const FIELDS = {
    title: "The title needs 1 to 200 characters.",
    "metadata.title": "The title may have at most 200 characters.",
    description: "The description may have at most 500 characters.",
    "metadata.description": "The description may have at most 500 characters.",
    tags: "Up to 20 tags, each at most 40 characters.",
    "metadata.tags": "Up to 20 tags, each at most 40 characters.",
    slug: "The slug may use lower-case letters, digits and single dashes (at most 80).",
    "metadata.slug": "The slug may use lower-case letters, digits and single dashes (at most 80).",
    markdown: "The text is too long.",
    content: "The text is too long.",
    display_name: "The blog name needs 1 to 100 characters.",
    "theme.tagline": "The tagline may have at most 200 characters.",
    "theme.accent": "The accent colour must be a hex colour such as #8a5a2b.",
  };
  function fieldKey(field) { return (field || "").replace(/\.\d+$/, ""); }

  // { text, signIn }: what to tell the author about a refused request.
  function explain(reply) {
    const error = (reply.data && reply.data.error) || {};
    switch (reply.status) {
      case 401:
        return { text: "You are signed out, or your session has ended. Sign in again: nothing typed here is lost.", signIn: true };
      case 403:
        return { text: error.code === "insufficient_role"
          ? "Your role on this blog does not allow this."
          : "You are signed in, but not as a writer of this blog.", signIn: true };
      case 409:
        return { text: error.code === "slug_taken" ? "Another post of this blog already has that slug." : "This changed meanwhile; reload to see the latest." };
      case 413: return { text: "Too large to save (over 1 MiB)." };
      case 422:
        return { text: FIELDS[fieldKey(error.field)] || "One of the fields is not valid: please check it." };
      case 429: {
        const wait = error.retry_after_s ? " Try again in " + error.retry_after_s + " s." : " Try again shortly.";
        return { text: "Too many requests." + wait };
      }
      case 503:
        return { text: "The server cannot take this right now; nothing typed here is lost. Trying again shortly.", retry: true };
      default:
        return { text: "Something went wrong (" + reply.status + "). Try again shortly." };
    }
  }

  function say(el, kind, message, signInUrl) {
    el.hidden = false;
    el.dataset.kind = kind;
    el.textContent = message;
    if (signInUrl) {
      const link = document.createElement("a");
      link.href = signInUrl; link.textContent = "Sign in";
      el.append(" ", link);
    }
  }
  // As the server writes it (grove.pages.workspace.sign_in_url): slashes kept.
  function signInUrl() { return "/auth/sign-in?next=" + encodeURIComponent(location.pathname).replace(/%2F/g, "/"); }

  window.groveWorkspace = { api, explain, say, signInUrl };

  // --- sign-out (every page) ---------------------------------------------------------------
  const signOut = $("sign-out");
  if (signOut) {
    signOut.addEventListener("click", async () => {
      signOut.disabled = true;
      try { await api("POST", "/api/auth/logout"); } catch (e) { /* offline: the session ends on its own */ }
      location.assign("/");
    });
  }

  // --- dashboard: a new post -----------------------------------------------------------------
  const newPost = $("new-post");
  if (newPost) {
    newPost.addEventListener("submit", (e) => {
      e.preventDefault();
      const slug = $("new-slug").value.trim();
      if (!$("new-slug").checkValidity()) { $("new-slug").reportValidity(); return; }
      location.assign("/admin/editor/" + encodeURIComponent(slug));
    });
  }

  // --- settings ------------------------------------------------------------------------------
  const settings = $("settings");
  if (settings) {
    const picker = $("accent"), text = $("accent-text"), result = $("settings-result");
    picker.addEventListener("input", () => { text.value = picker.value; });
    text.addEventListener("input", () => { if (/^#[0-9a-fA-F]{6}$/.test(text.value)) picker.value = text.value.toLowerCase(); });
    settings.addEventListener("submit", async (e) => {
      e.preventDefault();
      const tagline = $("tagline").value.trim();
      const body = { display_name: $("display-name").value.trim(), theme: { accent: text.value.trim(), tagline: tagline || null } };
      let reply;
      try { reply = await api("PUT", "/api/config", body); } catch (err) { say(result, "error", "Offline: not saved."); return; }
      if (reply.ok) { say(result, "ok", "Saved."); return; }
      const why = explain(reply);
      say(result, "error", why.text, why.signIn ? signInUrl() : null);
    });
  }

  // --- settings: members (GET /api/members) --------------------------------------------------
  const members = $("members");
  if (members) {
    (async () => {
      let reply;
      try { reply = await api("GET", "/api/members"); } catch (e) { reply = null; }
      const box = document.createElement("p");
      box.className = "notice";
      if (reply === null) { say(box, "error", "Members could not be loaded (offline)."); members.replaceChildren(box); members.dataset.state = "error"; return; }
      if (reply.status === 404 || reply.status === 405) {
        say(box, "info", "Member management is not available on this server yet.");
        members.replaceChildren(box); members.dataset.state = "unavailable"; return;
      }
      if (!reply.ok) {
        const why = explain(reply);
        say(box, "error", why.text, why.signIn ? signInUrl() : null);
        members.replaceChildren(box); members.dataset.state = "error"; return;
      }
      const list = document.createElement("ul");
      list.className = "member-list";
      for (const m of (reply.data && reply.data.members) || []) {
        const item = document.createElement("li");
        const who = m.display_name || m.email || m.user_id || "?";
        item.textContent = who + (m.email && m.display_name ? " <" + m.email + ">" : "") + " · " + (m.role || "");
        list.append(item);
      }
      members.replaceChildren(list);
      members.dataset.state = "loaded";
    })();
  }
})();
