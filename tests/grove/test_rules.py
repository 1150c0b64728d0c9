"""The small rule modules: slugs, tenancy from the Host, tiers, cache keys and cache policy."""

from __future__ import annotations

import pytest

from grove.cache_keys import edge_url, list_path, post_paths
from grove.cache_policy import PageKind, edge_cache_control, etag_for, etag_matches, public_headers
from grove.slugs import is_valid_slug, slugify
from grove.tenancy import tenant_from_host
from grove.tiers import DAY_MS, TIER_RULES, Tier, tier_for, tier_of_location

NOW_MS = 1_767_225_600_000


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello, World!", "hello-world"),
        ("  Crème brûlée à la maison  ", "creme-brulee-a-la-maison"),
        ("SQLite: 3 ways", "sqlite-3-ways"),
        ("!!!", ""),
        ("word " * 40, ("word-" * 16).rstrip("-")),
    ],
)
def test_slugify(title, slug):
    assert slugify(title) == slug
    assert slug == "" or is_valid_slug(slug)


@pytest.mark.parametrize(
    ("host", "tenant"),
    [
        ("autumn.localhost:8787", "autumn"),
        ("AUTUMN.grove.place", None),  # root domain differs below
        ("localhost:8787", None),
        ("evil.com", None),
        ("autumn.localhost.evil.com", None),
        ("x.autumn.localhost", None),  # exactly one label: a.b.{root} names no tenant
        ("autumn.localhost.", "autumn"),  # the absolute form (trailing dot)
        ("autumn\n.localhost", None),
        ("-bad.localhost", None),
    ],
)
def test_tenant_from_host(host, tenant):
    assert tenant_from_host(host, "localhost") == tenant


def test_tenant_from_host_production_domain():
    assert tenant_from_host("Autumn.Grove.Place", "grove.place") == "autumn"


def test_tier_rules_follow_the_roadmap():
    # Edge TTLs as the roadmap set them; KV outlives the edge in every tier (issue 15: another
    # location's edge miss is served from KV), since writes keep KV current themselves.
    assert TIER_RULES[Tier.HOT].kv_ttl_s == 86400 and TIER_RULES[Tier.HOT].edge_ttl_s == 3600
    assert TIER_RULES[Tier.WARM].kv_ttl_s == 7 * 86400 and TIER_RULES[Tier.WARM].edge_ttl_s == 86400
    assert TIER_RULES[Tier.COLD].kv_ttl_s == 30 * 86400 and TIER_RULES[Tier.COLD].edge_ttl_s == 7 * 86400
    assert all(rule.kv_ttl_s > rule.edge_ttl_s for rule in TIER_RULES.values())
    assert [tier_of_location(loc) for loc in ("d1", "r2", "r2_archived")] == [Tier.HOT, Tier.WARM, Tier.COLD]


@pytest.mark.parametrize(
    ("status", "published_days", "edited_days", "tier"),
    [
        ("draft", None, 400, Tier.HOT),
        ("published", 10, 10, Tier.HOT),
        ("published", 200, 3, Tier.HOT),  # edited this week
        ("published", 200, 200, Tier.WARM),
        ("published", 29.9, 29.9, Tier.HOT),
        ("published", 30, 30, Tier.WARM),
        ("published", 365, 365, Tier.COLD),
        ("archived", 5, 31, Tier.COLD),
        ("archived", 5, 5, Tier.HOT),  # archiving is an edit: cold once it rested 30 days
    ],
)
def test_tier_for_uses_milliseconds_throughout(status, published_days, edited_days, tier):
    published_at_ms = None if published_days is None else NOW_MS - int(published_days * DAY_MS)
    updated_at_ms = NOW_MS - int(edited_days * DAY_MS)
    assert tier_for(status=status, published_at_ms=published_at_ms, updated_at_ms=updated_at_ms, now_ms=NOW_MS) == tier


def test_edge_keys_are_canonical():
    assert edge_url("autumn", "grove.place", "/blog/x") == "https://autumn.grove.place/blog/x"
    assert edge_url("autumn", "grove.place", "/blog/x", "c5") == "https://autumn.grove.place/blog/x?_g=c5"
    assert edge_url("autumn", "grove.place", "/blog?page=2", "c5-s1") == "https://autumn.grove.place/blog?page=2&_g=c5-s1"
    assert post_paths("x") == ["/blog/x", "/api/posts/x"]
    assert list_path("/blog", 1) == "/blog" and list_path("/blog", 2) == "/blog?page=2"
    assert list_path("/api/posts", None, "abc") == "/api/posts?cursor=abc"


def test_cache_policy_headers():
    assert public_headers(PageKind.POST) == {
        "cache-control": "public, max-age=300, s-maxage=300",
        "cdn-cache-control": "max-age=3600, stale-while-revalidate=86400",
        "vary": "Authorization",
    }
    assert public_headers(PageKind.LIST)["cache-control"] == "public, max-age=300, s-maxage=600"
    assert edge_cache_control(3600) == "public, s-maxage=3600"


def test_etags():
    tag = etag_for(b"hello")
    assert tag.startswith('"') and tag == etag_for(b"hello") and tag != etag_for(b"hello!")
    assert etag_matches(tag, tag) and etag_matches(f'"x", W/{tag}', tag) and etag_matches("*", tag)
    assert not etag_matches(None, tag) and not etag_matches('"other"', tag)
