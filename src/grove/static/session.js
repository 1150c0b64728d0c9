// Per-user bits on public pages ("Signed in as …", an "Edit" link for the blog's writers).
// Pages are the same bytes for everyone (they are cached publicly); this script asks the
// private endpoint GET /api/me after load, and only when the non-secret hint cookie says a
// session exists, so anonymous readers send no extra request. The session cookie itself is
// HttpOnly and never visible here.
(function () {
  "use strict";
  var slot = document.getElementById("whoami");
  if (!slot || document.cookie.split("; ").indexOf("grove_signed_in=1") < 0) {
    return;
  }
  function link(href, text) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    return a;
  }
  fetch("/api/me", { credentials: "same-origin", headers: { accept: "application/json" } })
    .then(function (reply) {
      if (reply.status === 401) {
        document.cookie = "grove_signed_in=; Max-Age=0; Path=/; SameSite=Lax";
        return null;
      }
      return reply.ok ? reply.json() : null;
    })
    .then(function (me) {
      if (!me) {
        return;
      }
      // Other scripts of the page (post_live.js: moderation) learn who this is without a
      // second request.
      document.dispatchEvent(new CustomEvent("grove:me", { detail: me }));
      slot.textContent = "Signed in as " + me.user.display_name + " ";
      var post = /^\/blog\/([a-z0-9-]+)$/.exec(location.pathname);
      if (post && (me.role_here === "owner" || me.role_here === "author")) {
        slot.appendChild(link("/admin/editor/" + post[1], "Edit"));
        slot.appendChild(document.createTextNode(" "));
      }
      // Writers manage their name, blogs and tokens in the workspace; a reader's account is
      // their sign-in (and sign-out) page.
      // The workspace's own nav links its account page already.
      var writer = me.role_here === "owner" || me.role_here === "author";
      if (!/^\/admin(\/|$)/.test(location.pathname)) {
        slot.appendChild(link(writer ? "/admin/account" : "/auth/sign-in", "Account"));
      }
    })
    .catch(function () {
      // Offline or refused: the page works the same without these bits.
    });
})();
