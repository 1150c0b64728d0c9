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

  // A list that loads from the API into `box` (data-state: loading, loaded, error), with the
  // refusal said in words.
  async function loadInto(box, url, render) {
    let reply;
    try { reply = await api("GET", url); } catch (e) { reply = null; }
    const note = document.createElement("p");
    note.className = "notice";
    if (reply === null || !reply.ok) {
      const why = reply === null ? { text: "Could not be loaded (offline)." } : explain(reply);
      say(note, "error", why.text, why.signIn ? signInUrl() : null);
      box.replaceChildren(note); box.dataset.state = "error"; return;
    }
    box.replaceChildren(render(reply.data));
    box.dataset.state = "loaded";
  }
  function item(text, button) {
    const li = document.createElement("li");
    const who = document.createElement("span");
    who.className = "who"; who.textContent = text;
    li.append(who);
    if (button) li.append(button);
    return li;
  }
  function linkButton(label, onClick) {
    const b = document.createElement("button");
    b.type = "button"; b.className = "link"; b.textContent = label;
    b.addEventListener("click", () => onClick(b));
    return b;
  }

  // --- settings: members (invite, list, remove; owners only) ---------------------------------
  const members = $("members");
  if (members) {
    const result = $("members-result");
    const report = (reply, ok) => {
      if (reply.ok) { say(result, "ok", ok); return; }
      const error = (reply.data && reply.data.error) || {};
      if (error.code === "last_owner") { say(result, "error", "The blog's last owner cannot be removed."); return; }
      if (reply.status === 422 && error.field === "email") { say(result, "error", "That is not an email address we can send to."); return; }
      const why = explain(reply);
      say(result, "error", why.text, why.signIn ? signInUrl() : null);
    };
    const load = () => loadInto(members, "/api/members", (data) => {
      const list = document.createElement("ul");
      list.className = "member-list";
      for (const m of data.members || []) {
        const remove = linkButton("Remove", async (b) => {
          if (!confirm("Remove " + (m.display_name || m.email) + " from this blog?")) return;
          b.disabled = true;
          const reply = await api("DELETE", "/api/members/" + encodeURIComponent(m.user_id));
          report(reply, "Removed " + (m.display_name || m.email) + ".");
          load();
        });
        list.append(item(m.display_name + " <" + m.email + "> · " + m.role, remove));
      }
      return list;
    });
    load();
    $("invite").addEventListener("submit", async (e) => {
      e.preventDefault();
      const email = $("invite-email").value.trim();
      if (!email) { say(result, "error", "Type the address to invite."); return; }
      let reply;
      try { reply = await api("POST", "/api/members/invites", { email, role: $("invite-role").value }); }
      catch (err) { say(result, "error", "Offline: not sent."); return; }
      report(reply, "Invitation sent to " + email + ".");
      if (reply.ok) $("invite-email").value = "";
    });
  }

  // --- account: display name -----------------------------------------------------------------
  const profile = $("profile");
  if (profile) {
    const result = $("profile-result");
    profile.addEventListener("submit", async (e) => {
      e.preventDefault();
      const name = $("user-display-name").value.trim();
      if (!name) { say(result, "error", "Your name needs 1 to 100 characters."); return; }
      let reply;
      try { reply = await api("PATCH", "/api/me", { display_name: name }); } catch (err) { say(result, "error", "Offline: not saved."); return; }
      if (reply.ok) { say(result, "ok", "Saved."); return; }
      const why = reply.status === 422 ? { text: "Your name needs 1 to 100 characters." } : explain(reply);
      say(result, "error", why.text, why.signIn ? signInUrl() : null);
    });
  }

  // --- account: personal API tokens ----------------------------------------------------------
  const tokens = $("tokens");
  if (tokens) {
    const created = $("token-created");
    const load = () => loadInto(tokens, "/api/tokens", (data) => {
      if (!(data.tokens || []).length) {
        const none = document.createElement("p");
        none.className = "meta"; none.textContent = "No tokens yet.";
        return none;
      }
      const list = document.createElement("ul");
      list.className = "member-list";
      for (const t of data.tokens) {
        const label = (t.label || "(no label)") + " · " + t.role + " · until " + new Date(t.expires_at_ms).toLocaleDateString();
        if (t.revoked_at_ms) { list.append(item(label + " · revoked")); continue; }
        list.append(item(label, linkButton("Revoke", async (b) => {
          b.disabled = true;
          const reply = await api("DELETE", "/api/tokens/" + encodeURIComponent(t.id));
          if (!reply.ok) { const why = explain(reply); say(created, "error", why.text, why.signIn ? signInUrl() : null); }
          load();
        })));
      }
      return list;
    });
    load();
    $("new-token").addEventListener("submit", async (e) => {
      e.preventDefault();
      let reply;
      try { reply = await api("POST", "/api/tokens", { label: $("token-label").value.trim(), role: $("token-role").value }); }
      catch (err) { say(created, "error", "Offline: no token made."); return; }
      if (!reply.ok) { const why = explain(reply); say(created, "error", why.text, why.signIn ? signInUrl() : null); return; }
      say(created, "ok", "Your new token (copy it now: it is not shown again):");
      const code = document.createElement("code");
      code.id = "token-value"; code.textContent = reply.data.token;
      created.append(code);
      $("token-label").value = "";
      load();
    });
  }
})();
