"""Which tenant a request is for, and that tenant's config.

The tenant is the one label before ``.{ROOT_DOMAIN}`` in the Host (``autumn.grove.place``,
``autumn.localhost:8787``); a Host with more labels names no tenant. Its config (display name, theme, tier,
limits) is served by its TenantDO (``tenant:{subdomain}``), which keeps a copy refreshed from
D1 at most every 5 minutes; D1 stays the source of truth.
"""

from __future__ import annotations

import json
import re
from typing import TypedDict

from grove.bindings import D1Database, D1PreparedStatement, Env
from grove.models import TenantConfig, TenantTier
from grove.settings import Settings
from grove.tenant_rpc import TenantStub

NO_BLOG_HERE = "There is no blog at this address."
TENANT_OBJECT_PREFIX = "tenant:"
SUBDOMAIN_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

_TENANT_COLUMNS = "subdomain, display_name, theme, tier, limits, updated_at_ms"
_SELECT_TENANT = f"SELECT {_TENANT_COLUMNS} FROM tenants WHERE subdomain = ?1"
# One statement: the theme is merged in D1 (json_patch is RFC 7396: a null removes a key).
# updated_at_ms only moves forward, even for two updates in one millisecond: it is the config
# version in the tenant's edge cache keys (grove.page_cache.EdgeGeneration).
_UPDATE_TENANT = (
    "UPDATE tenants SET display_name = COALESCE(?2, display_name),"
    " theme = json_patch(theme, ?3), updated_at_ms = MAX(?4, updated_at_ms + 1)"
    f" WHERE subdomain = ?1 RETURNING {_TENANT_COLUMNS}"
)


def tenant_from_host(host: str, root_domain: str) -> str | None:
    """The tenant a Host names: exactly one valid label before ``.{root_domain}`` (with or
    without a port); None for anything else (``a.b.{root}`` is no tenant, not tenant ``a``)."""
    hostname = host.lower().split(":", 1)[0].removesuffix(".")
    suffix = "." + root_domain.lower()
    if not hostname.endswith(suffix):
        return None
    label = hostname[: -len(suffix)]
    return label if SUBDOMAIN_PATTERN.fullmatch(label) else None


def object_name(subdomain: str) -> str:
    return TENANT_OBJECT_PREFIX + subdomain


def subdomain_of(object_name_: str) -> str:
    if not object_name_.startswith(TENANT_OBJECT_PREFIX):
        raise ValueError(f"not a tenant object name: {object_name_!r}")
    return object_name_[len(TENANT_OBJECT_PREFIX) :]


class TenantRow(TypedDict):
    """A ``tenants`` row as ``_TENANT_COLUMNS`` selects it (theme and limits: JSON text)."""

    subdomain: str
    display_name: str
    theme: str | None
    tier: TenantTier
    limits: str | None
    updated_at_ms: int


def _config_from_row(row: TenantRow) -> TenantConfig:
    return TenantConfig(
        subdomain=row["subdomain"],
        display_name=row["display_name"],
        theme=json.loads(row["theme"] or "{}"),
        tier=row["tier"],
        limits=json.loads(row["limits"] or "{}"),
        updated_at_ms=row["updated_at_ms"],
    )


async def read_tenant(db: D1Database, subdomain: str) -> TenantConfig | None:
    """The tenant's row from D1 (one query): what TenantDO caches."""
    select: D1PreparedStatement[TenantRow] = db.prepare(_SELECT_TENANT)
    row = await select.bind(subdomain).first()
    return None if row is None else _config_from_row(row)


async def update_tenant(
    db: D1Database, subdomain: str, *, display_name: str | None, theme_patch: dict[str, object], now_ms: int
) -> TenantConfig | None:
    """Change the tenant's row in D1 (the source of truth); None for an unknown tenant."""
    update: D1PreparedStatement[TenantRow] = db.prepare(_UPDATE_TENANT)
    row = await update.bind(subdomain, display_name, json.dumps(theme_patch), now_ms).first()
    return None if row is None else _config_from_row(row)


def tenant_stub(env: Env, subdomain: str) -> TenantStub:
    namespace = env.TENANTS
    return namespace.get(namespace.idFromName(object_name(subdomain)))


async def tenant_config(env: Env, settings: Settings, subdomain: str) -> TenantConfig | None:
    """The tenant's config, or None for an unknown tenant."""
    if not settings.cache_enabled:
        return await read_tenant(env.DB, subdomain)
    data = await tenant_stub(env, subdomain).get_config()
    return None if data is None else TenantConfig.model_validate(data)


async def tenant_config_and_stamp(env: Env, settings: Settings, subdomain: str) -> tuple[TenantConfig | None, str | None]:
    """The config and the tenant's cache stamp (``grove.page_cache``), in one TenantDO call.
    With caching off nothing is stored, so there is no stamp to take (None)."""
    if not settings.cache_enabled:
        return await read_tenant(env.DB, subdomain), None
    data = await tenant_stub(env, subdomain).get_config_and_stamp()
    config = data["config"]
    return (None if config is None else TenantConfig.model_validate(config)), data["cache_stamp"]


async def insert_tenant(
    db: D1Database,
    *,
    subdomain: str,
    display_name: str,
    theme: dict[str, object],
    tier: TenantTier,
    now_ms: int,
) -> bool:
    """Create a tenant row; False when the subdomain is taken (nothing changes then)."""
    if not SUBDOMAIN_PATTERN.match(subdomain):
        raise ValueError(f"invalid subdomain {subdomain!r}: lower-case letters, digits and dashes")
    result = await (
        db.prepare(
            "INSERT INTO tenants (subdomain, display_name, theme, tier, limits, created_at_ms,"
            " updated_at_ms) VALUES (?1, ?2, ?3, ?4, '{}', ?5, ?5)"
            " ON CONFLICT (subdomain) DO NOTHING"
        )
        .bind(subdomain, display_name, json.dumps(theme), tier, now_ms)
        .run()
    )
    return bool(result["meta"]["changes"])
