"""What search engines and browsers look for at fixed addresses: the sitemap (an index of
sitemap pages past ``SITEMAP_MAX_URLS``), ``robots.txt`` and the blog's favicon.

The sitemap is O(posts) by nature (every published post, with its last change); the limit is
the sitemaps.org protocol's 50,000 URLs per file.
"""

from __future__ import annotations

from dataclasses import dataclass

from grove.models import TenantConfig
from grove.pages.layout import accent_of, iso_datetime
from grove.posts_store import SitemapRow
from grove.xml_text import xml_text

SITEMAP_MAX_URLS = 50_000
# URLs every sitemap lists before the posts: the home page and the blog index.
STATIC_PATHS = ("/", "/blog")
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XML_TYPE = "application/xml; charset=utf-8"
SVG_TYPE = "image/svg+xml"
TEXT_TYPE = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class SitemapPlan:
    """How ``total_urls`` split into files: one urlset, or an index of ``pages`` urlsets."""

    total_urls: int
    max_urls: int

    @classmethod
    def for_posts(cls, published: int, max_urls: int) -> SitemapPlan:
        return cls(published + len(STATIC_PATHS), max_urls)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total_urls // self.max_urls))

    @property
    def is_index(self) -> bool:
        return self.total_urls > self.max_urls

    def window(self, page: int) -> tuple[tuple[str, ...], int, int]:
        """Page ``page``'s static paths, and the posts' offset and limit."""
        start = (page - 1) * self.max_urls
        statics = STATIC_PATHS[start : start + self.max_urls]
        return statics, max(0, start - len(STATIC_PATHS)), self.max_urls - len(statics)


def sitemap_index(origin: str, plan: SitemapPlan) -> str:
    entries = "".join(f"<sitemap><loc>{xml_text(origin)}/sitemap-{n}.xml</loc></sitemap>" for n in range(1, plan.pages + 1))
    return f'<?xml version="1.0" encoding="utf-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">{entries}</sitemapindex>\n'


def sitemap_urlset(origin: str, statics: tuple[str, ...], rows: list[SitemapRow]) -> str:
    urls = [f"<url><loc>{xml_text(origin + path)}</loc></url>" for path in statics]
    urls += [
        f"<url><loc>{xml_text(origin)}/blog/{xml_text(row['slug'])}</loc><lastmod>{iso_datetime(row['updated_at_ms'])}</lastmod></url>"
        for row in rows
    ]
    return f'<?xml version="1.0" encoding="utf-8"?>\n<urlset xmlns="{SITEMAP_NS}">{"".join(urls)}</urlset>\n'


def robots_txt(origin: str) -> str:
    return f"User-agent: *\nDisallow: /admin/\nDisallow: /api/\n\nSitemap: {origin}/sitemap.xml\n"


def favicon_svg(config: TenantConfig) -> str:
    """A rounded square in the blog's accent colour with the first letter of its name."""
    initial = next((ch for ch in config.display_name if ch.isalnum()), "G").upper()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
        f'<rect width="64" height="64" rx="14" fill="{accent_of(config)}"/>'
        '<text x="32" y="44" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="34"'
        f' font-weight="700" text-anchor="middle" fill="#ffffff">{xml_text(initial)}</text></svg>\n'
    )
