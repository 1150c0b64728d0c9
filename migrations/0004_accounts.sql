-- grove-edge D1 schema, part 4: accounts and sign-in (grove.accounts, grove.sessions).
-- A user is one person across every blog and Meadow; a membership gives them a role on one
-- blog. Credentials are the sessions and personal API tokens the server issued, each a signed
-- token whose jti is the row's id: revoking one (or all of a user's sessions) is an UPDATE here,
-- read back on every authenticated request, so it holds on the next request on every host.
-- One-time secrets (sign-in links, host hand-off codes) are stored as SHA-256 hex of the secret
-- and consumed by one conditional UPDATE, so two concurrent uses cannot both win.
-- Emails are stored case-folded. Times are milliseconds since the epoch.
-- (No comments inside the statements: wrangler strips them, and the deploy check compares
-- the schema text with the local runtime's.)

CREATE TABLE users (
  id             TEXT PRIMARY KEY,
  email          TEXT NOT NULL UNIQUE,
  display_name   TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL
);

CREATE TABLE memberships (
  tenant         TEXT NOT NULL REFERENCES tenants(subdomain) ON DELETE CASCADE,
  user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role           TEXT NOT NULL CHECK (role IN ('owner', 'author')),
  created_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (tenant, user_id)
);

CREATE INDEX memberships_by_user ON memberships (user_id);

CREATE TABLE credentials (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  kind           TEXT NOT NULL CHECK (kind IN ('session', 'api', 'cli')),
  label          TEXT NOT NULL DEFAULT '',
  host           TEXT,
  tenant         TEXT,
  role           TEXT,
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER NOT NULL,
  revoked_at_ms  INTEGER
);

CREATE INDEX credentials_by_user ON credentials (user_id, kind);

CREATE TABLE sign_in_links (
  token_hash     TEXT PRIMARY KEY,
  email          TEXT NOT NULL,
  host           TEXT NOT NULL,
  next_path      TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER NOT NULL,
  used_at_ms     INTEGER
);

CREATE TABLE invites (
  id             TEXT PRIMARY KEY,
  tenant         TEXT NOT NULL REFERENCES tenants(subdomain) ON DELETE CASCADE,
  email          TEXT NOT NULL,
  role           TEXT NOT NULL CHECK (role IN ('owner', 'author')),
  invited_by     TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER NOT NULL,
  accepted_at_ms INTEGER
);

CREATE INDEX invites_by_email ON invites (email, accepted_at_ms);

CREATE TABLE handoff_codes (
  code_hash      TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL,
  target_host    TEXT NOT NULL,
  next_path      TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL,
  expires_at_ms  INTEGER NOT NULL,
  used_at_ms     INTEGER
);

CREATE TABLE dev_outbox (
  id             TEXT PRIMARY KEY,
  to_email       TEXT NOT NULL,
  subject        TEXT NOT NULL,
  text_body      TEXT NOT NULL,
  html_body      TEXT NOT NULL,
  created_at_ms  INTEGER NOT NULL
);
