-- grove-edge D1 schema, part 2: analytics events, delivered in batches by each tenant's
-- TenantDO from its own buffer.
-- event_id is assigned when the TenantDO buffers an event; inserts use
-- ON CONFLICT (event_id) DO NOTHING, so a batch delivered twice (it reached D1 but the buffer
-- had not yet been told) stores each event once.
-- ts_ms is the client's time of the event (checked to be within the last 7 days),
-- received_at_ms the server's. No foreign key to tenants: a buffered event must always be
-- deliverable, even if its tenant has been deleted meanwhile.
-- (No comments inside the statements: wrangler strips them, and the deploy check compares
-- the schema text with the local runtime's.)

CREATE TABLE analytics_events (
  event_id        TEXT PRIMARY KEY,
  tenant          TEXT NOT NULL,
  type            TEXT NOT NULL,
  path            TEXT NOT NULL,
  referrer        TEXT,
  session_id      TEXT,
  ts_ms           INTEGER NOT NULL,
  received_at_ms  INTEGER NOT NULL
);

-- The owner's summary: page views of one tenant in a time window.
CREATE INDEX analytics_events_by_tenant_type_time ON analytics_events (tenant, type, ts_ms);
