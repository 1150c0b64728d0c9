"""Whether a client prefers an HTML page to JSON, from its ``Accept`` header (RFC 9110 §12.5.1).

Errors of page routes are HTML pages for browsers and the JSON error shape for everyone else:
API clients, curl (``*/*``) and clients that send no Accept at all get JSON.
"""

from __future__ import annotations

_HTML_TYPES = ("text/html", "application/xhtml+xml")


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip()[:5])
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def prefers_html(accept: str | None) -> bool:
    """True when the most preferred of HTML and JSON is HTML, named explicitly (a wildcard
    alone never picks HTML)."""
    if not accept:
        return False
    html_q = json_q = 0.0
    # A header longer than any browser sends is read only in part.
    for item in accept[:1024].split(","):
        media, *params = item.split(";")
        media = media.strip().lower()
        q = _quality(params)
        if media in _HTML_TYPES:
            html_q = max(html_q, q)
        elif media in ("application/json", "application/*"):
            json_q = max(json_q, q)
    return html_q > 0.0 and html_q > json_q
