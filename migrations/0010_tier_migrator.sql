-- grove-edge D1 schema, part 10: the tier migrator's runs (issue 12).
-- One row per run of the cron Worker (workers/post_migrator), written when it starts and
-- updated after every batch, so a run killed mid-batch leaves its progress: the next run
-- resumes from the cursor of the latest row and retries the posts it lists as failed.
-- moves_json: counts per transition ("d1->r2": n); skipped_json and failed_json: lists of
-- {"tenant", "id", "reason"}; cursor_json: where the candidate scan stops (NULL: done).
-- migration_runs_by_kind finds the latest real (not dry) run without a scan.
-- The candidate scan walks posts by (storage_location, updated_at_ms, id): the index below
-- replaces posts_by_storage (a prefix of it) so the keyset cursor needs no sort.
-- (No comments inside the statements: wrangler strips them, and the deploy check compares
-- the schema text with the local runtime's.)

CREATE TABLE migration_runs (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  started_at_ms   INTEGER NOT NULL,
  ended_at_ms     INTEGER,
  dry_run         INTEGER NOT NULL DEFAULT 0,
  scanned         INTEGER NOT NULL DEFAULT 0,
  moves_json      TEXT NOT NULL DEFAULT '{}',
  skipped_json    TEXT NOT NULL DEFAULT '[]',
  failed_json     TEXT NOT NULL DEFAULT '[]',
  cursor_json     TEXT
);

CREATE INDEX migration_runs_by_kind ON migration_runs (dry_run, id);

DROP INDEX posts_by_storage;
CREATE INDEX posts_by_storage_updated ON posts (storage_location, updated_at_ms, id);
