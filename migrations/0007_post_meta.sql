-- grove-edge D1 schema, part 7: what each post's PostMetaDO flushes to D1 (issue 11).
-- Comments arrive in batches from the object's buffer, inserted by id with
-- ON CONFLICT (id) DO NOTHING, so a batch delivered twice stores each comment once. Hiding and
-- deleting set a time once (COALESCE); a deleted or hidden comment keeps its row so replies
-- keep their thread. No foreign keys: a buffered comment must always be deliverable.
-- post_reactions holds one row per (post, user, type), written as each row's final state;
-- its counts are COUNT(*) per type, as in the object.
-- posts gains the view totals the object writes hourly (absolute values): views (de-duplicated
-- per reader per 30 minutes), views_30d, daily_uniques_30d (the sum of each day's distinct
-- readers) and last_viewed_at_ms; the tier migrator reads them.
-- (No comments inside the statements: wrangler strips them, and the deploy check compares
-- the schema text with the local runtime's.)

CREATE TABLE comments (
  id             TEXT PRIMARY KEY,
  tenant         TEXT NOT NULL,
  post_id        TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  parent_id      TEXT,
  markdown       TEXT NOT NULL,
  html           TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  hidden_at_ms   INTEGER,
  deleted_at_ms  INTEGER
);

CREATE INDEX comments_by_post_time ON comments (post_id, created_at_ms, id);

CREATE TABLE post_reactions (
  post_id        TEXT NOT NULL,
  tenant         TEXT NOT NULL,
  user_id        TEXT NOT NULL,
  reaction_type  TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (post_id, user_id, reaction_type)
);

ALTER TABLE posts ADD COLUMN views INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN views_30d INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN daily_uniques_30d INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN last_viewed_at_ms INTEGER;
