"""Purging the zone CDN by cache tag through Cloudflare's API.

The zone CDN keeps pages for an hour (``CDN-Cache-Control``), beyond the reach of the Cache
API's per-data-centre delete, so a write also purges the tags of what it changed:
``POST {CF_API_BASE_URL}/zones/{CF_ZONE_ID}/purge_cache`` with ``{"tags": [...]}``.
Only when CF_ZONE_ID and CF_API_TOKEN are configured (never in local development).
"""

from __future__ import annotations

import json
import logging
from http import HTTPMethod

from grove.platform import fetch
from grove.settings import Settings

log = logging.getLogger("grove.purge")

# Cloudflare accepts up to 30 tags per purge request.
MAX_TAGS_PER_REQUEST = 30


async def purge_tags(settings: Settings, tags: list[str]) -> bool:
    """True when the API confirmed the purge; False when not configured or it failed.

    A failure is logged, not raised: the write has committed, and the zone copy expires
    within its CDN TTL anyway.
    """
    if not settings.purge_configured or not tags:
        return False
    url = f"{settings.cf_api_base_url}/zones/{settings.cf_zone_id}/purge_cache"
    ok = True
    for start in range(0, len(tags), MAX_TAGS_PER_REQUEST):
        batch = tags[start : start + MAX_TAGS_PER_REQUEST]
        try:
            reply = await fetch(
                url,
                # The SDK's fetch takes an HTTPMethod (its FetchKwargs); a bare "POST" only
                # works because Pyodide passes strings through unchecked.
                method=HTTPMethod.POST,
                headers={
                    "authorization": f"Bearer {settings.cf_api_token}",
                    "content-type": "application/json",
                },
                body=json.dumps({"tags": batch}),
            )
            body = await reply.text()
            confirmed = reply.status == 200 and json.loads(body or "{}").get("success") is True
        except Exception:
            log.exception("cache purge request for tags %s failed", batch)
            confirmed = False
        else:
            if not confirmed:
                log.error("cache purge for tags %s refused: %s %s", batch, reply.status, body[:500])
        ok = ok and confirmed
    return ok
