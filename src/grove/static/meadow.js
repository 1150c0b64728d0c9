// The Meadow page (grove/pages/meadow.py): the signed-in person's feed and Trending, fetched
// after load from the Meadow API (grove/routes/meadow_api.py). The page itself is the same for
// everyone; everything here that an author wrote is put in the page as text, never as markup.
(() => {
  "use strict";
  const cfg = JSON.parse(document.getElementById("meadow-config").textContent);
  const $ = (id) => document.getElementById(id);
  const ICONS = { like: ["👍", "Like"], love: ["❤️", "Love"], insightful: ["💡", "Insightful"], funny: ["😄", "Funny"] };
  // The session cookie is HttpOnly; its non-secret hint cookie says one exists.
  const hinted = document.cookie.split("; ").indexOf("grove_signed_in=1") >= 0;
  // Blogs live at {tenant}.{root}; this page at meadow.{root}.
  const root = location.host.replace(/^meadow\./, "");

  let sort = "recent";
  let cursor = null; // the next page's cursor; null when the feed is exhausted
  let loading = false;
  let newest = null; // [published_at_ms, post_id] of the newest item shown (Recent)
  let trendingLoaded = false;

  function el(tag, props, ...kids) {
    const node = Object.assign(document.createElement(tag), props || {});
    kids.forEach((kid) => node.append(kid));
    return node;
  }
  async function api(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { accept: "application/json" } };
    if (body !== undefined) { init.headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
    const reply = await fetch(url, init);
    let data = null;
    try { data = await reply.json(); } catch (e) { data = null; }
    return { ok: reply.ok, status: reply.status, data };
  }
  function when(ms) {
    return new Date(ms).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  }
  function postUrl(tenant, slug) { return location.protocol + "//" + tenant + "." + root + "/blog/" + encodeURIComponent(slug); }

  // One shape for a feed item and a trending item.
  function fromFeed(item) {
    return { id: item.post_id, tenant: item.tenant, slug: item.slug, title: item.preview.title, description: item.preview.description,
      author: item.preview.author_name, tags: item.preview.tags, published: item.published_at_ms, reactions: item.reactions,
      comments: item.comments };
  }
  function fromTrending(item) {
    return { id: item.post_id, tenant: item.tenant, slug: item.slug, title: item.title, description: item.description,
      author: item.author_name, tags: item.tags, published: item.published_at_ms, reactions: null, reactionTotal: item.reactions,
      comments: item.comments };
  }

  function reactionBar(post) {
    const bar = el("div", { className: "reactions", role: "group", ariaLabel: "Reactions" });
    cfg.reactions.forEach((type) => {
      const [icon, label] = ICONS[type] || ["+", type];
      const count = el("span", { className: "count", textContent: String((post.reactions && post.reactions[type]) || 0) });
      const button = el("button", { type: "button", title: label, ariaLabel: label }, icon + " ", count);
      button.dataset.type = type;
      button.setAttribute("aria-pressed", "false");
      button.addEventListener("click", async () => {
        if (!hinted) { location.href = $("sign-in").href; return; }
        button.disabled = true;
        const reply = await api("POST", "/api/meadow/reactions/" + encodeURIComponent(post.id), { type }).catch(() => null);
        button.disabled = false;
        if (!reply || !reply.ok) { status("feed-status", reply && reply.status === 429 ? "Too many reactions just now; try again shortly." : "The reaction was not saved."); return; }
        button.setAttribute("aria-pressed", String(reply.data.added));
        for (const other of bar.querySelectorAll("button")) {
          other.querySelector(".count").textContent = String(reply.data.counts[other.dataset.type] || 0);
        }
      });
      bar.append(button);
    });
    return bar;
  }

  function card(post) {
    const link = el("a", { href: postUrl(post.tenant, post.slug), textContent: post.title });
    const byline = el("p", { className: "meta" }, el("span", { className: "author", textContent: post.author }),
      " · " + post.tenant + " · " + when(post.published));
    const kids = [el("h2", {}, link), byline];
    if (post.description) kids.push(el("p", { className: "description", textContent: post.description }));
    if (post.tags && post.tags.length) {
      kids.push(el("ul", { className: "tags" }, ...post.tags.map((tag) => el("li", {}, el("a", {
        href: location.protocol + "//" + post.tenant + "." + root + "/tags/" + encodeURIComponent(tag), textContent: tag })))));
    }
    if (post.reactions) {
      kids.push(reactionBar(post));
    } else {
      const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
      kids.push(el("p", { className: "meta" }, plural(post.reactionTotal, "reaction") + " · " + plural(post.comments, "comment") + " this week"));
    }
    const item = el("li", { className: "card" }, ...kids);
    item.dataset.postId = post.id;
    return item;
  }

  function status(id, text) { $(id).textContent = text || ""; }

  // --- the feed --------------------------------------------------------------------------
  async function loadPage(reset) {
    if (loading || (!reset && cursor === null)) return;
    loading = true;
    const params = new URLSearchParams({ sort, limit: "20" });
    if (!reset && cursor) params.set("cursor", cursor);
    let reply;
    try { reply = await api("GET", "/api/meadow/feed?" + params); } catch (e) { reply = null; }
    loading = false;
    if (reply === null) { status("feed-status", "Offline: the feed could not be loaded."); return; }
    if (reply.status === 401) { signedOut(); return; }
    if (reply.status === 410) { cursor = null; await loadPage(true); return; } // snapshot expired: from the top
    if (!reply.ok) { status("feed-status", "The feed could not be loaded just now; try again shortly."); return; }
    const items = reply.data.items;
    if (reset) {
      $("feed").replaceChildren();
      $("new-posts").hidden = true;
      newest = sort === "recent" && items.length ? [items[0].published_at_ms, items[0].post_id] : newest;
    }
    $("feed").append(...items.map((item) => card(fromFeed(item))));
    cursor = reply.data.next_cursor;
    if (!$("feed").children.length) {
      status("feed-status", "Nothing here yet: follow writers from their blogs (\"Follow on Meadow\"), or look at Trending.");
    } else {
      status("feed-status", cursor ? "" : "You are all caught up.");
    }
  }

  function isNewer(item) {
    return item.published_at_ms > newest[0] || (item.published_at_ms === newest[0] && item.post_id > newest[1]);
  }
  async function checkNew() {
    // Recent only: its newest item is the mark (For you orders by score, not by time).
    if (document.visibilityState !== "visible" || $("panel-feed").hidden || sort !== "recent" || newest === null) return;
    const reply = await api("GET", "/api/meadow/feed?sort=recent&limit=20").catch(() => null);
    if (!reply || !reply.ok) return;
    const count = reply.data.items.filter(isNewer).length;
    if (count > 0) {
      $("new-posts").textContent = count + (count === 20 ? "+" : "") + " new post" + (count === 1 ? "" : "s");
      $("new-posts").hidden = false;
    }
  }

  function setSort(next) {
    sort = next;
    $("sort-recent").setAttribute("aria-pressed", String(sort === "recent"));
    $("sort-relevance").setAttribute("aria-pressed", String(sort === "relevance"));
    cursor = null;
    loadPage(true);
  }

  function signedOut() {
    $("signed-out").hidden = false;
    $("feed-controls").hidden = true;
    $("feed").replaceChildren();
    status("feed-status", "");
  }

  // --- trending and tabs -----------------------------------------------------------------
  async function loadTrending() {
    trendingLoaded = true;
    const reply = await api("GET", "/api/meadow/trending").catch(() => null);
    if (!reply || !reply.ok) { trendingLoaded = false; status("trending-status", "Trending could not be loaded just now."); return; }
    $("trending").replaceChildren(...reply.data.items.map((item) => card(fromTrending(item))));
    status("trending-status", reply.data.items.length ? "" : "Nothing is trending yet.");
  }

  function showTab(name) {
    const feed = name === "feed";
    $("tab-feed").setAttribute("aria-selected", String(feed));
    $("tab-trending").setAttribute("aria-selected", String(!feed));
    $("tab-feed").tabIndex = feed ? 0 : -1;
    $("tab-trending").tabIndex = feed ? -1 : 0;
    $("panel-feed").hidden = !feed;
    $("panel-trending").hidden = feed;
    if (!feed && !trendingLoaded) loadTrending();
  }
  $("tab-feed").addEventListener("click", () => showTab("feed"));
  $("tab-trending").addEventListener("click", () => showTab("trending"));
  // Arrow keys move between the tabs (the WAI-ARIA tabs pattern).
  document.querySelector("[role=tablist]").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    const next = $("tab-feed").getAttribute("aria-selected") === "true" ? "trending" : "feed";
    showTab(next);
    $("tab-" + next).focus();
  });
  $("sort-recent").addEventListener("click", () => setSort("recent"));
  $("sort-relevance").addEventListener("click", () => setSort("relevance"));
  $("new-posts").addEventListener("click", () => { sort = "recent"; setSort("recent"); window.scrollTo(0, 0); });

  if (!hinted) {
    signedOut();
    showTab("trending");
    return;
  }
  $("feed-controls").hidden = false;
  loadPage(true);
  // Infinite scroll: the next page when the end of the list comes into view.
  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting) && $("feed").children.length) loadPage(false);
  }, { rootMargin: "400px" }).observe($("feed-more"));
  setInterval(checkNew, cfg.poll_ms);
})();
