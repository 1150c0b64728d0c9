"""The Worker's vars and secrets, read once per request into one typed value.

Everything the app reads from ``env`` that is not a binding lives here, so a missing or
misspelt setting fails in one place with a clear message.
"""

from __future__ import annotations

from dataclasses import dataclass

# Cloudflare's API; a test points CF_API_BASE_URL at a local stand-in instead.
DEFAULT_CF_API_BASE_URL = "https://api.cloudflare.com/client/v4"
# Resend's send endpoint (https://resend.com/docs/api-reference/emails/send-email); any API
# that takes the same request shape works (EMAIL_API_URL).
DEFAULT_EMAIL_API_URL = "https://api.resend.com/emails"
DEFAULT_EMAIL_FROM = "Grove <sign-in@grove.place>"


@dataclass(frozen=True)
class Settings:
    root_domain: str
    jwt_secret: str | None
    # CACHE_MODE = "off" is the roadmap's rollback switch (and the benchmark's baseline):
    # no edge cache, no KV, tenant config straight from D1. CACHE_MODE = "edge" keeps the edge
    # cache and the TenantDO's config but no KV copies of posts and lists: the benchmark's
    # "without KV" run (``bench/blog_cache.py``), and a switch should KV misbehave.
    cache_enabled: bool
    kv_enabled: bool
    cf_zone_id: str | None
    cf_api_token: str | None
    cf_api_base_url: str
    # ENVIRONMENT var: "production" in wrangler.toml, "dev" locally.
    environment: str
    email_api_url: str
    email_api_key: str | None
    email_from: str

    @property
    def dev_outbox(self) -> bool:
        """Mail goes to the D1 dev outbox: no email API key, outside production."""
        return self.email_api_key is None and self.environment != "production"
    # How readers reach a blog: ``{scheme}://{tenant}.{root_domain}[:{port}]``, for the
    # absolute URLs of feeds, sitemaps and share previews (https and no port in production).
    public_scheme: str = "https"
    public_port: str | None = None

    def site_origin(self, tenant: str) -> str:
        port = f":{self.public_port}" if self.public_port else ""
        return f"{self.public_scheme}://{tenant}.{self.root_domain}{port}"

    @property
    def purge_configured(self) -> bool:
        return bool(self.cf_zone_id and self.cf_api_token)


def _text(env: object, name: str) -> str | None:
    # Vars and secrets are plain attributes of ``env`` (absent when not set), not bindings.
    value: object = getattr(env, name, None)
    return value if isinstance(value, str) and value else None


def settings_from(env: object) -> Settings:
    cache_mode = (_text(env, "CACHE_MODE") or "on").lower()
    return Settings(
        root_domain=(_text(env, "ROOT_DOMAIN") or "localhost").lower(),
        jwt_secret=_text(env, "JWT_SECRET"),
        cache_enabled=cache_mode != "off",
        kv_enabled=cache_mode not in ("off", "edge"),
        cf_zone_id=_text(env, "CF_ZONE_ID"),
        cf_api_token=_text(env, "CF_API_TOKEN"),
        cf_api_base_url=(_text(env, "CF_API_BASE_URL") or DEFAULT_CF_API_BASE_URL).rstrip("/"),
        environment=(_text(env, "ENVIRONMENT") or "production").lower(),
        email_api_url=_text(env, "EMAIL_API_URL") or DEFAULT_EMAIL_API_URL,
        email_api_key=_text(env, "EMAIL_API_KEY"),
        email_from=_text(env, "EMAIL_FROM") or DEFAULT_EMAIL_FROM,
        public_scheme="http" if _text(env, "PUBLIC_SCHEME") == "http" else "https",
        public_port=_port(_text(env, "PUBLIC_PORT")),
    )


def _port(value: str | None) -> str | None:
    return value if value is not None and value.isascii() and value.isdigit() and len(value) <= 5 else None
