-- grove-edge D1 schema, part 6: tags as rows (a tag page is an index range scan) and the old
-- slugs of renamed posts (301 to the post's slug now).
-- Triggers keep both in step with posts in the same statement as the write: every writer
-- (the post API, the demo seed, the migrator) gets them, and a write is never half-applied.
-- post_tags holds published posts only, with their publication time, in the tag page's order.
-- A renamed post leaves its old slug in post_redirects; a post created at (or renamed to) that
-- slug takes it back, and deleting the post removes its redirects.

CREATE TABLE post_tags (
  tenant           TEXT NOT NULL,
  tag              TEXT NOT NULL,
  published_at_ms  INTEGER NOT NULL,
  post_id          TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  PRIMARY KEY (tenant, tag, post_id)
);

CREATE INDEX post_tags_by_tenant_tag_published ON post_tags (tenant, tag, published_at_ms DESC, post_id DESC);
CREATE INDEX post_tags_by_post ON post_tags (post_id);

CREATE TABLE post_redirects (
  tenant     TEXT NOT NULL,
  old_slug   TEXT NOT NULL,
  post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  PRIMARY KEY (tenant, old_slug)
);

CREATE INDEX post_redirects_by_post ON post_redirects (post_id);

CREATE TRIGGER posts_tags_after_insert AFTER INSERT ON posts
WHEN NEW.status = 'published' AND NEW.published_at_ms IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO post_tags (tenant, tag, published_at_ms, post_id)
    SELECT NEW.tenant, value, NEW.published_at_ms, NEW.id FROM json_each(NEW.tags) WHERE type = 'text';
END;

CREATE TRIGGER posts_tags_after_update AFTER UPDATE OF tags, status, published_at_ms ON posts
BEGIN
  DELETE FROM post_tags WHERE post_id = OLD.id;
  INSERT OR IGNORE INTO post_tags (tenant, tag, published_at_ms, post_id)
    SELECT NEW.tenant, value, NEW.published_at_ms, NEW.id FROM json_each(NEW.tags)
    WHERE type = 'text' AND NEW.status = 'published' AND NEW.published_at_ms IS NOT NULL;
END;

CREATE TRIGGER posts_redirect_after_rename AFTER UPDATE OF slug ON posts
WHEN OLD.slug != NEW.slug
BEGIN
  DELETE FROM post_redirects WHERE tenant = NEW.tenant AND old_slug = NEW.slug;
  INSERT OR REPLACE INTO post_redirects (tenant, old_slug, post_id) VALUES (OLD.tenant, OLD.slug, OLD.id);
END;

CREATE TRIGGER posts_redirect_after_insert AFTER INSERT ON posts
BEGIN
  DELETE FROM post_redirects WHERE tenant = NEW.tenant AND old_slug = NEW.slug;
END;

CREATE TRIGGER posts_derived_after_delete AFTER DELETE ON posts
BEGIN
  DELETE FROM post_tags WHERE post_id = OLD.id;
  DELETE FROM post_redirects WHERE post_id = OLD.id;
END;

-- Posts that existed before this migration.
INSERT OR IGNORE INTO post_tags (tenant, tag, published_at_ms, post_id)
  SELECT posts.tenant, j.value, posts.published_at_ms, posts.id FROM posts, json_each(posts.tags) AS j
  WHERE posts.status = 'published' AND posts.published_at_ms IS NOT NULL AND j.type = 'text';
