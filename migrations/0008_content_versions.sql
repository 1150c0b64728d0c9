-- grove-edge D1 schema, part 8: which content version of its PostContentDO a post shows (issue 11).
-- Every write of a post's content goes through the post's PostContentDO, which records the
-- version (markdown, html, author, time) before the D1 write and stamps its number here.
-- NULL: content written before versions existed (the object adopts it as its first version).
-- A move between D1 and R2 clears or restores the content only while this number (and
-- updated_at_ms) is still what the move read, so an edit made meanwhile is never overwritten.

ALTER TABLE posts ADD COLUMN content_version INTEGER;
