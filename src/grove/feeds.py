"""The blog's feeds: Atom 1.0 (RFC 4287) at ``/feed.xml`` and ``/atom.xml``, RSS 2.0 at
``/rss.xml``, and the same per tag under ``/tags/{tag}/``.

Both formats are built from one ``FeedData`` (the newest ``FEED_ENTRIES`` posts with their
content), which is read once per blog and change and kept in KV like a list page's data.

Entries carry the post's full HTML while it fits ``FEED_CONTENT_BUDGET_BYTES`` (newest first);
past that a post's entry has its description only, so a blog of very long posts still has a
feed of bounded size (KV values are at most 25 MiB; feed readers give up on huge feeds).
Relative links inside a post resolve against the post's URL (Atom ``xml:base``).
"""

from __future__ import annotations

from grove.authors import author_name
from grove.cache_keys import tag_path
from grove.models import AuthorPost, GroveModel, TenantConfig
from grove.pages.layout import iso_datetime
from grove.serving import http_date
from grove.xml_text import xml_text

FEED_ENTRIES = 20
FEED_CONTENT_BUDGET_BYTES = 2_000_000
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"


class FeedEntry(GroveModel):
    id: str
    slug: str
    title: str
    description: str
    tags: list[str]
    author_id: str
    author_name: str = ""  # grove.authors
    html: str | None  # None: over the content budget (the description stands in)
    published_at_ms: int
    updated_at_ms: int


class FeedData(GroveModel):
    entries: list[FeedEntry]

    @classmethod
    def of(cls, posts: list[AuthorPost]) -> FeedData:
        entries: list[FeedEntry] = []
        budget = FEED_CONTENT_BUDGET_BYTES
        for post in posts:
            size = len(post.html.encode("utf-8"))
            html = post.html if size <= budget else None
            budget -= size if html is not None else 0
            entries.append(
                FeedEntry(
                    id=post.id, slug=post.slug, title=post.title, description=post.description, tags=post.tags,
                    author_id=post.author_id, author_name=post.author_name, html=html, published_at_ms=post.published_at_ms or post.created_at_ms,
                    updated_at_ms=post.updated_at_ms,
                )
            )
        return cls(entries=entries)

    def updated_ms(self, config: TenantConfig) -> int:
        """The newest change the feed shows: an entry's, or the blog's name and tagline."""
        return max([config.updated_at_ms, *(entry.updated_at_ms for entry in self.entries)])


class FeedSource(GroveModel):
    """Which feed: the blog's, or a tag's (``tag``), at ``origin`` (absolute URLs)."""

    origin: str
    host: str  # ``{tenant}.{root_domain}``: the authority of entry ids (tag URIs, RFC 4151)
    tag: str | None = None

    def base_path(self) -> str:
        return tag_path(self.tag) if self.tag is not None else ""

    def title(self, config: TenantConfig) -> str:
        return config.display_name if self.tag is None else f"{config.display_name}: {self.tag}"

    def home(self) -> str:
        return self.origin + (self.base_path() or "/")

    def entry_id(self, entry: FeedEntry) -> str:
        # Permanent, whatever the post's slug or title becomes (RFC 4287 §4.2.6).
        return f"tag:{self.host},2026:post/{entry.id}"


def _subtitle(config: TenantConfig) -> str:
    return config.theme.tagline or f"Notes and essays from {config.display_name}."


def atom_feed(config: TenantConfig, data: FeedData, source: FeedSource) -> str:
    origin = source.origin
    self_url = f"{origin}{source.base_path()}/feed.xml"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f"<title>{xml_text(source.title(config))}</title>",
        f"<subtitle>{xml_text(_subtitle(config))}</subtitle>",
        f'<link rel="self" type="application/atom+xml" href="{xml_text(self_url)}"/>',
        f'<link rel="alternate" type="text/html" href="{xml_text(source.home())}"/>',
        f"<id>{xml_text(self_url)}</id>",
        f"<updated>{iso_datetime(data.updated_ms(config))}</updated>",
        f"<author><name>{xml_text(config.display_name)}</name></author>",
        f"<icon>{xml_text(origin)}/favicon.svg</icon>",
        "<generator>Grove</generator>",
    ]
    for entry in data.entries:
        url = f"{origin}/blog/{entry.slug}"
        parts.append(
            "<entry>"
            f'<title type="text">{xml_text(entry.title)}</title>'
            f'<link rel="alternate" type="text/html" href="{xml_text(url)}"/>'
            f"<id>{xml_text(source.entry_id(entry))}</id>"
            f"<published>{iso_datetime(entry.published_at_ms)}</published>"
            f"<updated>{iso_datetime(entry.updated_at_ms)}</updated>"
            f"<author><name>{xml_text(author_name(entry.author_id, entry.author_name))}</name></author>"
            + "".join(f'<category term="{xml_text(tag)}"/>' for tag in entry.tags)
            + (f'<summary type="text">{xml_text(entry.description)}</summary>' if entry.description else "")
            + (f'<content type="html" xml:base="{xml_text(url)}">{xml_text(entry.html)}</content>' if entry.html is not None else "")
            + "</entry>"
        )
    parts.append("</feed>\n")
    return "\n".join(parts)


def rss_feed(config: TenantConfig, data: FeedData, source: FeedSource) -> str:
    origin = source.origin
    self_url = f"{origin}{source.base_path()}/rss.xml"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
        f"<title>{xml_text(source.title(config))}</title>",
        f"<link>{xml_text(source.home())}</link>",
        f"<description>{xml_text(_subtitle(config))}</description>",
        "<language>en</language>",
        f"<lastBuildDate>{http_date(data.updated_ms(config))}</lastBuildDate>",
        f'<atom:link href="{xml_text(self_url)}" rel="self" type="application/rss+xml"/>',
        "<generator>Grove</generator>",
    ]
    for entry in data.entries:
        url = f"{origin}/blog/{entry.slug}"
        body = entry.html if entry.html is not None else entry.description
        parts.append(
            "<item>"
            f"<title>{xml_text(entry.title)}</title>"
            f"<link>{xml_text(url)}</link>"
            f'<guid isPermaLink="false">{xml_text(source.entry_id(entry))}</guid>'
            f"<pubDate>{http_date(entry.published_at_ms)}</pubDate>"
            f"<dc:creator>{xml_text(author_name(entry.author_id, entry.author_name))}</dc:creator>"
            + "".join(f"<category>{xml_text(tag)}</category>" for tag in entry.tags)
            + f"<description>{xml_text(body)}</description>"
            "</item>"
        )
    parts.append("</channel></rss>\n")
    return "\n".join(parts)
