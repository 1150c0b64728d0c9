"""grove-edge's Durable Objects, one module each; ``entry.py`` re-exports them."""

from durable_objects.author_posts import AuthorPostsDO
from durable_objects.feed import FeedDO
from durable_objects.post_content import PostContentDO
from durable_objects.post_meta import PostMetaDO
from durable_objects.rate_limiter import RateLimiterDO
from durable_objects.tenant import TenantDO

__all__ = ["AuthorPostsDO", "FeedDO", "PostContentDO", "PostMetaDO", "RateLimiterDO", "TenantDO"]
