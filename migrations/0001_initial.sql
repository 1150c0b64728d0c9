-- grove-edge D1 schema, part 1: tenants and posts. D1 is the source of truth for both.
-- Times are integers in milliseconds since the Unix epoch (`_ms`).

CREATE TABLE tenants (
  subdomain      TEXT PRIMARY KEY CHECK (subdomain GLOB '[a-z0-9]*' AND length(subdomain) BETWEEN 1 AND 63),
  display_name   TEXT NOT NULL,
  theme          TEXT NOT NULL DEFAULT '{}',          -- JSON object
  tier           TEXT NOT NULL DEFAULT 'seedling'
                 CHECK (tier IN ('seedling', 'sapling', 'oak', 'evergreen')),
  limits         TEXT NOT NULL DEFAULT '{}',          -- JSON object
  created_at_ms  INTEGER NOT NULL,
  updated_at_ms  INTEGER NOT NULL
);

CREATE TABLE posts (
  id                TEXT PRIMARY KEY,
  tenant            TEXT NOT NULL REFERENCES tenants(subdomain) ON DELETE CASCADE,
  slug              TEXT NOT NULL,
  title             TEXT NOT NULL,
  description       TEXT NOT NULL DEFAULT '',
  tags              TEXT NOT NULL DEFAULT '[]',        -- JSON array of strings
  status            TEXT NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
  author_id         TEXT NOT NULL,
  -- Content lives here while the post is hot; NULL once the migrator moved it to R2.
  markdown          TEXT,
  html              TEXT,
  word_count        INTEGER NOT NULL DEFAULT 0,
  reading_time_min  INTEGER NOT NULL DEFAULT 0,
  storage_location  TEXT NOT NULL DEFAULT 'd1' CHECK (storage_location IN ('d1', 'r2', 'r2_archived')),
  r2_key            TEXT,
  created_at_ms     INTEGER NOT NULL,
  updated_at_ms     INTEGER NOT NULL,
  published_at_ms   INTEGER,
  UNIQUE (tenant, slug),
  CHECK (storage_location = 'd1' OR r2_key IS NOT NULL)
);

CREATE INDEX posts_by_tenant_published ON posts (tenant, status, published_at_ms DESC);
CREATE INDEX posts_by_storage ON posts (storage_location, updated_at_ms);
