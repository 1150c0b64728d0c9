"""The Meadow page (``meadow.{ROOT_DOMAIN}/``): the shell of the signed-in person's feed and of
Trending, the same bytes for everyone (so publicly cacheable, like the blogs' pages).

Everything per person is fetched after load by ``grove/static/meadow.js`` from the private
Meadow API (``grove.routes.meadow_api``): the feed (Recent / For you, infinite scroll on the
cursor, "N new posts" announced without a reload), inline reactions, and Trending, which is
public. Signed-out visitors get a sign-in prompt and Trending. Styles: ``meadow.css``.
"""

from __future__ import annotations

import json

from grove.engagement import REACTION_TYPES
from grove.models import TenantConfig, Theme
from grove.pages import assets
from grove.pages.layout import document

# The header and colours of a page that belongs to no blog.
MEADOW_CONFIG = TenantConfig(subdomain="meadow", display_name="Meadow", theme=Theme(accent="#3f7d4e"), updated_at_ms=0)
# How often the page asks whether newer posts arrived (one FeedDO read, no D1 query).
NEW_POSTS_POLL_MS = 60_000

_MAIN = """
<div id="signed-out" class="prompt" hidden>
    <p>Meadow is the feed of the writers you follow, across every Grove blog.</p>
    <p><a class="button" id="sign-in" href="/auth/sign-in?next=/">Sign in</a> to see yours, or look at what is trending.</p>
</div>
<div class="tabs" role="tablist" aria-label="Meadow">
  <button type="button" role="tab" id="tab-feed" aria-controls="panel-feed" aria-selected="true">Following</button>
  <button type="button" role="tab" id="tab-trending" aria-controls="panel-trending" aria-selected="false" tabindex="-1">Trending</button>
</div>
<section id="panel-feed" role="tabpanel" aria-labelledby="tab-feed">
  <div id="feed-controls" class="controls" role="group" aria-label="Order of the feed" hidden>
    <button type="button" id="sort-recent" class="toggle" aria-pressed="true">Recent</button>
    <button type="button" id="sort-relevance" class="toggle" aria-pressed="false">For you</button>
  </div>
  <button type="button" id="new-posts" class="new-posts" hidden></button>
  <ol id="feed" class="feed"></ol>
  <p id="feed-status" class="meta" role="status"></p>
  <div id="feed-more" class="sentinel"></div>
</section>
<section id="panel-trending" role="tabpanel" aria-labelledby="tab-trending" hidden>
  <ol id="trending" class="feed"></ol>
  <p id="trending-status" class="meta" role="status"></p>
</section>
"""


def meadow_page() -> str:
    config = json.dumps({"reactions": list(REACTION_TYPES), "poll_ms": NEW_POSTS_POLL_MS}).replace("<", "\\u003c")
    head = (
        f'<link rel="stylesheet" href="{assets.ASSETS.url("meadow.css")}">'
        f'<script src="{assets.ASSETS.url("meadow.js")}" defer></script>'
    )
    main = f'{_MAIN}<script type="application/json" id="meadow-config">{config}</script>\n'
    return document(
        MEADOW_CONFIG, title="Meadow", description="The feed of the writers you follow, across every Grove blog.",
        main=main, head=head, nav='<a href="/">Feed</a>',
    )
