"""Local implementations of Cloudflare's bindings (D1, KV, R2, Durable Objects, Cache API)."""
