-- grove-edge D1 schema, part 12: Meadow's pull authors (issue 13; grove.fanout).
-- An author whose followers x posting rate went over the fan-out threshold
-- (grove.meadow_policy.PULL_THRESHOLD_WRITES_PER_DAY) is served by pull from then on: their
-- posts live in their AuthorPostsDO and followers' feeds read it at load time. A feed learns
-- it at its rebuild (this table, with its follows) or from the one-off fan-out that marks the
-- author in every follower's feed when the author crosses the threshold.
-- (No comments inside the statements: wrangler strips them, and the deploy check compares
-- the schema text with the local runtime's.)

CREATE TABLE meadow_pull_authors (
  author_id  TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  since_ms   INTEGER NOT NULL
);
