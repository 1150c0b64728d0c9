-- grove-edge D1 schema, part 5: the workspace's lists.
-- posts_by_tenant_updated: the dashboard, a blog's posts of every status, most recently updated
-- first, read by keyset (grove.pagination; grove.posts_store.read_workspace_page).
-- posts_by_author: an account's reader-visible posts across blogs, most recently updated first:
-- the copies a display-name change retires (grove.invalidation.after_display_name_change).

CREATE INDEX posts_by_tenant_updated ON posts (tenant, updated_at_ms DESC, id DESC);
CREATE INDEX posts_by_author ON posts (author_id, updated_at_ms DESC);
