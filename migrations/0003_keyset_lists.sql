-- grove-edge D1 schema, part 3: lists read by keyset (grove.pagination), not OFFSET.
-- Every reader list is newest first by (published_at_ms, id): the index holds exactly that
-- order after the equality columns, so a page at any depth is one seek plus its rows and
-- SQLite needs no temporary B-tree to sort (the old index ended at published_at_ms, so the
-- id tie-break sorted every candidate row). Checked by tests/app/test_query_plans.py.

DROP INDEX posts_by_tenant_published;

CREATE INDEX posts_by_tenant_status_published ON posts (tenant, status, published_at_ms DESC, id DESC);
