-- grove-edge D1 schema, part 11: Meadow's Trending (grove.trending).
-- The cron reads the posts published in the last week across every blog, newest first; this
-- partial index serves that range without a scan or a sort, and holds only published posts.
-- (No comments inside the statements: wrangler strips them, and the deploy check compares
-- the schema text with the local runtime's.)

CREATE INDEX posts_published_recent ON posts (published_at_ms) WHERE status = 'published';
