"""Sending email: through an HTTP email API, or into the dev outbox.

With ``EMAIL_API_KEY`` set, a message is one ``POST {EMAIL_API_URL}`` in Resend's request
shape (``{"from", "to": [...], "subject", "text", "html"}`` with ``Authorization: Bearer``;
https://resend.com/docs/api-reference/emails/send-email) through the SDK's fetch. Without a
key outside production it goes to the D1 table ``dev_outbox`` instead (``grove dev`` prints
it and lists it at ``/__outbox``); production without a key is a configuration error.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from http import HTTPMethod

from grove.bindings import D1Database
from grove.errors import HttpError
from grove.ids import new_id
from grove.platform import fetch
from grove.settings import Settings

log = logging.getLogger("grove.mailer")

EMAIL_RETRY_AFTER_S = 30


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


def _unavailable() -> HttpError:
    return HttpError(
        503, "email_unavailable", "Email could not be sent just now; try again shortly.",
        headers={"retry-after": str(EMAIL_RETRY_AFTER_S)},
    )


async def send(db: D1Database, settings: Settings, email: Email, now_ms: int) -> None:
    """Deliver ``email``, or raise 503 ``email_unavailable`` (500 when not configured)."""
    if settings.email_api_key is None:
        if not settings.dev_outbox:
            log.error("EMAIL_API_KEY is not set in production: no mail can be sent")
            raise HttpError(500, "email_not_configured", "Email is not configured on this server.")
        await db.prepare(
            "INSERT INTO dev_outbox (id, to_email, subject, text_body, html_body, created_at_ms)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        ).bind(new_id(), email.to, email.subject, email.text, email.html, now_ms).run()
        return
    payload = {"from": settings.email_from, "to": [email.to], "subject": email.subject, "text": email.text, "html": email.html}
    try:
        reply = await fetch(
            settings.email_api_url,
            method=HTTPMethod.POST,
            headers={"authorization": f"Bearer {settings.email_api_key}", "content-type": "application/json"},
            body=json.dumps(payload),
        )
        status = reply.status
        detail = (await reply.text())[:300]
    except Exception:
        # The message holds a sign-in secret: log that sending failed, never what was sent.
        log.exception("email API request failed")
        raise _unavailable() from None
    if not 200 <= status < 300:
        log.error("email API refused a message: %s %s", status, detail)
        raise _unavailable()
