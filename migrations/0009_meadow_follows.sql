-- grove-edge D1 schema, part 9: Meadow's follow graph (issue 13; grove.follows).
-- A follow is (follower, author): both are user ids, an author being the author_id of their
-- posts on every blog they write for. follows_by_follower lists one person's follows newest
-- first by keyset (grove.pagination) and feeds their rebuild; follows_by_author lists an
-- author's followers for the fan-out. posts_by_author_published reads an author's recent
-- published posts (a follow's backfill, a feed's rebuild) without sorting.
-- feed_activity holds when each person last opened their feed, as their FeedDO reports it
-- (at most once a day, from its alarm, so a feed load itself reads and writes no D1): the
-- fan-out pushes only to feeds active in the last 30 days.
-- (No comments inside the statements: wrangler strips them, and the deploy check compares
-- the schema text with the local runtime's.)

CREATE TABLE follows (
  follower_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  author_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  followed_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (follower_id, author_id),
  CHECK (follower_id <> author_id)
);

CREATE INDEX follows_by_follower ON follows (follower_id, followed_at_ms DESC, author_id DESC);

CREATE INDEX follows_by_author ON follows (author_id, follower_id);

CREATE INDEX posts_by_author_published ON posts (author_id, status, published_at_ms DESC, id DESC);

CREATE TABLE feed_activity (
  user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  active_at_ms   INTEGER NOT NULL
);
